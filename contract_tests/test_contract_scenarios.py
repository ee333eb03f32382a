"""Whole scenarios that ``--record`` stores from a live run, for replay against the emulator.

Each test uses only what a live site allows: contacts and accounts it creates, and
bulk adjusts scoped to them. Their exchanges under ``fixtures/recorded/`` are
replayed by ``test_contract_replay.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from wixcontract import api
from wixcontract.checks import collect_pages, expect_error
from wixcontract.targets import Response, Target


@pytest.mark.recorded
def test_points_lifecycle(target: Target) -> None:
    account = api.new_account(target)
    account_id = account["id"]
    api.get_account(target, account_id).expect(200)
    earned = api.earn(target, account_id, 40, description="Signed up").expect(200)
    key = earned["account"]["latestTransaction"]["idempotencyKey"]
    replay = api.earn(target, account_id, 40, key=key)
    expect_error(replay, 409, "TRANSACTION_ALREADY_EXISTS", guess="earn-idempotency")
    api.adjust(target, account_id, balance=100, revision="2").expect(200)
    api.adjust(target, account_id, amount=-30, description="Correction").expect(200)
    expect_error(api.adjust(target, account_id, amount=-500), 400, "NEGATIVE_BALANCE")
    stale = api.adjust(target, account_id, amount=5, revision="1")
    expect_error(stale, 409, "REVISION_MISMATCH", guess="adjust-revision-optional")
    given = api.adjust(target, account_id, balance=10, amount=99).expect(200)
    api.get_transaction(target, given["transactionId"]).expect(200)
    query = {"filter": {"accountId": account_id}, "sort": [{"fieldName": "createdDate"}]}
    transactions = api.query_transactions(target, query).expect(200)
    assert len(transactions["loyaltyTransactions"]) == 4
    expect_error(api.get_account(target, target.unknown_id()), 404, "NOT_FOUND")


def _all_items(target: Target, job_id: str, **params: Any) -> list[dict[str, Any]]:
    first = api.list_job_items(target, job_id, **params)

    def next_page(cursor: str) -> Response:
        return api.list_job_items(target, job_id, cursor=cursor)

    return collect_pages(first, "results", next_page, params.get("limit"))


@pytest.mark.recorded
def test_bulk_adjust_lifecycle(target: Target) -> None:
    accounts = [api.new_account(target) for _ in range(3)]
    ids = [a["id"] for a in accounts]
    # Distinct balances keep the sorted query below free of ties, whose order is not fixed.
    api.adjust(target, ids[0], balance=80).expect(200)
    api.adjust(target, ids[1], balance=60).expect(200)
    search_filter = {"$and": [{"id": {"$in": ids}}, {"points.balance": {"$lt": 1000}}]}
    job_id = api.bulk_adjust(target, search_filter, amount=-50).expect(200)["asyncJobId"]
    timing = target.job_timing
    allowance = 300.0 if timing is None else timing.duration(len(ids)) + 1.0
    job = target.wait_for_job(job_id, target.now() + allowance)
    assert job["counts"] == {
        "total": 3,
        "successCount": 2,
        "failCount": 1,
        "errorByCodeCount": {"NEGATIVE_BALANCE": 1},
    }
    assert len(_all_items(target, job_id, limit=2)) == 3
    assert len(_all_items(target, job_id, status_filter="FAILED_ONLY")) == 1
    assert len(_all_items(target, job_id, status_filter="SUCCESSFUL_ONLY")) == 2
    query = {"filter": {"id": {"$in": ids}}, "sort": [{"fieldName": "points.balance"}]}
    body = api.query_accounts(target, query).expect(200)
    assert [a["points"]["balance"] for a in body["loyaltyAccounts"]] == [0, 10, 30]
    count = api.count_accounts(target, {"contact.id": {"$in": [a["contactId"] for a in accounts]}})
    assert count.expect(200) == {"count": 3}
