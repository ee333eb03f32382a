"""Bulk Adjust Points and the Async Job API: job shape, lifecycle, items and paging."""

from __future__ import annotations

from typing import Any

import pytest
from wixcontract import api
from wixcontract.checks import collect_pages, expect_error
from wixcontract.model import NEGATIVE_BALANCE
from wixcontract.paths import ACCOUNTS, JOBS
from wixcontract.targets import Response, Target


def start_job(target: Target, ids: list[str], **operation: Any) -> str:
    body = api.bulk_adjust(target, {"id": {"$in": ids}}, **operation).expect(200)
    job_id: str = body["asyncJobId"]
    return job_id


def finish(target: Target, job_id: str, items: int) -> dict[str, Any]:
    timing = target.job_timing
    allowance = 300.0 if timing is None else timing.duration(items) + 1.0
    return target.wait_for_job(job_id, target.now() + allowance)


def all_items(target: Target, job_id: str, **params: Any) -> list[dict[str, Any]]:
    first = api.list_job_items(target, job_id, **params)

    def next_page(cursor: str) -> Response:
        return api.list_job_items(target, job_id, cursor=cursor)

    return collect_pages(first, "results", next_page, params.get("limit"))


def test_bulk_adjust_amount_finishes(target: Target) -> None:
    accounts = [api.new_account(target) for _ in range(2)]
    ids = [a["id"] for a in accounts]
    job_id = start_job(target, ids, amount=15)
    job = finish(target, job_id, len(ids))
    assert job["status"] == "FINISHED"
    assert job["counts"]["total"] == 2
    assert job["counts"]["successCount"] == 2
    assert job["counts"]["failCount"] == 0
    for account_id in ids:
        account = api.get_account(target, account_id).expect(200)["account"]
        assert account["points"]["balance"] == 15
        assert account["latestTransaction"]["type"] == "GIVE"


def test_bulk_adjust_balance_sets_each_balance(target: Target) -> None:
    accounts = [api.new_account(target) for _ in range(2)]
    api.earn(target, accounts[0]["id"], 70).expect(200)
    ids = [a["id"] for a in accounts]
    finish(target, start_job(target, ids, balance=40), len(ids))
    for account_id in ids:
        account = api.get_account(target, account_id).expect(200)["account"]
        assert account["points"]["balance"] == 40
        assert account["latestTransaction"]["type"] == "ADJUST"


def test_bulk_adjust_partial_failure(target: Target) -> None:
    poor, rich = api.new_account(target), api.new_account(target)
    api.adjust(target, rich["id"], balance=100).expect(200)
    job_id = start_job(target, [poor["id"], rich["id"]], amount=-50)
    job = finish(target, job_id, 2)
    assert job["status"] == "FINISHED", "bulk-partial-failure: a failed item keeps FINISHED"
    assert job["counts"]["successCount"] == 1
    assert job["counts"]["failCount"] == 1
    assert job["counts"]["errorByCodeCount"] == {NEGATIVE_BALANCE: 1}
    failed = all_items(target, job_id, status_filter="FAILED_ONLY")
    assert [item["entityId"] for item in failed] == [poor["id"]]
    assert failed[0]["success"] is False
    assert failed[0]["error"]["code"] == NEGATIVE_BALANCE
    succeeded = all_items(target, job_id, status_filter="SUCCESSFUL_ONLY")
    assert [item["entityId"] for item in succeeded] == [rich["id"]]
    everything = all_items(target, job_id, status_filter="ALL")
    assert sorted(i["entityId"] for i in everything) == sorted([poor["id"], rich["id"]])


def test_job_items_page_with_cursor(target: Target) -> None:
    ids = [api.new_account(target)["id"] for _ in range(3)]
    job_id = start_job(target, ids, amount=1)
    finish(target, job_id, len(ids))
    items = all_items(target, job_id, limit=1)
    assert sorted(item["entityId"] for item in items) == sorted(ids)


def test_bulk_adjust_matching_nothing_finishes_empty(target: Target) -> None:
    account = api.new_account(target)
    own = {"id": {"$in": [account["id"]]}}
    body = api.bulk_adjust(target, {"$and": [own, {"points.balance": {"$lt": 0}}]}, amount=5)
    job_id = body.expect(200)["asyncJobId"]
    job = finish(target, job_id, 0)
    assert job["status"] == "FINISHED"
    assert job["counts"]["total"] == 0
    assert all_items(target, job_id) == []


def test_job_progress_follows_timing(target: Target) -> None:
    if not target.can_control_clock or target.job_timing is None:
        pytest.skip("needs an emulator with a manual clock")
    timing = target.job_timing
    ids = [api.new_account(target)["id"] for _ in range(3)]
    created = target.now()
    job_id = start_job(target, ids, amount=2)
    assert api.get_job(target, job_id).expect(200)["job"]["status"] == "INITIALIZED"
    target.advance(timing.delay / 2)
    job = api.get_job(target, job_id).expect(200)["job"]
    assert job["status"] == "INITIALIZED"
    assert all_items(target, job_id) == []
    for done in (1, 2):
        target.advance(created + timing.duration(done) - target.now())
        job = api.get_job(target, job_id).expect(200)["job"]
        assert job["status"] == "PROCESSING", f"after {done} items: {job}"
        assert job["counts"]["successCount"] == done
        items = all_items(target, job_id)
        assert len(items) == done
        applied = api.get_account(target, items[-1]["entityId"]).expect(200)["account"]
        assert applied["points"]["balance"] == 2
    target.advance(created + timing.duration(3) - target.now())
    job = api.get_job(target, job_id).expect(200)["job"]
    assert job["status"] == "FINISHED"
    assert job["counts"]["successCount"] == 3


def test_get_unknown_job_not_found(target: Target) -> None:
    expect_error(api.get_job(target, target.unknown_id()), 404, "NOT_FOUND")


def test_list_items_of_unknown_job_not_found(target: Target) -> None:
    response = api.list_job_items(target, target.unknown_id())
    expect_error(response, 404, "NOT_FOUND")


def test_list_items_bad_status_filter_rejected(target: Target) -> None:
    account = api.new_account(target)
    job_id = start_job(target, [account["id"]], amount=1)
    response = api.list_job_items(target, job_id, status_filter="SOMETIMES")
    expect_error(response, 400, field="statusFilter")


def test_bulk_adjust_without_operation_rejected(target: Target) -> None:
    account = api.new_account(target)
    body = {"search": {"filter": {"id": {"$in": [account["id"]]}}}}
    response = target.request("POST", f"{ACCOUNTS}/bulk-adjust", json=body)
    expect_error(response, 400)


@pytest.mark.emulator_only
def test_bulk_adjust_without_search_selects_all(target: Target) -> None:
    ids = [api.new_account(target)["id"] for _ in range(2)]
    body = target.request("POST", f"{ACCOUNTS}/bulk-adjust", json={"amount": 3}).expect(200)
    job = finish(target, body["asyncJobId"], len(ids))
    assert job["counts"]["total"] == 2, "bulk-selection: an absent search selects all"


def test_unprefixed_job_path_served(target: Target) -> None:
    if not target.is_emulator:
        pytest.skip("the unprefixed path is one docs page's form; only the emulator serves it")
    account = api.new_account(target)
    job_id = start_job(target, [account["id"]], amount=1)
    response = target.request("GET", f"/v1/async-jobs/{job_id}")
    assert response.expect(200)["job"]["id"] == job_id
    assert JOBS.endswith("/v1/async-jobs")
