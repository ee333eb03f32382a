"""Contacts API v4 handlers (``/contacts/v4/contacts``): create and delete only.

The contract suite creates the contacts of its loyalty accounts through these calls, so
that the same code runs against Wix. The emulator's ``Contact`` record keeps only the
name (first and last joined by a space) and the first email. Source: https://dev.wix.com/docs/rest/crm/members-contacts/contacts/contacts/contact-v4/contact-object
and the ``@wix/contacts`` SDK (``POST /v4/contacts``, ``DELETE /v4/contacts/{contactId}``).
"""

from __future__ import annotations

from typing import Any

from ..clock import format_timestamp
from ..errors import ConflictError, NotFoundError, invalid
from ..models import Contact, new_id
from ..validation import check_text, read_object, read_str
from .base import ApiCall, Handler

# Third-party clients of the real API match this code and its data keys on a duplicate
# email. No Wix page states them.
DUPLICATE_CONTACT_EXISTS = "DUPLICATE_CONTACT_EXISTS"


def _name(info: dict[str, Any]) -> tuple[str | None, str | None]:
    name = read_object(info, "name", prefix="info.") or {}
    first = read_str(name, "first", max_length=100, prefix="info.name.")
    last = read_str(name, "last", max_length=100, prefix="info.name.")
    return first or None, last or None


def _first_email(info: dict[str, Any]) -> str | None:
    emails = read_object(info, "emails", prefix="info.") or {}
    items = emails.get("items") or []
    if not isinstance(items, list):
        raise invalid("info.emails.items", "must be a list of {email, tag} objects", "FORMAT")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"info.emails.items[{index}]", "must be an object", "FORMAT")
        email = read_str(item, "email", max_length=250, prefix=f"info.emails.items[{index}].")
        if email:
            return email
    return None


def _has_phone(info: dict[str, Any]) -> bool:
    phones = info.get("phones")
    return isinstance(phones, dict) and bool(phones.get("items"))


def _duplicate_of(call: ApiCall, email: str) -> Contact | None:
    wanted = email.lower()
    for contact in call.site.contacts.values():
        if contact.email is not None and contact.email.lower() == wanted:
            return contact
    return None


def _render(contact: Contact, first: str | None, last: str | None, now: float) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if first or last:
        info["name"] = {key: value for key, value in (("first", first), ("last", last)) if value}
    primary: dict[str, Any] = {}
    if contact.email:
        info["emails"] = {"items": [{"tag": "UNTAGGED", "email": contact.email}]}
        primary["email"] = contact.email
    return {
        "id": contact.id,
        "revision": 1,
        "createdDate": format_timestamp(now),
        "updatedDate": format_timestamp(now),
        "info": info,
        "primaryInfo": primary,
    }


def create_contact(call: ApiCall) -> dict[str, Any]:
    info = read_object(call.body, "info")
    if info is None:
        raise invalid("info", "is required: send a name, an email or a phone", "REQUIRED_FIELD")
    first, last = _name(info)
    email = _first_email(info)
    if not (first or last or email or _has_phone(info)):
        raise invalid("info", "must contain a name, an email or a phone", "OTHER")
    duplicate = _duplicate_of(call, email) if email else None
    if duplicate is not None and call.body.get("allowDuplicates") is not True:
        raise ConflictError(
            f"contact {duplicate.id} already has the email {email}; "
            "send allowDuplicates: true to create another contact with it",
            code=DUPLICATE_CONTACT_EXISTS,
            data={"duplicateContactId": duplicate.id, "duplicateEmail": email},
        )
    name = " ".join(part for part in (first, last) if part) or None
    contact = Contact(id=new_id(), name=name, email=email)
    call.site.contacts[contact.id] = contact
    return {"contact": _render(contact, first, last, call.now)}


def delete_contact(call: ApiCall) -> dict[str, Any]:
    """Delete a contact. A loyalty account of the contact stays, with the contact's details."""
    contact_id = check_text(call.path["contactId"], "contactId", guid=True)
    # NOTE: what Wix does to a deleted contact's loyalty account is not documented.
    if call.site.contacts.pop(contact_id, None) is None:
        raise NotFoundError(f"contact {contact_id} not found", data={"contactId": contact_id})
    return {}


CONTACT_ROUTES: list[tuple[str, str, Handler, str]] = [
    ("POST", "/v4/contacts", create_contact, "createContact"),
    ("DELETE", "/v4/contacts/{contactId}", delete_contact, "deleteContact"),
]
