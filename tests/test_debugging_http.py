"""Bug-reproduction controls over real HTTP: faults, rate limit, job control, stale
search, the journal and snapshots."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"


@pytest.fixture
def control(control_client: httpx.Client) -> httpx.Client:
    return control_client


@pytest.fixture
def wix(client: httpx.Client) -> httpx.Client:
    return client


def seed_accounts(control: httpx.Client, site_id: str, balances: list[int]) -> list[str]:
    accounts = [{"balance": balance} for balance in balances]
    response = control.post("/_emulator/seed", json={"siteId": site_id, "accounts": accounts})
    assert response.status_code == 200
    account_ids: list[str] = response.json()["accountIds"]
    return account_ids


def balance_of(wix: httpx.Client, account_id: str) -> int:
    balance: int = wix.get(f"{ACCOUNTS}/{account_id}").json()["account"]["points"]["balance"]
    return balance


def job_of(wix: httpx.Client, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = wix.get(f"{JOBS}/{job_id}").json()["job"]
    return job


def bulk_amount(wix: httpx.Client, amount: int) -> str:
    response = wix.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": amount})
    assert response.status_code == 200
    job_id: str = response.json()["asyncJobId"]
    return job_id


def test_fault_fires_on_nth_call_then_expires(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    rule = {
        "operation": "getLoyaltyProgram",
        "siteId": site_id,
        "nth": 2,
        "times": 1,
        "status": 503,
    }
    assert control.post("/_emulator/faults", json=rule).status_code == 200
    statuses = [wix.get("/loyalty-programs/v1/program").status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 200]
    listed = control.get("/_emulator/faults").json()["rules"]
    assert listed[0]["expired"] is True


def test_fault_body_is_wix_envelope(control: httpx.Client, wix: httpx.Client) -> None:
    control.post("/_emulator/faults", json={"path": "/loyalty-programs/*", "status": 500})
    body = wix.get("/loyalty-programs/v1/program").json()
    assert body["details"]["applicationError"]["code"] == "INTERNAL"


def test_fault_custom_body_is_returned(control: httpx.Client, wix: httpx.Client) -> None:
    custom = {"message": "quota", "details": {"applicationError": {"code": "QUOTA"}}}
    control.post(
        "/_emulator/faults", json={"operation": "getLoyaltyProgram", "status": 409, "body": custom}
    )
    response = wix.get("/loyalty-programs/v1/program")
    assert response.status_code == 409
    assert response.json() == custom


def test_fault_drop_closes_connection(control: httpx.Client, wix: httpx.Client) -> None:
    control.post(
        "/_emulator/faults", json={"operation": "getLoyaltyProgram", "drop": True, "times": 1}
    )
    with pytest.raises(httpx.TransportError):
        wix.get("/loyalty-programs/v1/program")
    assert wix.get("/loyalty-programs/v1/program").status_code == 200


def test_fault_rule_rejects_missing_action(control: httpx.Client) -> None:
    response = control.post("/_emulator/faults", json={"operation": "getAccount"})
    assert response.status_code == 400
    violation = response.json()["details"]["validationError"]["fieldViolations"][0]
    assert violation["field"] == "status"


def test_rate_limit_answers_429_with_retry_after(control: httpx.Client, wix: httpx.Client) -> None:
    control.patch("/_emulator/settings", json={"rate_limit_per_minute": 2})
    responses = [wix.get("/loyalty-programs/v1/program") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].headers["retry-after"] == "60"
    assert responses[2].json()["details"]["applicationError"]["code"] == "RESOURCE_EXHAUSTED"


def test_rate_limit_window_reopens_with_clock(control: httpx.Client, wix: httpx.Client) -> None:
    control.patch("/_emulator/settings", json={"rate_limit_per_minute": 1})
    assert wix.get("/loyalty-programs/v1/program").status_code == 200
    assert wix.get("/loyalty-programs/v1/program").status_code == 429
    control.post("/_emulator/clock/advance", json={"seconds": 60})
    assert wix.get("/loyalty-programs/v1/program").status_code == 200


def test_held_job_waits_until_released(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [10, 20])
    job_id = bulk_amount(wix, 5)
    control.post(f"/_emulator/jobs/{job_id}/hold")
    control.post("/_emulator/clock/advance", json={"seconds": 30})
    assert job_of(wix, job_id)["status"] == "INITIALIZED"
    assert balance_of(wix, account_ids[0]) == 10
    control.post(f"/_emulator/jobs/{job_id}/release")
    # The hold took no job time: the job starts 1 s after the release, at 10 items/s.
    assert job_of(wix, job_id)["status"] == "INITIALIZED"
    control.post("/_emulator/clock/advance", json={"seconds": 1.2})
    job = job_of(wix, job_id)
    assert job["status"] == "FINISHED"
    assert job["updatedDate"] > job["createdDate"]
    assert balance_of(wix, account_ids[0]) == 15


def test_released_job_is_not_back_dated(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [10])
    job_id = bulk_amount(wix, 5)
    control.post("/_emulator/clock/advance", json={"seconds": 0.5})
    control.post(f"/_emulator/jobs/{job_id}/hold")
    control.post("/_emulator/clock/advance", json={"seconds": 60})
    released_at = control.get("/_emulator/clock").json()["now"]
    control.post(f"/_emulator/jobs/{job_id}/release")
    control.post("/_emulator/clock/advance", json={"seconds": 1})
    account = wix.get(f"{ACCOUNTS}/{account_ids[0]}").json()["account"]
    assert account["points"]["balance"] == 15
    assert account["updatedDate"] > released_at


def test_step_moves_job_item_by_item(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [1, 2, 3])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "manual"})
    job_id = bulk_amount(wix, 1)
    control.post(f"/_emulator/jobs/{job_id}/step", json={"items": 2})
    job = job_of(wix, job_id)
    assert job["status"] == "PROCESSING"
    assert job["counts"]["successCount"] == 2
    balances = sorted(balance_of(wix, account_id) for account_id in account_ids)
    moved = [b - a for a, b in zip([1, 2, 3], balances, strict=True)]
    assert sum(moved) == 2
    control.post(f"/_emulator/jobs/{job_id}/finish")
    assert job_of(wix, job_id)["status"] == "FINISHED"


def test_failed_job_stops_as_failed(control: httpx.Client, wix: httpx.Client, site_id: str) -> None:
    account_ids = seed_accounts(control, site_id, [1, 2])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "manual"})
    job_id = bulk_amount(wix, 1)
    control.post(f"/_emulator/jobs/{job_id}/fail")
    assert job_of(wix, job_id)["status"] == "FAILED"
    assert balance_of(wix, account_ids[0]) == 1


def test_items_failed_on_demand_are_listed(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [5, 6, 7])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "manual"})
    job_id = bulk_amount(wix, 10)
    control.post(
        f"/_emulator/jobs/{job_id}/fail-items",
        json={
            "accountIds": [account_ids[1]],
            "code": "CONCURRENT_UPDATE",
            "description": "another write won",
        },
    )
    control.post(f"/_emulator/jobs/{job_id}/finish")
    failed = wix.get(f"{JOBS}/{job_id}/items", params={"statusFilter": "FAILED_ONLY"}).json()
    assert [item["entityId"] for item in failed["results"]] == [account_ids[1]]
    assert failed["results"][0]["error"]["code"] == "CONCURRENT_UPDATE"
    assert job_of(wix, job_id)["counts"]["errorByCodeCount"] == {"CONCURRENT_UPDATE": 1}
    assert balance_of(wix, account_ids[1]) == 6


def test_polls_profile_finishes_on_nth_poll(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_accounts(control, site_id, [1, 2, 3, 4])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "polls", "polls": 3})
    job_id = bulk_amount(wix, 1)
    statuses = [job_of(wix, job_id)["status"] for _ in range(3)]
    assert statuses == ["PROCESSING", "PROCESSING", "FINISHED"]


def test_immediate_profile_overrides_timed_default(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_accounts(control, site_id, [1])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "immediate"})
    assert job_of(wix, bulk_amount(wix, 1))["status"] == "FINISHED"


def test_stale_search_lags_behind_writes(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    control.patch("/_emulator/settings", json={"search_lag_seconds": 5})
    account_ids = seed_accounts(control, site_id, [10])
    control.post("/_emulator/clock/advance", json={"seconds": 10})
    adjusted = wix.post(f"{ACCOUNTS}/{account_ids[0]}/adjust-points", json={"balance": 99})
    assert adjusted.status_code == 200
    created = wix.post(ACCOUNTS, json={"contactId": str(uuid.uuid4())})
    assert created.status_code == 200
    stale = wix.post(f"{ACCOUNTS}/query", json={"query": {}}).json()["loyaltyAccounts"]
    assert [a["points"]["balance"] for a in stale] == [10]
    assert balance_of(wix, account_ids[0]) == 99
    control.post("/_emulator/clock/advance", json={"seconds": 5})
    fresh = wix.post(f"{ACCOUNTS}/query", json={"query": {}}).json()["loyaltyAccounts"]
    assert sorted(a["points"]["balance"] for a in fresh) == [0, 99]


def test_journal_records_validation_reason(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    wix.post(ACCOUNTS, json={"contactId": "not-a-guid"})
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert entries[-1]["operation"] == "createAccount"
    assert entries[-1]["status"] == 400
    assert "contactId" in entries[-1]["reason"]
    assert entries[-1]["requestHeaders"]["authorization"] == "<redacted>"


def test_journal_names_closest_route(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    wix.post("/loyalty-accounts/v1/acounts/query", json={})
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert entries[-1]["status"] == 404
    assert "/loyalty-accounts/v1/accounts/query" in entries[-1]["reason"]


def test_journal_filters_and_clears(control: httpx.Client, wix: httpx.Client, site_id: str) -> None:
    wix.get("/loyalty-programs/v1/program")
    wix.get(f"{ACCOUNTS}/{uuid.uuid4()}")
    params = {"siteId": site_id, "errorsOnly": "true"}
    errors = control.get("/_emulator/journal", params=params).json()["entries"]
    assert [entry["operation"] for entry in errors] == ["getAccount"]
    control.delete("/_emulator/journal", params={"siteId": site_id})
    left = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert left == []


def test_snapshot_round_trip_restores_site(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [40, 50])
    wix.post(
        f"{ACCOUNTS}/{account_ids[0]}/earn-points",
        json={"amount": 5, "appId": "app", "idempotencyKey": "k1"},
    )
    exported = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    control.post("/_emulator/reset", json={"siteId": site_id})
    assert wix.get(f"{ACCOUNTS}/{account_ids[0]}").status_code == 404
    imported = control.post("/_emulator/snapshot", params={"siteId": site_id}, json=exported)
    assert imported.status_code == 200
    assert balance_of(wix, account_ids[0]) == 45
    again = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    assert again["sites"] == exported["sites"]


def test_snapshot_import_rejects_wrong_version(control: httpx.Client) -> None:
    document = {"format": "wix-loyalty-emulator-snapshot", "version": 99, "sites": {}}
    response = control.post("/_emulator/snapshot", json=document)
    assert response.status_code == 400
    assert "version" in response.json()["message"]


@pytest.mark.parametrize("steps", [[3.0], [0.5] * 6, [0.05] * 60])
def test_overlapping_jobs_interleave_by_due_time(
    control: httpx.Client, wix: httpx.Client, site_id: str, steps: list[float]
) -> None:
    """A later job's earlier item applies first, however the clock is moved."""
    account_ids = sorted(seed_accounts(control, site_id, [0, 0, 0]))
    last = account_ids[-1]
    first = {"search": {"sort": [{"fieldName": "id"}]}, "balance": 10}
    wix.post(f"{ACCOUNTS}/bulk-adjust", json=first)
    control.post("/_emulator/clock/advance", json={"seconds": 0.15})
    second = {"search": {"filter": {"id": {"$in": [last]}}}, "amount": -5}
    second_job = wix.post(f"{ACCOUNTS}/bulk-adjust", json=second).json()["asyncJobId"]
    for seconds in steps:
        control.post("/_emulator/clock/advance", json={"seconds": seconds})
    # The second job's only item is due 0.15 + 1.1 s after the first job started, before
    # the first job reaches its third account at 1.3 s, so it fails on a zero balance.
    assert job_of(wix, second_job)["counts"]["failCount"] == 1
    assert balance_of(wix, last) == 10


