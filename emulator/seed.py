"""Load a site's starting state from the documented seed format.

A seed is a JSON object::

    {
      "siteId": "demo-site",                       # or the wix-site-id header
      "program": {"status": "ACTIVE", "name": "Coffee Club", "pointsName": "Beans"},
      "contacts": [{"id": GUID, "name": "Ada Lovelace", "email": "ada@example.com",
                    "memberId": GUID}],
      "accounts": [{"id": GUID, "contactId": GUID, "balance": 120},
                   {"contact": {"name": "Alan Turing"},
                    "points": {"earned": 50, "adjusted": 10, "redeemed": 5, "expired": 0}}]
    }

Every part is optional. IDs left out are generated. ``balance`` is stored as earned
points. The whole seed is checked before any of it is applied, so a rejected seed
changes nothing. Seeded points write no transactions.
"""

from __future__ import annotations

from typing import Any

from .errors import ConflictError, invalid
from .models import Account, Contact, new_id
from .settings import PROGRAM_STATUSES
from .store import SiteState
from .validation import check_range, read_int, read_object, read_str

MAX_POINTS = 999_999_999


def _contact(raw: Any, field: str) -> Contact:
    if not isinstance(raw, dict):
        raise invalid(field, "must be an object", "FORMAT")
    prefix = field + "."
    contact_id = read_str(raw, "id", guid=True, prefix=prefix) or new_id()
    return Contact(
        id=contact_id,
        name=read_str(raw, "name", max_length=200, prefix=prefix),
        email=read_str(raw, "email", max_length=200, prefix=prefix),
        member_id=read_str(raw, "memberId", guid=True, prefix=prefix),
        picture_url=read_str(raw, "pictureUrl", max_length=2000, prefix=prefix),
    )


def _list(seed: dict[str, Any], name: str) -> list[Any]:
    value = seed.get(name) or []
    if not isinstance(value, list):
        raise invalid(name, "must be a list", "FORMAT")
    return value


def _points(raw: dict[str, Any], field: str) -> dict[str, int]:
    prefix = field + "."
    points = read_object(raw, "points", prefix=prefix)
    balance = read_int(raw, "balance", minimum=0, maximum=MAX_POINTS, prefix=prefix)
    if points is None:
        return {"earned": balance or 0, "adjusted": 0, "redeemed": 0, "expired": 0}
    values = {}
    for key in ("earned", "adjusted", "redeemed", "expired"):
        number = read_int(points, key, prefix=prefix + "points.") or 0
        low = -MAX_POINTS if key == "adjusted" else 0
        values[key] = check_range(number, f"{prefix}points.{key}", low, MAX_POINTS)
    if values["earned"] + values["adjusted"] - values["redeemed"] - values["expired"] < 0:
        raise invalid(prefix + "points", "describe a balance below zero", "OTHER")
    return values


def apply_seed(site: SiteState, now: float, seed: dict[str, Any]) -> list[str]:
    """Add the seed's contacts and accounts to ``site``; return the new account IDs."""
    contacts = {c.id: c for c in site.contacts.values()}
    new_contacts = [
        _contact(raw, f"contacts[{i}]") for i, raw in enumerate(_list(seed, "contacts"))
    ]
    for contact in new_contacts:
        contacts[contact.id] = contact

    program = read_object(seed, "program") or {}
    status = read_str(program, "status", prefix="program.")
    if status is not None and status not in PROGRAM_STATUSES:
        raise invalid("program.status", f"must be one of {', '.join(PROGRAM_STATUSES)}")
    name = read_str(program, "name", min_length=2, max_length=50, prefix="program.")
    points_name = read_str(program, "pointsName", min_length=1, max_length=20, prefix="program.")

    accounts: list[Account] = []
    taken = dict(site.account_by_contact)
    new_ids: set[str] = set()
    for index, raw in enumerate(_list(seed, "accounts")):
        field = f"accounts[{index}]"
        if not isinstance(raw, dict):
            raise invalid(field, "must be an object", "FORMAT")
        contact = _account_contact(raw, field, contacts)
        if contact.id in taken:
            raise ConflictError(
                f"{field}: contact {contact.id} already has account {taken[contact.id]}",
                data={"contactId": contact.id},
            )
        account_id = read_str(raw, "id", guid=True, prefix=field + ".") or new_id()
        if account_id in site.accounts or account_id in new_ids:
            raise ConflictError(f"{field}: account ID {account_id} is already used")
        new_ids.add(account_id)
        taken[contact.id] = account_id
        account = Account(
            id=account_id,
            contact=contact,
            created=now,
            updated=now,
            last_activity=now,
        )
        points = _points(raw, field)
        account.earned, account.adjusted = points["earned"], points["adjusted"]
        account.redeemed, account.expired = points["redeemed"], points["expired"]
        accounts.append(account)

    _merge_contacts(site, contacts, accounts)
    for account in accounts:
        site.accounts[account.id] = account
        site.account_by_contact[account.contact.id] = account.id
    if status is not None:
        site.program.status = status
    if name is not None:
        site.program.name = name
    if points_name is not None:
        site.program.custom_name = points_name
    if status or name or points_name:
        site.program.updated = now
    return [account.id for account in accounts]


def _merge_contacts(site: SiteState, contacts: dict[str, Contact], accounts: list[Account]) -> None:
    """Store the seed's contacts. A contact ID the site already has is updated in place,
    so accounts that already point at that contact see the new details."""
    for contact_id, contact in contacts.items():
        existing = site.contacts.get(contact_id)
        if existing is None:
            site.contacts[contact_id] = contact
        elif existing is not contact:
            existing.name, existing.email = contact.name, contact.email
            existing.member_id, existing.picture_url = contact.member_id, contact.picture_url
    for account in accounts:
        account.contact = site.contacts[account.contact.id]


def _account_contact(raw: dict[str, Any], field: str, contacts: dict[str, Contact]) -> Contact:
    inline = raw.get("contact")
    if inline is not None:
        contact = _contact(inline, field + ".contact")
        contacts[contact.id] = contact
        return contact
    contact_id = read_str(raw, "contactId", guid=True, prefix=field + ".")
    if contact_id is None:
        return _new_bare(contacts)
    return contacts.setdefault(contact_id, Contact(id=contact_id))


def _new_bare(contacts: dict[str, Contact]) -> Contact:
    contact = Contact(id=new_id())
    contacts[contact.id] = contact
    return contact
