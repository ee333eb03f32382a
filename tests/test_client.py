"""Tests for ``emulator.client``: every control-plane method against a real server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from emulator.client import EmulatorClient, EmulatorError, InProcessTransport
from emulator.settings import Settings
from emulator.testing import EmulatorServer

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"
# Job timing of this module's server: INITIALIZED for 1 s, then 10 accounts per second.
JOB_DELAY = 1.0
JOB_RATE = 10.0


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    # A server of its own, because these tests reset every site and change settings.
    settings = Settings(
        clock="manual", job_mode="timed", job_start_delay=JOB_DELAY, job_rate=JOB_RATE
    )
    with EmulatorServer(settings) as running:
        yield running


@pytest.fixture
def control(server: EmulatorServer) -> Iterator[EmulatorClient]:
    with EmulatorClient(server.url) as client:
        yield client


@pytest.fixture
def site_id(control: EmulatorClient) -> Iterator[str]:
    site = str(uuid.uuid4())
    yield site
    control.reset(site)


def start_job(control: EmulatorClient, site_id: str, body: dict[str, Any]) -> str:
    with control.api(site_id) as wix:
        response = wix.post(f"{ACCOUNTS}/bulk-adjust", json=body)
    assert response.status_code == 200, response.text
    job_id: str = response.json()["asyncJobId"]
    return job_id


def balance(control: EmulatorClient, site_id: str, account_id: str) -> int:
    with control.api(site_id) as wix:
        response = wix.get(f"{ACCOUNTS}/{account_id}")
    assert response.status_code == 200, response.text
    points: int = response.json()["account"]["points"]["balance"]
    return points


def test_health_reports_clock(control: EmulatorClient) -> None:
    health = control.health()

    assert health["status"] == "ok"
    assert health["clock"] == "manual"


def test_seed_and_api_client(control: EmulatorClient, site_id: str) -> None:
    account_ids = control.seed(
        site_id,
        contacts=[{"name": "Ada Lovelace"}],
        accounts=[{"balance": 120}, {"balance": 7}],
        program={"name": "Coffee Club"},
    )

    assert len(account_ids) == 2
    assert balance(control, site_id, account_ids[0]) == 120
    assert balance(control, site_id, account_ids[1]) == 7
    with control.api(site_id, api_key="another-key") as wix:
        assert wix.headers["Authorization"] == "another-key"
        assert wix.headers["wix-site-id"] == site_id
        program = wix.get("/loyalty-programs/v1/program").json()["loyaltyProgram"]
    assert program["name"] == "Coffee Club"
    sites = {site["siteId"]: site for site in control.sites()}
    assert sites[site_id]["accounts"] == 2
    assert sites[site_id]["jobs"] == 0


def test_closed_api_client_keeps_control(control: EmulatorClient, site_id: str) -> None:
    with control.api(site_id) as wix:
        wix.get("/loyalty-programs/v1/program")

    assert control.health()["status"] == "ok"


def test_reset_one_site_then_all(control: EmulatorClient, site_id: str) -> None:
    control.seed(site_id, accounts=[{"balance": 1}])
    other = str(uuid.uuid4())
    control.seed(other, accounts=[{"balance": 1}])

    assert control.reset(site_id) == 1
    assert control.reset(site_id) == 0
    assert control.reset() >= 1
    assert control.sites() == []


def test_clock_advance_and_set(control: EmulatorClient) -> None:
    before = control.clock()
    assert before["mode"] == "manual"

    advanced = control.advance(5)
    assert advanced["epochSeconds"] == pytest.approx(before["epochSeconds"] + 5)

    later = datetime.fromtimestamp(advanced["epochSeconds"] + 3600, tz=UTC)
    moved = control.set_time(later)
    assert moved["epochSeconds"] == pytest.approx(later.timestamp())
    text = "2100-01-01T00:00:00Z"
    assert control.set_time(text)["now"] == "2100-01-01T00:00:00.000Z"


def test_clock_set_backwards_raises(control: EmulatorClient) -> None:
    with pytest.raises(EmulatorError) as caught:
        control.set_time("2000-01-01T00:00:00Z")

    error = caught.value
    assert error.status == 400
    assert error.code is None
    assert [violation["field"] for violation in error.field_violations] == ["time"]
    assert "POST /_emulator/clock/set returned 400" in str(error)


def test_settings_update_and_reject(control: EmulatorClient) -> None:
    original = control.settings()["reward_threshold"]
    try:
        updated = control.update_settings(reward_threshold=original + 50)
        assert updated["reward_threshold"] == original + 50
        assert control.settings()["reward_threshold"] == original + 50
    finally:
        control.update_settings(reward_threshold=original)

    with pytest.raises(EmulatorError) as caught:
        control.update_settings(no_such_setting=1)
    assert caught.value.status == 400
    assert caught.value.field_violations[0]["field"] == "no_such_setting"


def test_divergences_lists_entries(control: EmulatorClient) -> None:
    entries = control.divergences()

    assert entries
    assert all(isinstance(entry, dict) for entry in entries)


def test_hold_release_and_step(control: EmulatorClient, site_id: str) -> None:
    account_ids = control.seed(site_id, accounts=[{"balance": 0}] * 3)
    job_id = start_job(control, site_id, {"amount": 5})

    held = control.hold(job_id)
    assert held["held"] is True
    assert held["siteId"] == site_id
    control.advance(JOB_DELAY + 3 / JOB_RATE)
    assert control.step(job_id, items=1)["job"]["counts"]["successCount"] == 1

    released = control.release(job_id)
    assert released["held"] is False
    assert released["job"]["status"] == "PROCESSING"
    # The hold took no job time, so the rest is due the same span after the release.
    control.advance(JOB_DELAY + 3 / JOB_RATE)
    assert [balance(control, site_id, a) for a in account_ids] == [5, 5, 5]


def test_fail_items_then_finish(control: EmulatorClient, site_id: str) -> None:
    first, second = control.seed(site_id, accounts=[{"balance": 0}, {"balance": 0}])
    job_id = start_job(control, site_id, {"amount": 5})

    control.fail_items(job_id, [second], code="INJECTED", description="chosen by the test")
    job = control.finish(job_id)["job"]

    assert job["status"] == "FINISHED"
    assert job["counts"]["failCount"] == 1
    assert job["counts"]["errorByCodeCount"] == {"INJECTED": 1}
    assert balance(control, site_id, first) == 5
    assert balance(control, site_id, second) == 0


def test_fail_ends_job_failed(control: EmulatorClient, site_id: str) -> None:
    control.seed(site_id, accounts=[{"balance": 0}])
    job_id = start_job(control, site_id, {"amount": 5})

    assert control.fail(job_id)["job"]["status"] == "FAILED"


def test_run_jobs_counts_unfinished(control: EmulatorClient, site_id: str) -> None:
    control.seed(site_id, accounts=[{"balance": 0}])
    start_job(control, site_id, {"amount": 5})
    start_job(control, site_id, {"amount": 5})

    assert control.run_jobs(site_id) == 2
    assert control.run_jobs(site_id) == 0
    assert control.run_jobs() == 0


def test_job_profile_set_and_clear(control: EmulatorClient, site_id: str) -> None:
    [account_id] = control.seed(site_id, accounts=[{"balance": 0}])

    profile = control.set_job_profile(site_id, "timed", delay=0, rate=1000)
    assert profile == {"mode": "timed", "delay": 0.0, "rate": 1000.0}
    control.set_job_profile(site_id, "immediate")
    job_id = start_job(control, site_id, {"amount": 9})
    with control.api(site_id) as wix:
        assert wix.get(f"{JOBS}/{job_id}").json()["job"]["status"] == "FINISHED"
    assert balance(control, site_id, account_id) == 9

    control.clear_job_profile(site_id)
    second_job = start_job(control, site_id, {"amount": 1})
    with control.api(site_id) as wix:
        assert wix.get(f"{JOBS}/{second_job}").json()["job"]["status"] == "INITIALIZED"


def test_job_profile_invalid_mode(control: EmulatorClient, site_id: str) -> None:
    with pytest.raises(EmulatorError) as caught:
        control.set_job_profile(site_id, "sometimes")

    assert caught.value.status == 400
    assert caught.value.field_violations[0]["field"] == "mode"


def test_fault_add_list_delete(control: EmulatorClient, site_id: str) -> None:
    rule = control.add_fault(operation="getLoyaltyProgram", status=503, times=1, site_id=site_id)
    assert rule["siteId"] == site_id
    assert rule["status"] == 503

    with control.api(site_id) as wix:
        assert wix.get("/loyalty-programs/v1/program").status_code == 503
        assert wix.get("/loyalty-programs/v1/program").status_code == 200
    [listed] = [r for r in control.faults() if r["id"] == rule["id"]]
    assert listed["fired"] == 1
    assert control.delete_faults(rule["id"]) == 1
    with pytest.raises(EmulatorError) as caught:
        control.delete_faults(rule["id"])
    assert caught.value.status == 404
    assert caught.value.code == "NOT_FOUND"

    control.add_fault(method="GET", path="/nowhere/*", status=500)
    control.add_fault(method="GET", path="/elsewhere/*", status=500)
    assert control.delete_faults() == 2
    assert control.faults() == []


def test_journal_filters_and_clear(control: EmulatorClient, site_id: str) -> None:
    with control.api(site_id) as wix:
        wix.get("/loyalty-programs/v1/program")
        wix.get(f"{ACCOUNTS}/{uuid.uuid4()}")

    entries = control.journal(site_id)
    assert [entry["operation"] for entry in entries] == ["getLoyaltyProgram", "getAccount"]
    errors = control.journal(site_id, errors_only=True)
    assert [entry["status"] for entry in errors] == [404]
    assert len(control.journal(site_id, path_prefix="/loyalty-programs", limit=5)) == 1
    assert control.journal(site_id, operation="getAccount", method="get", status=404)
    with pytest.raises(TypeError, match="pathPrefix"):
        control.journal(site_id, pathPrefix="/loyalty")

    assert control.clear_journal(site_id) == 2
    assert control.journal(site_id) == []


def test_snapshot_round_trip(control: EmulatorClient, site_id: str) -> None:
    [account_id] = control.seed(site_id, accounts=[{"balance": 42}])
    document = control.export_snapshot(site_id)
    control.reset(site_id)

    assert control.import_snapshot(document, site_id=site_id) == [site_id]
    assert balance(control, site_id, account_id) == 42
    full = control.export_snapshot()
    assert site_id in str(full)


def test_unknown_job_raises_not_found(control: EmulatorClient) -> None:
    job_id = str(uuid.uuid4())

    with pytest.raises(EmulatorError) as caught:
        control.finish(job_id)

    error = caught.value
    assert error.status == 404
    assert error.code == "NOT_FOUND"
    assert job_id in error.message
    assert error.body["details"]["applicationError"]["code"] == "NOT_FOUND"
    assert str(error).startswith(f"POST /_emulator/jobs/{job_id}/finish returned 404")


def test_non_json_error_keeps_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    transport = httpx.MockTransport(handler)
    with (
        EmulatorClient("http://emulator.test", transport=transport) as client,
        pytest.raises(EmulatorError) as caught,
    ):
        client.health()

    assert caught.value.status == 502
    assert caught.value.body == "bad gateway"
    assert caught.value.code is None


def test_in_process_transport(server: EmulatorServer, site_id: str) -> None:
    transport = InProcessTransport(server.app)
    with EmulatorClient("http://testserver", transport=transport) as client:
        [account_id] = client.seed(site_id, accounts=[{"balance": 3}])
        with client.api(site_id) as wix:
            response = wix.get(f"{ACCOUNTS}/{account_id}")

    assert response.status_code == 200
    assert response.json()["account"]["points"]["balance"] == 3
    # Same app, same state: the socket server returns the seeded account too.
    with EmulatorClient(server.url) as over_socket:
        assert balance(over_socket, site_id, account_id) == 3


def test_in_process_inside_event_loop(server: EmulatorServer) -> None:
    async def call_from_coroutine() -> dict[str, Any]:
        with EmulatorClient("http://testserver", transport=InProcessTransport(server.app)) as c:
            return c.health()

    assert asyncio.run(call_from_coroutine())["status"] == "ok"
