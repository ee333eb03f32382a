"""Plain data records for one site's state: contacts, accounts, transactions, program, jobs.

Times are epoch seconds from the emulator's clock; the REST layer formats them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

# The Wix Loyalty app's ID, which Wix records as ``appId`` of manual operations.
LOYALTY_APP_ID = "553c79f3-5625-4f38-b14b-ef7c0d1e87df"

# Masks that turn 128 random bits into a version 4, RFC 4122 variant UUID.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """Return a new random lowercase GUID, the format of every Wix ID.

    The result equals ``str(uuid.uuid4())`` for the same random bytes. Skipping the
    ``UUID`` object halves the cost, which counts because a bulk job creates two IDs
    per account.
    """
    value = int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(slots=True)
class Contact:
    id: str
    name: str | None = None
    email: str | None = None
    member_id: str | None = None
    picture_url: str | None = None

    @property
    def display_name(self) -> str | None:
        return self.name or self.email


@dataclass(slots=True)
class Transaction:
    """One change of an account's points.

    ``type`` uses the legacy names of ``latestTransaction``: EARN, ADJUST (balance set),
    GIVE (amount added or removed). The Transactions API maps GIVE per the settings.
    """

    id: str
    account_id: str
    created: float
    amount: int
    type: str
    description: str | None = None
    app_id: str | None = None
    idempotency_key: str | None = None
    activity_type: str | None = None
    order_id: str | None = None
    social_channel: str | None = None
    amount_before: int = 0
    amount_after: int = 0


@dataclass(slots=True)
class Account:
    id: str
    contact: Contact
    created: float
    updated: float
    earned: int = 0
    adjusted: int = 0
    redeemed: int = 0
    expired: int = 0
    revision: int = 1
    last_activity: float | None = None
    latest_transaction: Transaction | None = None

    @property
    def contact_id(self) -> str:
        return self.contact.id

    @property
    def member_id(self) -> str | None:
        return self.contact.member_id

    @property
    def balance(self) -> int:
        return self.earned + self.adjusted - self.redeemed - self.expired

    @property
    def tier_points(self) -> int:
        return max(0, self.earned + self.adjusted)


@dataclass(slots=True)
class Program:
    created: float
    updated: float
    status: str = "ACTIVE"
    name: str = "Loyalty Program"
    custom_name: str = "Points"
    icon: dict[str, Any] | None = None
    expiration_status: str = "DISABLED"
    months_of_inactivity: int | None = None
    expiring_points_percentage: int | None = None


@dataclass(slots=True)
class JobItem:
    id: str
    entity_id: str
    success: bool
    error_code: str | None = None
    error_description: str | None = None


@dataclass(slots=True)
class Job:
    """An async job that adjusts ``account_ids`` in order, one item per account.

    The job is due to start at ``start_at`` and reaches item ``i`` at
    ``start_at + (i + 1) / rate``; ``rate`` None means all items at ``start_at``.
    """

    id: str
    created: float
    updated: float
    account_ids: list[str]
    operation: str  # "balance" or "amount"
    value: int
    start_at: float
    rate: float | None
    status: str = "INITIALIZED"
    items: list[JobItem] = field(default_factory=list)
    success_count: int = 0
    fail_count: int = 0
    errors_by_code: dict[str, int] = field(default_factory=dict)
    created_by_app_id: str = LOYALTY_APP_ID
    # Jobs of the "polls" profile finish on the ``polls_required``-th Get Async Job.
    polls_required: int | None = None
    polls_seen: int = 0
    # Controls for reproducing bugs: a held job does not move until released.
    held: bool = False
    held_since: float | None = None
    forced_failures: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in ("FINISHED", "FAILED")
