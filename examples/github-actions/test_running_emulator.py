"""Tests that use an emulator already running at ``WIX_EMULATOR_URL``, as the workflow does.

The workflow starts the emulator with a manual clock and the demo site from
``fixtures/demo-site.json``. Each test that writes uses a site of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from emulator.client import EmulatorClient

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"


@pytest.fixture
def control() -> Iterator[EmulatorClient]:
    url = os.environ.get("WIX_EMULATOR_URL")
    if not url:
        pytest.skip("WIX_EMULATOR_URL is not set; set it to the URL of a running emulator")
    with EmulatorClient(url) as client:
        yield client


def test_demo_site_is_loaded(control: EmulatorClient) -> None:
    with control.api("demo-site") as wix:
        response = wix.post(f"{ACCOUNTS}/count", json={})

    assert response.status_code == 200, response.text
    assert response.json()["count"] > 0


def test_bulk_adjust_follows_clock(control: EmulatorClient) -> None:
    site_id = str(uuid.uuid4())
    low, high = control.seed(site_id, accounts=[{"balance": 10}, {"balance": 900}])
    try:
        with control.api(site_id) as wix:
            body = {"search": {"filter": {"points.balance": {"$lt": 100}}}, "amount": 5}
            job_id = wix.post(f"{ACCOUNTS}/bulk-adjust", json=body).json()["asyncJobId"]
            assert wix.get(f"{JOBS}/{job_id}").json()["job"]["status"] == "INITIALIZED"

            control.advance(10)

            assert wix.get(f"{JOBS}/{job_id}").json()["job"]["status"] == "FINISHED"
            balances = [
                wix.get(f"{ACCOUNTS}/{account_id}").json()["account"]["points"]["balance"]
                for account_id in (low, high)
            ]
        assert balances == [15, 900]
    finally:
        control.reset(site_id)
