"""Paths, request helpers and shared checks for the HTTP tests."""

from __future__ import annotations

import ssl
import uuid
from typing import Any

import httpx

from emulator.testing import EmulatorServer

ACCOUNTS = "/loyalty-accounts/v1/accounts"
TRANSACTIONS = "/loyalty-transactions/v1/loyalty-transactions"
PROGRAM = "/loyalty-programs/v1/program"
JOBS = "/async-jobs/v1/async-jobs"
LOYALTY_APP_ID = "553c79f3-5625-4f38-b14b-ef7c0d1e87df"

# Job timing of the shared server: a job stays INITIALIZED for JOB_START_DELAY seconds,
# then applies JOB_RATE accounts per second, item i (from 0) at delay + (i + 1) / rate.
JOB_START_DELAY = 1.0
JOB_RATE = 10.0


# The server speaks plain HTTP, so TLS settings are unused. Sharing one context spares each
# new client from loading the CA bundle, which takes about 20 ms.
SHARED_SSL_CONTEXT = ssl.create_default_context()


def make_client(server: EmulatorServer, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers=headers,
        timeout=10.0,
        verify=SHARED_SSL_CONTEXT,
    )


def seconds_until_items_done(count: int) -> float:
    """Return how long after its creation a job has applied its first ``count`` items."""
    return JOB_START_DELAY + count / JOB_RATE


def assert_points_invariant(account: dict[str, Any]) -> None:
    points = account["points"]
    expected = points["earned"] + points["adjusted"] - points["redeemed"] - points["expired"]
    assert points["balance"] == expected, points


def get_account(client: httpx.Client, account_id: str) -> dict[str, Any]:
    response = client.get(f"{ACCOUNTS}/{account_id}")
    assert response.status_code == 200, response.text
    account: dict[str, Any] = response.json()["account"]
    assert_points_invariant(account)
    return account


def create_account(client: httpx.Client, contact_id: str | None = None) -> dict[str, Any]:
    response = client.post(ACCOUNTS, json={"contactId": contact_id or str(uuid.uuid4())})
    assert response.status_code == 200, response.text
    account: dict[str, Any] = response.json()["account"]
    return account


def earn(
    client: httpx.Client, account_id: str, amount: int, key: str | None = None
) -> httpx.Response:
    body = {
        "amount": amount,
        "appId": LOYALTY_APP_ID,
        "idempotencyKey": key or str(uuid.uuid4()),
    }
    return client.post(f"{ACCOUNTS}/{account_id}/earn-points", json=body)


def adjust(client: httpx.Client, account_id: str, **body: Any) -> httpx.Response:
    return client.post(f"{ACCOUNTS}/{account_id}/adjust-points", json=body)


def start_bulk_adjust(client: httpx.Client, body: dict[str, Any]) -> str:
    response = client.post(f"{ACCOUNTS}/bulk-adjust", json=body)
    assert response.status_code == 200, response.text
    job_id: str = response.json()["asyncJobId"]
    return job_id


def get_job(client: httpx.Client, job_id: str, prefix: str = JOBS) -> dict[str, Any]:
    response = client.get(f"{prefix}/{job_id}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()["job"]
    return job


def list_all_job_items(
    client: httpx.Client, job_id: str, limit: int, status_filter: str | None = None
) -> list[dict[str, Any]]:
    """Read every item page by page; later requests send the cursor alone."""
    params: dict[str, Any] = {"paging.limit": limit}
    if status_filter is not None:
        params["statusFilter"] = status_filter
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        response = client.get(f"{JOBS}/{job_id}/items", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) <= limit
        items.extend(body["results"])
        next_cursor = body["pagingMetadata"]["cursors"].get("next")
        if next_cursor is None:
            return items
        params = {"paging.cursor": next_cursor}
    raise AssertionError("job item paging did not end after 1000 pages")


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["details"]["applicationError"]["code"]
    return code


def violated_fields(response: httpx.Response) -> list[str]:
    violations = response.json()["details"]["validationError"]["fieldViolations"]
    return [violation["field"] for violation in violations]


def assert_error_envelope(response: httpx.Response) -> None:
    """Check the Wix error body: a message and either a string code or field violations."""
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body["message"], str), body
    assert body["message"], body
    details = body["details"]
    if "validationError" in details:
        violations = details["validationError"]["fieldViolations"]
        assert violations, body
        assert all(isinstance(v["field"], str) for v in violations), body
    else:
        assert isinstance(details["applicationError"]["code"], str), body


class Control:
    """Calls to the ``/_emulator`` control plane on behalf of one test's site."""

    def __init__(self, http: httpx.Client, site_id: str) -> None:
        self.http = http
        self.site_id = site_id
        self.saved_settings: dict[str, Any] = {}

    def seed(self, **seed: Any) -> list[str]:
        """Load ``seed`` into this test's site and return the new account IDs."""
        response = self.http.post("/_emulator/seed", json={"siteId": self.site_id, **seed})
        assert response.status_code == 200, response.text
        account_ids: list[str] = response.json()["accountIds"]
        return account_ids

    def seed_balances(self, *balances: int) -> list[str]:
        """Create one account per balance, each with a new contact."""
        return self.seed(accounts=[{"balance": balance} for balance in balances])

    def advance(self, seconds: float) -> None:
        """Move the shared manual clock forward by ``seconds``."""
        response = self.http.post("/_emulator/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text

    def change_settings(self, **changes: Any) -> None:
        """Change server settings; the fixture puts the old values back after the test."""
        current = self.http.get("/_emulator/settings").json()["settings"]
        for name in changes:
            self.saved_settings.setdefault(name, current[name])
        response = self.http.patch("/_emulator/settings", json=changes)
        assert response.status_code == 200, response.text

    def restore_settings(self) -> None:
        if self.saved_settings:
            response = self.http.patch("/_emulator/settings", json=self.saved_settings)
            assert response.status_code == 200, response.text
            self.saved_settings = {}
