"""Filterable and sortable fields of accounts and transactions, by their REST paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..query import EntitySpec, Field, SortKey
from ..settings import Settings


def _field(name: str, kind: str, get: Callable[[Any], Any]) -> tuple[str, Field]:
    return name, Field(name=name, kind=kind, get=get)


def _round_to_milliseconds(seconds: float | None) -> float | None:
    """Round a stored time to the millisecond, the precision that responses show.

    The clock's float seconds carry sub-millisecond noise that the rendered timestamp
    drops, so without rounding a filter on a timestamp read back from a response misses.
    """
    return None if seconds is None else round(seconds * 1000) / 1000


def _tier_id(_account: Any) -> None:
    # Every account is in the base tier, whose ID is absent.
    return None


ACCOUNT_FIELDS = dict(
    [
        _field("id", "string", lambda a: a.id),
        _field("contactId", "string", lambda a: a.contact.id),
        _field("memberId", "string", lambda a: a.contact.member_id),
        _field("tier.id", "string", _tier_id),
        _field("tier.points", "number", lambda a: a.tier_points),
        _field("points.balance", "number", lambda a: a.balance),
        _field("points.earned", "number", lambda a: a.earned),
        _field("points.adjusted", "number", lambda a: a.adjusted),
        _field("points.redeemed", "number", lambda a: a.redeemed),
        _field("points.expired", "number", lambda a: a.expired),
        _field("revision", "number", lambda a: a.revision),
        _field("createdDate", "timestamp", lambda a: _round_to_milliseconds(a.created)),
        _field("updatedDate", "timestamp", lambda a: _round_to_milliseconds(a.updated)),
        _field("lastActivityDate", "timestamp", lambda a: _round_to_milliseconds(a.last_activity)),
        _field("pointsExpiration.expirationDate", "timestamp", lambda a: None),
        _field("pointsExpiration.expiringPointsAmount", "number", lambda a: None),
        _field("contact.id", "string", lambda a: a.contact.id),
        _field("contact.name", "string", lambda a: a.contact.name),
        _field("contact.email", "string", lambda a: a.contact.email),
        _field("contact.displayName", "string", lambda a: a.contact.display_name),
    ]
)

# Query Loyalty Accounts documents createdDate ascending as its default order and 100
# as its default page size.
ACCOUNT_QUERY = EntitySpec(
    name="loyalty account",
    fields=ACCOUNT_FIELDS,
    default_sort=(SortKey("createdDate"),),
    default_limit=100,
    max_limit=100,
    max_sort=5,
    text_fields=("contact.name", "contact.email"),
)

# NOTE: Search Accounts documents no default page size; 50 is the SDK builder's default.
ACCOUNT_SEARCH = EntitySpec(
    name="loyalty account",
    fields=ACCOUNT_FIELDS,
    default_sort=(SortKey("createdDate"),),
    default_limit=50,
    max_limit=100,
    max_sort=10,
    text_fields=("contact.name", "contact.email"),
)


def transaction_type(transaction: Any, settings: Settings) -> str:
    """Return the Transactions API ``transactionType`` of a recorded transaction."""
    if transaction.type == "GIVE":
        return settings.give_transaction_type
    return str(transaction.type)


def transaction_spec(settings: Settings) -> EntitySpec:
    fields = dict(
        [
            _field("id", "string", lambda t: t.id),
            _field("accountId", "string", lambda t: t.account_id),
            _field("idempotencyKey", "string", lambda t: t.idempotency_key),
            _field("description", "string", lambda t: t.description),
            _field("transactionType", "string", lambda t: transaction_type(t, settings)),
            _field("amount", "number", lambda t: t.amount),
            _field("createdDate", "timestamp", lambda t: _round_to_milliseconds(t.created)),
        ]
    )
    # NOTE: the order of Query Loyalty Transactions without a sort is not documented;
    # the emulator uses createdDate ascending, like Query Loyalty Accounts.
    return EntitySpec(
        name="loyalty transaction",
        fields=fields,
        default_sort=(SortKey("createdDate"),),
        default_limit=100,
        max_limit=100,
        max_sort=5,
    )
