"""A pure-Python model of one site's loyalty accounts and bulk jobs.

The state machine changes the model whenever it changes the target, then checks that
the two agree. Rules that Wix does not document follow the emulator's register of
guesses, and the name of each guess is given where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Register entry adjust-negative-balance and bulk-partial-failure: the emulator's code.
NEGATIVE_BALANCE = "NEGATIVE_BALANCE"


@dataclass
class AccountModel:
    id: str
    contact_id: str
    earned: int = 0
    adjusted: int = 0
    revision: int = 1
    # The expected latestTransaction.type: EARN, ADJUST (balance set) or GIVE (amount).
    latest_type: str | None = None

    @property
    def balance(self) -> int:
        return self.earned + self.adjusted

    def earn(self, amount: int) -> None:
        self.earned += amount
        self._changed("EARN")

    def apply(self, operation: str, value: int) -> str | None:
        """Apply a balance set or an amount. Return an error code if it is rejected."""
        delta = value - self.balance if operation == "balance" else value
        if self.balance + delta < 0:
            return NEGATIVE_BALANCE
        self.adjusted += delta
        self._changed("ADJUST" if operation == "balance" else "GIVE")
        return None

    def _changed(self, transaction_type: str) -> None:
        self.revision += 1
        self.latest_type = transaction_type


@dataclass
class JobModel:
    """A bulk adjust: the accounts it selected and, once seen, each item's outcome."""

    id: str
    account_ids: frozenset[str]
    operation: str
    value: int
    created: float
    deadline: float
    # account ID -> None for a successful item, else its error code. In item order.
    outcomes: dict[str, str | None] = field(default_factory=dict)
    status: str = "INITIALIZED"

    @property
    def finished(self) -> bool:
        return self.status in ("FINISHED", "FAILED")

    @property
    def success_count(self) -> int:
        return sum(1 for code in self.outcomes.values() if code is None)

    @property
    def failures_by_code(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for code in self.outcomes.values():
            if code is not None:
                counts[code] = counts.get(code, 0) + 1
        return counts


@dataclass
class SiteModel:
    accounts: dict[str, AccountModel] = field(default_factory=dict)
    jobs: dict[str, JobModel] = field(default_factory=dict)

    def ordered(self) -> list[AccountModel]:
        return list(self.accounts.values())

    def pending_jobs(self) -> list[JobModel]:
        return [job for job in self.jobs.values() if not job.finished]

    def in_flight(self, account_id: str) -> bool:
        """Return whether a pending job has still to apply its item for the account."""
        return any(
            account_id in job.account_ids and account_id not in job.outcomes
            for job in self.pending_jobs()
        )

    def idle_accounts(self) -> list[AccountModel]:
        return [a for a in self.ordered() if not self.in_flight(a.id)]

    def apply_item(self, job: JobModel, account_id: str) -> str | None:
        """Apply one job item to the model and record its expected outcome."""
        code = self.accounts[account_id].apply(job.operation, job.value)
        job.outcomes[account_id] = code
        return code


# -- selectors: filters over the model's accounts, rendered as Wix filters ---------------


def _pick(accounts: list[AccountModel], positions: tuple[int, ...]) -> list[AccountModel]:
    return [accounts[p % len(accounts)] for p in positions] if accounts else []


@dataclass(frozen=True)
class Selector:
    """A filter over accounts. ``id_field`` names the ID field: ``id`` or ``contact.id``."""

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        raise NotImplementedError


def _ids(chosen: list[AccountModel], id_field: str) -> list[str]:
    return [a.id if id_field == "id" else a.contact_id for a in chosen]


@dataclass(frozen=True)
class AllOwn(Selector):
    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return None

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return True


@dataclass(frozen=True)
class IdsIn(Selector):
    positions: tuple[int, ...]

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return {id_field: {"$in": _ids(_pick(accounts, self.positions), id_field)}}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return account in _pick(accounts, self.positions)


@dataclass(frozen=True)
class BalanceBetween(Selector):
    low: int
    high: int

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return {"points.balance": {"$gte": self.low, "$lt": self.high}}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return self.low <= account.balance < self.high


@dataclass(frozen=True)
class EarnedAbove(Selector):
    value: int

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return {"points.earned": {"$gt": self.value}}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return account.earned > self.value


@dataclass(frozen=True)
class IdOrBalanceAtLeast(Selector):
    position: int
    low: int

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        chosen = _ids(_pick(accounts, (self.position,)), id_field)
        return {"$or": [{id_field: chosen[0]}, {"points.balance": {"$gte": self.low}}]}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return account in _pick(accounts, (self.position,)) or account.balance >= self.low


@dataclass(frozen=True)
class NotIds(Selector):
    positions: tuple[int, ...]

    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return {"$not": {id_field: {"$in": _ids(_pick(accounts, self.positions), id_field)}}}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return account not in _pick(accounts, self.positions)


@dataclass(frozen=True)
class MatchesNothing(Selector):
    def condition(self, accounts: list[AccountModel], id_field: str) -> dict[str, Any] | None:
        return {"points.balance": {"$lt": 0}}

    def matches(self, account: AccountModel, accounts: list[AccountModel]) -> bool:
        return False


def scoped_filter(
    selector: Selector, scope: list[AccountModel], accounts: list[AccountModel], id_field: str
) -> dict[str, Any]:
    """AND the selector with an ``$in`` over ``scope``, so only those accounts can match."""
    own = {id_field: {"$in": _ids(scope, id_field)}}
    condition = selector.condition(accounts, id_field)
    return own if condition is None else {"$and": [own, condition]}


def expected_matches(
    selector: Selector, scope: list[AccountModel], accounts: list[AccountModel]
) -> list[AccountModel]:
    return [a for a in scope if selector.matches(a, accounts)]
