"""A Hypothesis state machine of one site: accounts, points, bulk jobs, queries.

Every rule changes the target and the pure-Python model in ``wixcontract.model``
together, and after every step the invariants compare the two. On an emulator with a
manual clock, the machine moves the clock itself and checks the job timing exactly,
because its site gets a job profile of known delay and rate. On other targets it
polls. A failure prints the shrunk list of steps that reproduces it.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from wixcontract import api
from wixcontract.checks import assert_matches_model, collect_pages, expect_error
from wixcontract.model import (
    AccountModel,
    AllOwn,
    BalanceBetween,
    EarnedAbove,
    IdOrBalanceAtLeast,
    IdsIn,
    JobModel,
    MatchesNothing,
    NotIds,
    Selector,
    SiteModel,
    expected_matches,
    scoped_filter,
)
from wixcontract.targets import Response, Target

# Seconds a polled job may take before it counts as stuck.
POLLED_JOB_ALLOWANCE = 120.0
TIME_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Earned:
    account_id: str
    key: str
    amount: int
    transaction_id: str
    transaction_type: str = "EARN"


@dataclass(frozen=True)
class Adjusted:
    account_id: str
    amount: int
    transaction_id: str
    # The Transactions API shows balance sets and amounts both as ADJUST
    # (register entry give-in-transactions-api).
    transaction_type: str = "ADJUST"


@dataclass(frozen=True)
class SortBy:
    field: str
    order: str

    def to_json(self) -> list[dict[str, str]]:
        return [{"fieldName": self.field, "order": self.order}]

    def key(self, account: dict[str, Any]) -> Any:
        value: Any = account
        for part in self.field.split("."):
            value = value[part]
        return value


positions = st.lists(st.integers(0, 7), min_size=1, max_size=4).map(tuple)
amounts = st.integers(-400, 400).filter(lambda n: n != 0)
revisions = st.sampled_from(["current", "omitted", "stale"])
adjustments = st.one_of(
    st.tuples(st.just("balance"), st.integers(0, 300)),
    st.tuples(st.just("amount"), st.integers(-300, 300).filter(lambda n: n != 0)),
)
# Selectors over the fields that Search documents, for bulk adjust and search.
search_selectors: st.SearchStrategy[Selector] = st.one_of(
    st.just(AllOwn()),
    st.builds(IdsIn, positions),
    st.builds(
        lambda low, width: BalanceBetween(low, low + width),
        st.integers(0, 300),
        st.integers(1, 600),
    ),
    st.builds(IdOrBalanceAtLeast, st.integers(0, 7), st.integers(0, 400)),
    st.just(MatchesNothing()),
)
query_selectors = st.one_of(
    search_selectors, st.builds(EarnedAbove, st.integers(0, 300)), st.builds(NotIds, positions)
)
# On a polled target the search index may lag, so a bulk selection by points could pick
# other accounts than the model. Selections by ID do not depend on the index.
index_free_selectors: st.SearchStrategy[Selector] = st.one_of(
    st.builds(IdsIn, positions), st.just(MatchesNothing())
)
query_sorts = st.one_of(
    st.none(),
    st.builds(
        SortBy,
        st.sampled_from(["points.balance", "points.earned", "createdDate", "id"]),
        st.sampled_from(["ASC", "DESC"]),
    ),
)
search_sorts = st.one_of(st.none(), st.builds(SortBy, st.just("points.balance"), st.just("DESC")))
status_filters = st.sampled_from([None, "ALL", "FAILED_ONLY", "SUCCESSFUL_ONLY"])


def build_machine(session_target: Target) -> type[RuleBasedStateMachine]:
    """Build the machine class for ``session_target``, with strategies that suit it."""
    exact = session_target.can_control_clock
    bulk_selectors = search_selectors if exact else index_free_selectors
    max_accounts = 6 if session_target.is_emulator else 3

    class LoyaltySite(RuleBasedStateMachine):
        accounts = Bundle("accounts")
        earns = Bundle("earns")
        transactions = Bundle("transactions")
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            self.target = session_target.for_new_site()
            self.model = SiteModel()

        def teardown(self) -> None:
            self.target.release_site()

        # -- helpers ---------------------------------------------------------------

        def account(self, account_id: str) -> AccountModel:
            return self.model.accounts[account_id]

        def touchable(self, account_id: str) -> bool:
            """On a polled target, leave accounts alone while a job may change them."""
            return exact or not self.model.in_flight(account_id)

        def settled(self) -> list[AccountModel]:
            return [a for a in self.model.ordered() if self.touchable(a.id)]

        def settle(self, check: Callable[[], None]) -> None:
            """Run ``check``, retrying it on a polled target while a lagging index catches up."""
            attempts = 1 if exact else 5
            for attempt in range(attempts):
                try:
                    check()
                    return
                except AssertionError:
                    if attempt == attempts - 1:
                        raise
                    time.sleep(2**attempt)

        def revision_field(self, model: AccountModel, revision: str) -> dict[str, str]:
            if revision == "omitted":
                return {}
            if revision == "stale":
                stale = model.revision - 1 if model.revision > 1 else model.revision + 1000
                return {"revision": str(stale)}
            return {"revision": str(model.revision)}

        # -- accounts and points ---------------------------------------------------

        @precondition(lambda self: len(self.model.accounts) < max_accounts)
        @rule(target=accounts)
        def create_account(self) -> str:
            account = api.new_account(self.target)
            assert account["revision"] == "1", account
            model = AccountModel(account["id"], account["contactId"])
            assert_matches_model(account, model, exact=exact)
            self.model.accounts[model.id] = model
            return model.id

        @rule(target=earns, account_id=accounts, amount=st.integers(1, 300))
        def earn_points(self, account_id: str, amount: int) -> Any:
            if not self.touchable(account_id):
                return multiple()
            key = str(uuid.uuid4())
            body = api.earn(self.target, account_id, amount, key=key).expect(200)
            model = self.account(account_id)
            model.earn(amount)
            assert_matches_model(body["account"], model, exact=exact)
            return Earned(account_id, key, amount, body["transactionId"])

        @rule(earned=earns)
        def replay_earn(self, earned: Earned) -> None:
            if not self.touchable(earned.account_id):
                return
            response = api.earn(self.target, earned.account_id, earned.amount, key=earned.key)
            expect_error(response, 409, "TRANSACTION_ALREADY_EXISTS", guess="earn-idempotency")

        @rule(
            target=transactions,
            account_id=accounts,
            balance=st.integers(-20, 400),
            revision=revisions,
        )
        def adjust_balance(self, account_id: str, balance: int, revision: str) -> Any:
            if not self.touchable(account_id):
                return multiple()
            model = self.account(account_id)
            body = {"balance": balance, **self.revision_field(model, revision)}
            response = api.adjust(self.target, account_id, **body)
            if balance < 0:
                expect_error(response, 400, field="balance")
                return multiple()
            if revision == "stale":
                expect_error(response, 409, "REVISION_MISMATCH", guess="adjust-revision-optional")
                return multiple()
            before = model.balance
            assert model.apply("balance", balance) is None
            result = response.expect(200)
            assert_matches_model(result["account"], model, exact=exact)
            return Adjusted(account_id, balance - before, result["transactionId"])

        @rule(target=transactions, account_id=accounts, amount=amounts, revision=revisions)
        def adjust_amount(self, account_id: str, amount: int, revision: str) -> Any:
            if not self.touchable(account_id):
                return multiple()
            model = self.account(account_id)
            body = {"amount": amount, **self.revision_field(model, revision)}
            response = api.adjust(self.target, account_id, **body)
            if revision == "stale":
                expect_error(response, 409, "REVISION_MISMATCH", guess="adjust-revision-optional")
                return multiple()
            code = model.apply("amount", amount)
            if code is not None:
                expect_error(response, 400, code, guess="adjust-negative-balance")
                return multiple()
            result = response.expect(200)
            assert_matches_model(result["account"], model, exact=exact)
            return Adjusted(account_id, amount, result["transactionId"])

        @rule(
            target=transactions,
            account_id=accounts,
            balance=st.integers(0, 400),
            amount=amounts,
        )
        def adjust_balance_and_amount(self, account_id: str, balance: int, amount: int) -> Any:
            if not self.touchable(account_id):
                return multiple()
            model = self.account(account_id)
            response = api.adjust(self.target, account_id, balance=balance, amount=amount)
            before = model.balance
            assert model.apply("balance", balance) is None, "both-balance-and-amount"
            result = response.expect(200)
            assert_matches_model(result["account"], model, exact=exact)
            return Adjusted(account_id, balance - before, result["transactionId"])

        @rule(record=st.one_of(earns, transactions))
        def check_transaction(self, record: Earned | Adjusted) -> None:
            body = api.get_transaction(self.target, record.transaction_id).expect(200)
            transaction = body["loyaltyTransaction"]
            assert transaction["accountId"] == record.account_id
            assert transaction["transactionType"] == record.transaction_type, transaction
            assert transaction["amount"] == record.amount, ("adjust-amount-sign", transaction)

        # -- bulk adjust and jobs --------------------------------------------------

        @precondition(lambda self: self.model.idle_accounts())
        @rule(target=jobs, selector=bulk_selectors, adjustment=adjustments)
        def bulk_adjust(self, selector: Selector, adjustment: tuple[str, int]) -> str:
            operation, value = adjustment
            scope = self.model.idle_accounts()
            everyone = self.model.ordered()
            search_filter = scoped_filter(selector, scope, everyone, "id")
            selected = expected_matches(selector, scope, everyone)
            created = self.target.now()
            body = {operation: value}
            job_id: str = api.bulk_adjust(self.target, search_filter, **body).expect(200)[
                "asyncJobId"
            ]
            timing = self.target.job_timing
            if exact and timing is not None:
                deadline = created + timing.duration(len(selected))
            else:
                deadline = created + POLLED_JOB_ALLOWANCE
            ids = frozenset(a.id for a in selected)
            self.model.jobs[job_id] = JobModel(job_id, ids, operation, value, created, deadline)
            return job_id

        @precondition(lambda self: exact and self.model.pending_jobs())
        @rule(seconds=st.sampled_from([0.25, 0.5, 0.75, 1.5]))
        def advance_clock(self, seconds: float) -> None:
            self.target.advance(seconds)
            for job in self.model.pending_jobs():
                self.sync_job(job)

        @precondition(lambda self: exact and self.model.pending_jobs())
        @rule(job_id=jobs, items=st.integers(0, 5))
        def advance_into_job(self, job_id: str, items: int) -> None:
            """Move the clock to when the job's first ``items`` items are due, if ahead."""
            job = self.model.jobs[job_id]
            timing = self.target.job_timing
            assert timing is not None
            moment = job.created + timing.duration(min(items, len(job.account_ids)))
            if job.finished or moment <= self.target.now():
                return
            self.target.advance(moment - self.target.now())
            for pending in self.model.pending_jobs():
                self.sync_job(pending)

        @precondition(lambda self: self.model.pending_jobs())
        @rule()
        def wait_for_jobs(self) -> None:
            for job in self.model.pending_jobs():
                self.target.wait_for_job(job.id, job.deadline)
            for job in self.model.pending_jobs():
                self.sync_job(job)
                assert job.finished, f"job {job.id} did not finish by its deadline"

        def list_items(self, job_id: str, **params: Any) -> list[dict[str, Any]]:
            first = api.list_job_items(self.target, job_id, **params)

            def next_page(cursor: str) -> Response:
                return api.list_job_items(self.target, job_id, cursor=cursor)

            return collect_pages(first, "results", next_page, params.get("limit"))

        def sync_job(self, job: JobModel) -> None:
            """Apply the job's newly listed items to the model and check the job's counts."""
            items = self.list_items(job.id)
            remote = api.get_job(self.target, job.id).expect(200)["job"]
            seen = list(job.outcomes)
            assert [i["entityId"] for i in items[: len(seen)]] == seen, "items changed order"
            for item in items[len(seen) :]:
                account_id = item["entityId"]
                assert account_id in job.account_ids, f"job {job.id} touched {account_id}"
                code = self.model.apply_item(job, account_id)
                assert item["success"] == (code is None), (item, code)
                if code is not None:
                    assert item["error"]["code"] == code, ("bulk-partial-failure", item)
            job.status = remote["status"]
            counts = remote["counts"]
            assert counts["total"] == len(job.account_ids), ("job-shape", remote)
            if exact or job.finished:
                assert counts["successCount"] == job.success_count, (remote, job)
                assert counts["failCount"] == len(job.outcomes) - job.success_count, remote
                assert counts["errorByCodeCount"] == job.failures_by_code, remote
            if job.finished:
                assert job.status == "FINISHED", ("bulk-partial-failure", remote)
                assert set(job.outcomes) == job.account_ids, (
                    f"job {job.id} is {job.status} but listed {len(job.outcomes)} of "
                    f"{len(job.account_ids)} items: {remote}"
                )
            if exact:
                self.check_timing(job)

        def check_timing(self, job: JobModel) -> None:
            """Check status and progress against the site's job profile (register: job-timing)."""
            timing = self.target.job_timing
            assert timing is not None
            start = job.created + timing.delay
            now = self.target.now()
            total = len(job.account_ids)
            if now + TIME_TOLERANCE < start:
                expected_status, due = "INITIALIZED", 0
            else:
                due = min(total, math.floor((now - start + TIME_TOLERANCE) * timing.rate))
                expected_status = "FINISHED" if due == total else "PROCESSING"
            assert (job.status, len(job.outcomes)) == (expected_status, due), (
                f"job {job.id} at +{now - job.created:g} s: {job.status} with "
                f"{len(job.outcomes)} items, the timing says {expected_status} with {due}"
            )

        @rule(job_id=jobs, status_filter=status_filters, limit=st.sampled_from([None, 1, 2, 3]))
        def list_job_items(self, job_id: str, status_filter: str | None, limit: int | None) -> None:
            job = self.model.jobs[job_id]
            if not exact and not job.finished:
                return
            items = self.list_items(job_id, status_filter=status_filter, limit=limit)
            expected = [
                account_id
                for account_id, code in job.outcomes.items()
                if status_filter not in ("FAILED_ONLY", "SUCCESSFUL_ONLY")
                or (code is None) == (status_filter == "SUCCESSFUL_ONLY")
            ]
            assert [i["entityId"] for i in items] == expected
            for item in items:
                assert item["success"] == (job.outcomes[item["entityId"]] is None), item

        # -- query, search, count --------------------------------------------------

        @precondition(lambda self: self.model.accounts)
        @rule(selector=query_selectors, sort=query_sorts, limit=st.integers(1, 4))
        def query_accounts(self, selector: Selector, sort: SortBy | None, limit: int) -> None:
            scope = self.settled()
            query: dict[str, Any] = {
                "filter": scoped_filter(selector, scope, self.model.ordered(), "id"),
                "cursorPaging": {"limit": limit},
            }
            if sort is not None:
                query["sort"] = sort.to_json()

            def next_page(cursor: str) -> Response:
                return api.query_accounts(
                    self.target, {"cursorPaging": {"cursor": cursor, "limit": limit}}
                )

            def check() -> None:
                first = api.query_accounts(self.target, query)
                items = collect_pages(first, "loyaltyAccounts", next_page, limit)
                self.check_listing(items, selector, scope, sort)

            self.settle(check)

        @precondition(lambda self: self.model.accounts)
        @rule(selector=search_selectors, sort=search_sorts, limit=st.integers(1, 4))
        def search_accounts(self, selector: Selector, sort: SortBy | None, limit: int) -> None:
            scope = self.settled()
            search: dict[str, Any] = {
                "filter": scoped_filter(selector, scope, self.model.ordered(), "contact.id"),
                "cursorPaging": {"limit": limit},
            }
            if sort is not None:
                search["sort"] = sort.to_json()

            def next_page(cursor: str) -> Response:
                return api.search_accounts(
                    self.target, {"cursorPaging": {"cursor": cursor, "limit": limit}}
                )

            def check() -> None:
                first = api.search_accounts(self.target, search)
                items = collect_pages(first, "accounts", next_page, limit)
                self.check_listing(items, selector, scope, sort)

            self.settle(check)

        @precondition(lambda self: self.model.accounts)
        @rule(selector=search_selectors)
        def count_accounts(self, selector: Selector) -> None:
            scope = self.settled()
            everyone = self.model.ordered()
            search_filter = scoped_filter(selector, scope, everyone, "contact.id")
            expected = len(expected_matches(selector, scope, everyone))

            def check() -> None:
                body = api.count_accounts(self.target, search_filter).expect(200)
                assert body == {"count": expected}, (selector, body)

            self.settle(check)

        def check_listing(
            self,
            items: list[dict[str, Any]],
            selector: Selector,
            scope: list[AccountModel],
            sort: SortBy | None,
        ) -> None:
            expected = expected_matches(selector, scope, self.model.ordered())
            ids = [item["id"] for item in items]
            assert len(ids) == len(set(ids)), f"an account came twice: {ids}"
            assert set(ids) == {a.id for a in expected}, (selector, ids)
            for item in items:
                assert_matches_model(item, self.account(item["id"]), exact=exact)
            order = sort or SortBy("createdDate", "ASC")
            keys = [order.key(item) for item in items]
            ordered = sorted(keys, reverse=order.order == "DESC")
            assert keys == ordered, f"not sorted by {order}: {keys}"

        # -- invariants ------------------------------------------------------------

        @invariant()
        def accounts_match_model(self) -> None:
            settled = self.settled()
            if not settled:
                return
            if exact:
                query = {
                    "filter": {"id": {"$in": [a.id for a in settled]}},
                    "cursorPaging": {"limit": 100},
                }
                body = api.query_accounts(self.target, query).expect(200)
                found = {item["id"]: item for item in body["loyaltyAccounts"]}
            else:
                found = {
                    a.id: api.get_account(self.target, a.id).expect(200)["account"] for a in settled
                }
            assert set(found) == {a.id for a in settled}, "an account went missing"
            for model in settled:
                assert_matches_model(found[model.id], model, exact=exact)
                if not exact:
                    model.revision = int(found[model.id]["revision"])

        @invariant()
        def jobs_finish_by_deadline(self) -> None:
            now = self.target.now()
            for job in self.model.pending_jobs():
                if now + TIME_TOLERANCE >= job.deadline:
                    self.sync_job(job)
                    assert job.finished, (
                        f"job {job.id} is {job.status} past its deadline "
                        f"(+{now - job.created:g} s after creation)"
                    )

    return LoyaltySite


def test_loyalty_site_state_machine(session_target: Target, machine_settings: settings) -> None:
    machine = build_machine(session_target)
    run_state_machine_as_test(machine, settings=machine_settings)
