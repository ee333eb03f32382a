"""Fixtures for the HTTP tests: one real emulator server, and a fresh site per test.

The server runs for the whole session with a manual clock and timed jobs, so a test
moves a bulk job only by advancing the clock. Each test gets its own ``wix-site-id``,
so tests never share accounts, transactions or jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from support import JOB_RATE, JOB_START_DELAY, Control, make_client

from emulator.settings import Settings
from emulator.testing import EmulatorServer


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    settings = Settings(
        clock="manual", job_mode="timed", job_start_delay=JOB_START_DELAY, job_rate=JOB_RATE
    )
    with EmulatorServer(settings) as running:
        yield running


@pytest.fixture
def site_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def client(server: EmulatorServer, site_id: str) -> Iterator[httpx.Client]:
    """Return a client that sends the Wix auth headers for this test's site."""
    headers = {"Authorization": "test-api-key", "wix-site-id": site_id}
    with make_client(server, headers) as http:
        yield http


@pytest.fixture
def bare_client(server: EmulatorServer) -> Iterator[httpx.Client]:
    """Return a client that sends no headers of its own."""
    with make_client(server, {}) as http:
        yield http


@pytest.fixture
def control(client: httpx.Client, site_id: str) -> Iterator[Control]:
    helper = Control(client, site_id)
    yield helper
    helper.restore_settings()


@pytest.fixture
def control_client(bare_client: httpx.Client) -> Iterator[httpx.Client]:
    """Return a client for the /_emulator routes that undoes settings and fault rules."""
    defaults = bare_client.get("/_emulator/settings").json()["settings"]
    yield bare_client
    bare_client.delete("/_emulator/faults")
    bare_client.patch("/_emulator/settings", json=defaults)
