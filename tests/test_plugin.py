"""Tests for the pytest plugin's fixtures, used directly in this session."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from starlette.applications import Starlette

from emulator.client import EmulatorClient
from emulator.pytest_plugin import WixSite
from emulator.testing import EmulatorServer

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"


def get_balance(client: httpx.Client, account_id: str) -> int:
    response = client.get(f"{ACCOUNTS}/{account_id}")
    assert response.status_code == 200, response.text
    balance: int = response.json()["account"]["points"]["balance"]
    return balance


def start_job(wix_site: WixSite, amount: int) -> str:
    response = wix_site.client.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": amount})
    assert response.status_code == 200, response.text
    job_id: str = response.json()["asyncJobId"]
    return job_id


def job_status(wix_site: WixSite, job_id: str) -> str:
    status: str = wix_site.client.get(f"{JOBS}/{job_id}").json()["job"]["status"]
    return status


def test_site_identity_and_headers(wix_site: WixSite, wix_emulator: EmulatorServer) -> None:
    assert str(uuid.UUID(wix_site.site_id)) == wix_site.site_id
    assert wix_site.url == wix_emulator.url
    assert wix_site.headers == {"Authorization": "test-key", "wix-site-id": wix_site.site_id}
    assert wix_site.client.headers["wix-site-id"] == wix_site.site_id
    assert str(wix_site.client.base_url).rstrip("/") == wix_emulator.url


def test_site_creation_sends_no_request(wix_emulator: EmulatorServer) -> None:
    def reject(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    control = EmulatorClient(wix_emulator.url, transport=httpx.MockTransport(reject))
    site = WixSite(wix_emulator, control)

    assert site.site_id not in wix_emulator.store.sites
    site.close()


def test_sites_differ_between_instances(wix_emulator: EmulatorServer) -> None:
    with EmulatorClient(wix_emulator.url) as control:
        first, second = WixSite(wix_emulator, control), WixSite(wix_emulator, control)
        assert first.site_id != second.site_id
        first.close()
        second.close()


def test_seed_and_read_through_client(wix_site: WixSite) -> None:
    rich, poor = wix_site.seed(accounts=[{"balance": 500}, {"balance": 5}])
    [third] = wix_site.seed_balances(12)

    assert get_balance(wix_site.client, rich) == 500
    assert get_balance(wix_site.client, poor) == 5
    assert get_balance(wix_site.client, third) == 12


def test_close_drops_site_state(wix_emulator: EmulatorServer) -> None:
    with EmulatorClient(wix_emulator.url) as control:
        site = WixSite(wix_emulator, control)
        site.seed_balances(1)
        site.client.get("/loyalty-programs/v1/program")
        assert site.site_id in wix_emulator.store.sites
        assert site.journal()

        site.close()

        assert site.site_id not in wix_emulator.store.sites
        assert wix_emulator.store.journal.entries(site.site_id) == []


def test_advance_moves_timed_job(wix_site: WixSite) -> None:
    [account_id] = wix_site.seed_balances(0)
    job_id = start_job(wix_site, 7)
    assert job_status(wix_site, job_id) == "INITIALIZED"

    # Default timing: 0.5 s INITIALIZED, then 200 accounts per second.
    wix_site.advance(0.5 + 1 / 200)

    assert job_status(wix_site, job_id) == "FINISHED"
    assert get_balance(wix_site.client, account_id) == 7


def test_wait_for_job_runs_to_end(wix_site: WixSite) -> None:
    account_ids = wix_site.seed_balances(1, 2, 3)
    wix_site.set_job_profile("manual")
    job_id = start_job(wix_site, 10)

    job = wix_site.wait_for_job(job_id)

    assert job["status"] == "FINISHED"
    assert job["counts"]["successCount"] == 3
    assert [get_balance(wix_site.client, a) for a in account_ids] == [11, 12, 13]


def test_run_jobs_counts_site_jobs(wix_site: WixSite) -> None:
    wix_site.seed_balances(0)
    first, second = start_job(wix_site, 1), start_job(wix_site, 2)

    assert wix_site.run_jobs() == 2
    assert job_status(wix_site, first) == "FINISHED"
    assert job_status(wix_site, second) == "FINISHED"


def test_settings_restored_at_close(wix_emulator: EmulatorServer) -> None:
    with EmulatorClient(wix_emulator.url) as control:
        original = control.settings()
        site = WixSite(wix_emulator, control)

        changed = site.settings(reward_threshold=70, search_lag_seconds=2)
        site.settings(reward_threshold=80)
        assert changed["reward_threshold"] == 70
        assert site.settings()["reward_threshold"] == 80

        site.close()

        restored = control.settings()
        assert restored["reward_threshold"] == original["reward_threshold"]
        assert restored["search_lag_seconds"] == original["search_lag_seconds"]


def test_fault_scoped_and_deleted(wix_emulator: EmulatorServer, wix_site: WixSite) -> None:
    with EmulatorClient(wix_emulator.url) as control:
        site = WixSite(wix_emulator, control)
        rule = site.add_fault(operation="getLoyaltyProgram", status=503)

        assert rule["siteId"] == site.site_id
        assert site.client.get("/loyalty-programs/v1/program").status_code == 503
        assert wix_site.client.get("/loyalty-programs/v1/program").status_code == 200

        site.close()

        assert all(r["id"] != rule["id"] for r in control.faults())


def test_asgi_client_shares_state(wix_site: WixSite) -> None:
    [account_id] = wix_site.seed_balances(33)

    in_process = wix_site.asgi_client()

    assert in_process.headers["wix-site-id"] == wix_site.site_id
    assert get_balance(in_process, account_id) == 33


def test_async_client_shares_state(wix_site: WixSite) -> None:
    [account_id] = wix_site.seed_balances(44)

    async def read_balance() -> int:
        async with wix_site.async_client() as wix:
            response = await wix.get(f"{ACCOUNTS}/{account_id}")
        balance: int = response.json()["account"]["points"]["balance"]
        return balance

    assert asyncio.run(read_balance()) == 44


def test_app_fixture_with_asgi_transport(wix_emulator_app: Starlette, wix_site: WixSite) -> None:
    [account_id] = wix_site.seed_balances(9)

    async def read_balance() -> int:
        transport = httpx.ASGITransport(app=wix_emulator_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=wix_site.headers
        ) as wix:
            response = await wix.get(f"{ACCOUNTS}/{account_id}")
        balance: int = response.json()["account"]["points"]["balance"]
        return balance

    assert asyncio.run(read_balance()) == 9


def test_control_fixture_reaches_server(wix_control: EmulatorClient) -> None:
    health = wix_control.health()

    assert health["status"] == "ok"
    # This project's pyproject sets no wix_emulator_* ini values, so the defaults hold.
    assert health["clock"] == "manual"
    settings = wix_control.settings()
    assert settings["job_mode"] == "timed"
    assert settings["job_start_delay"] == pytest.approx(0.5)
    assert settings["job_rate"] == pytest.approx(200)
