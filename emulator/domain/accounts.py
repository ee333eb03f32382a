"""Loyalty account rules: create, earn, adjust, look up and total.

Functions take a site's state and the current time and either change the state
completely or raise a ``WixError`` before changing anything.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ConflictError, NotFoundError, PreconditionError, WixError
from ..models import LOYALTY_APP_ID, Account, Contact, Transaction, new_id
from ..settings import Settings
from ..store import SiteState

# Codes the emulator invents where Wix documents none; the register of guesses lists them.
NEGATIVE_BALANCE = "NEGATIVE_BALANCE"
REVISION_MISMATCH = "REVISION_MISMATCH"
PROGRAM_NOT_ACTIVE = "PROGRAM_NOT_ACTIVE"
# Seen in production when an earn repeats an idempotency key.
TRANSACTION_ALREADY_EXISTS = "TRANSACTION_ALREADY_EXISTS"


def require_active_program(site: SiteState, action: str) -> None:
    status = site.program.status
    if status != "ACTIVE":
        raise PreconditionError(
            f"cannot {action}: the site's loyalty program is {status}; "
            "activate it with POST /loyalty-programs/v1/program/activate",
            code=PROGRAM_NOT_ACTIVE,
            data={"programStatus": status},
        )


def get_account(site: SiteState, account_id: str) -> Account:
    account = site.accounts.get(account_id)
    if account is None:
        raise NotFoundError(
            f"loyalty account {account_id} not found", data={"accountId": account_id}
        )
    return account


def create_account(site: SiteState, now: float, contact_id: str) -> Account:
    """Create the one account that ``contact_id`` may have."""
    require_active_program(site, "create an account")
    existing = site.account_by_contact.get(contact_id)
    if existing is not None:
        raise ConflictError(
            f"contact {contact_id} already has loyalty account {existing}",
            code="ALREADY_EXISTS",
            data={"contactId": contact_id, "accountId": existing},
        )
    contact = site.contacts.get(contact_id)
    if contact is None:
        # An unknown contact gets a bare record, as Wix fills contact details in later.
        contact = Contact(id=contact_id)
        site.contacts[contact_id] = contact
    account = Account(
        id=new_id(),
        contact=contact,
        created=now,
        updated=now,
        last_activity=now,
    )
    site.accounts[account.id] = account
    site.account_by_contact[contact_id] = account.id
    return account


def find_by_secondary_id(
    site: SiteState, *, contact_id: str | None, member_id: str | None
) -> Account | None:
    if contact_id is not None:
        account_id = site.account_by_contact.get(contact_id)
        return site.accounts.get(account_id) if account_id else None
    if member_id is not None:
        return site.account_by_member(member_id)
    return None


def earn_points(
    site: SiteState,
    now: float,
    account_id: str,
    *,
    amount: int,
    app_id: str,
    idempotency_key: str,
    description: str | None = None,
    activity_type: str | None = None,
    order_id: str | None = None,
    social_channel: str | None = None,
) -> Transaction:
    account = get_account(site, account_id)
    require_active_program(site, "earn points")
    used_by = site.idempotency_keys.get((account_id, idempotency_key))
    if used_by is not None:
        raise ConflictError(
            f"idempotency key {idempotency_key!r} was already used by transaction {used_by}; "
            "send a new key for a new earn",
            code=TRANSACTION_ALREADY_EXISTS,
            data={"transactionId": used_by, "idempotencyKey": idempotency_key},
        )
    remember_version(site, account, now)
    before = account.balance
    account.earned += amount
    transaction = Transaction(
        id=new_id(),
        account_id=account.id,
        created=now,
        amount=amount,
        type="EARN",
        description=description,
        app_id=app_id,
        idempotency_key=idempotency_key,
        activity_type=activity_type,
        order_id=order_id,
        social_channel=social_channel,
        amount_before=before,
        amount_after=account.balance,
    )
    site.idempotency_keys[(account_id, idempotency_key)] = transaction.id
    _record(site, account, transaction, now)
    return transaction


def check_revision(account: Account, revision: int | None, settings: Settings) -> None:
    if revision is None:
        if settings.require_revision:
            raise WixError(
                "revision is required; send the account's current revision",
                code="INVALID_ARGUMENT",
            )
        return
    if revision != account.revision:
        raise ConflictError(
            f"revision {revision} is stale: account {account.id} is at revision "
            f"{account.revision}; read the account again and retry with its revision",
            code=REVISION_MISMATCH,
            data={"currentRevision": str(account.revision), "sentRevision": str(revision)},
        )


def adjust_points(
    site: SiteState,
    now: float,
    settings: Settings,
    account_id: str,
    *,
    balance: int | None,
    amount: int | None,
    revision: int | None,
    description: str | None,
) -> Transaction:
    """Set the balance (``balance`` wins when both are given) or move it by ``amount``."""
    account = get_account(site, account_id)
    check_revision(account, revision, settings)
    if balance is not None:
        return apply_adjustment(site, now, settings, account, "balance", balance, description)
    assert amount is not None
    return apply_adjustment(site, now, settings, account, "amount", amount, description)


def negative_balance_error(account: Account, result: int, settings: Settings) -> WixError:
    return WixError(
        f"the adjustment would leave account {account.id} with a balance of {result}; "
        f"balances cannot go below zero (current balance {account.balance})",
        code=NEGATIVE_BALANCE,
        status=settings.negative_balance_status,
        data={"accountId": account.id, "balance": account.balance, "resultingBalance": result},
    )


def apply_adjustment(
    site: SiteState,
    now: float,
    settings: Settings,
    account: Account,
    operation: str,
    value: int,
    description: str | None = None,
) -> Transaction:
    """Apply one adjustment: ``balance`` (type ADJUST) or ``amount`` (type GIVE)."""
    before = account.balance
    delta = value - before if operation == "balance" else value
    after = before + delta
    if after < 0:
        raise negative_balance_error(account, after, settings)
    remember_version(site, account, now)
    account.adjusted += delta
    transaction = Transaction(
        id=new_id(),
        account_id=account.id,
        created=now,
        amount=delta,
        type="ADJUST" if operation == "balance" else "GIVE",
        description=description,
        app_id=LOYALTY_APP_ID,
        amount_before=before,
        amount_after=after,
    )
    _record(site, account, transaction, now)
    return transaction


def remember_version(site: SiteState, account: Account, now: float) -> None:
    """Keep the account as it is before a change, while reads may lag behind writes."""
    if site.keep_history:
        site.history.setdefault(account.id, []).append((now, dataclasses.replace(account)))


def accounts_as_of(site: SiteState, moment: float) -> list[Account]:
    """Return every account as it was at ``moment``: the view of a lagging search index."""
    visible = []
    for account in site.accounts.values():
        if account.created > moment:
            continue
        for valid_until, version in site.history.get(account.id, ()):
            if valid_until > moment:
                visible.append(version)
                break
        else:
            visible.append(account)
    return visible


def _record(site: SiteState, account: Account, transaction: Transaction, now: float) -> None:
    account.revision += 1
    account.updated = now
    account.last_activity = now
    account.latest_transaction = transaction
    site.transactions[transaction.id] = transaction


def program_totals(site: SiteState) -> dict[str, Any]:
    """Sum the points of every account, as Get Program Totals returns them."""
    totals = {"balance": 0, "earned": 0, "adjusted": 0, "redeemed": 0, "expired": 0}
    for account in site.accounts.values():
        totals["balance"] += account.balance
        totals["earned"] += account.earned
        totals["adjusted"] += account.adjusted
        totals["redeemed"] += account.redeemed
        totals["expired"] += account.expired
    # Every account is in the base tier, whose ID is null.
    tier_totals = [{"id": None, "numberOfAccounts": len(site.accounts)}] if site.accounts else []
    return {"points": totals, "tierTotals": tier_totals}