def test_second_job_processing_at_its_start(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_accounts(control, site_id, [1, 2])
    first = bulk_amount(wix, 1)
    control.post("/_emulator/clock/advance", json={"seconds": 0.05})
    second = bulk_amount(wix, 1)
    # The second job starts 1 s after its creation, before either job's first item.
    control.post("/_emulator/clock/advance", json={"seconds": 1.0})
    assert job_of(wix, first)["status"] == "PROCESSING"
    assert job_of(wix, second)["status"] == "PROCESSING"


@pytest.mark.parametrize("steps", [[1.5], [0.25] * 6, [1.1, 0.05, 0.35], [0.001] * 1500])
def test_simultaneous_jobs_apply_oldest_first(
    control: httpx.Client, wix: httpx.Client, site_id: str, steps: list[float]
) -> None:
    account_ids = seed_accounts(control, site_id, [0, 0])
    wix.post(f"{ACCOUNTS}/bulk-adjust", json={"balance": 100})
    wix.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": 5})
    for seconds in steps:
        control.post("/_emulator/clock/advance", json={"seconds": seconds})
    # Items due at the same moment apply in the order their jobs were created.
    balances = sorted(balance_of(wix, account_id) for account_id in account_ids)
    assert balances == [105, 105]


def test_jobs_far_in_future_do_not_hang(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    account_ids = seed_accounts(control, site_id, [10, 20])
    control.post("/_emulator/clock/set", json={"time": "3000-01-01T00:00:00Z"})
    bulk_amount(wix, 5)
    bulk_amount(wix, 7)
    response = control.post("/_emulator/clock/advance", json={"seconds": 2}, timeout=10)
    assert response.status_code == 200
    assert sorted(balance_of(wix, account_id) for account_id in account_ids) == [22, 32]
