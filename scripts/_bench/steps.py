"""A small Hypothesis state machine that drives the in-process emulator, for steps/s.

TODO: drive the contract suite's RuleBasedStateMachine (contract_tests/) once it
exists, so that this figure measures the real contract steps and not this stand-in.

Each rule is one or two API calls through ``httpx.ASGITransport`` on an anyio blocking
portal, the way a synchronous test calls the app without a socket, and checks the
response against a dict that models the balances. The machine creates accounts, earns,
adjusts (sometimes below zero, which must fail), runs bulk adjusts in immediate job
mode and reads accounts back.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from emulator.rest.app import create_app
from emulator.settings import Settings

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"
APP_ID = "553c79f3-5625-4f38-b14b-ef7c0d1e87df"


class InProcessClient:
    """Synchronous calls into an ASGI app through httpx.ASGITransport on a portal."""

    def __init__(self, app: Any) -> None:
        self._portal_context = start_blocking_portal()
        self._portal = self._portal_context.__enter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://emulator.inprocess"
        )

    def request(self, method: str, path: str, site_id: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": "bench-key", "wix-site-id": site_id}

        async def call() -> httpx.Response:
            return await self._client.request(method, path, json=body, headers=headers)

        return self._portal.call(call)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_context.__exit__(None, None, None)


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path} returned "
            f"{response.status_code}, expected {status}: {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


def build_machine(client: InProcessClient) -> tuple[type[RuleBasedStateMachine], list[int]]:
    """Return a state machine class bound to ``client`` and its one-item step counter."""
    steps = [0]

    class LoyaltySteps(RuleBasedStateMachine):
        accounts = Bundle("accounts")

        @initialize()
        def new_site(self) -> None:
            self.site_id = f"bench-{uuid.uuid4()}"
            self.balances: dict[str, int] = {}

        def _check_balance(self, account: dict[str, Any]) -> None:
            expected = self.balances[account["id"]]
            assert account["points"]["balance"] == expected, (account["points"], expected)

        @rule(target=accounts)
        def create_account(self) -> str:
            steps[0] += 1
            body = {"contactId": str(uuid.uuid4())}
            response = client.request("POST", ACCOUNTS, self.site_id, body)
            account = _expect(response, 200)["account"]
            self.balances[account["id"]] = 0
            return str(account["id"])

        @rule(account_id=accounts, amount=st.integers(1, 1000))
        def earn(self, account_id: str, amount: int) -> None:
            steps[0] += 1
            body = {"amount": amount, "appId": APP_ID, "idempotencyKey": str(uuid.uuid4())}
            path = f"{ACCOUNTS}/{account_id}/earn-points"
            account = _expect(client.request("POST", path, self.site_id, body), 200)["account"]
            self.balances[account_id] += amount
            self._check_balance(account)

        @rule(account_id=accounts, amount=st.integers(-500, 500).filter(bool))
        def adjust(self, account_id: str, amount: int) -> None:
            steps[0] += 1
            path = f"{ACCOUNTS}/{account_id}/adjust-points"
            response = client.request("POST", path, self.site_id, {"amount": amount})
            if self.balances[account_id] + amount < 0:
                _expect(response, 400)
                return
            self.balances[account_id] += amount
            self._check_balance(_expect(response, 200)["account"])

        @rule(amount=st.integers(1, 100))
        def bulk_adjust(self, amount: int) -> None:
            steps[0] += 1
            body = {"search": {}, "amount": amount}
            response = client.request("POST", f"{ACCOUNTS}/bulk-adjust", self.site_id, body)
            job_id = _expect(response, 200)["asyncJobId"]
            job = _expect(client.request("GET", f"{JOBS}/{job_id}", self.site_id), 200)["job"]
            assert job["status"] == "FINISHED", job
            assert job["counts"]["total"] == len(self.balances), job
            for account_id in self.balances:
                self.balances[account_id] += amount

        @rule(account_id=accounts)
        def get_account(self, account_id: str) -> None:
            steps[0] += 1
            response = client.request("GET", f"{ACCOUNTS}/{account_id}", self.site_id)
            self._check_balance(_expect(response, 200)["account"])

    return LoyaltySteps, steps


def steps_per_second(examples: int, steps_per_example: int) -> tuple[float, int]:
    """Run the machine for ``examples`` runs of up to ``steps_per_example`` steps.

    Return the steps per second and the number of steps.
    """
    app = create_app(Settings(job_mode="immediate", clock="manual"))
    client = InProcessClient(app)
    try:
        machine, steps = build_machine(client)
        run_settings = settings(
            max_examples=examples,
            stateful_step_count=steps_per_example,
            database=None,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        started = time.perf_counter()
        run_state_machine_as_test(machine, settings=run_settings)
        elapsed = time.perf_counter() - started
    finally:
        client.close()
    return steps[0] / elapsed, steps[0]
