"""Snapshots: an export-import round trip loses nothing, in-process and across a restart."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator import jobs
from emulator.clock import ManualClock
from emulator.domain import accounts as rules
from emulator.errors import WixError
from emulator.seed import apply_seed
from emulator.settings import Settings
from emulator.snapshot import export_state, import_state
from emulator.store import Store

SITES = ("site-a", "site-b")

operation = st.one_of(
    st.tuples(st.just("seed"), st.sampled_from(SITES), st.integers(0, 500)),
    st.tuples(st.just("earn"), st.sampled_from(SITES), st.integers(1, 100)),
    st.tuples(st.just("adjust"), st.sampled_from(SITES), st.integers(-300, 300)),
    st.tuples(st.just("bulk"), st.sampled_from(SITES), st.integers(-50, 50)),
    st.tuples(st.just("tick"), st.sampled_from(SITES), st.integers(0, 3)),
    st.tuples(st.just("step"), st.sampled_from(SITES), st.integers(1, 3)),
)


def apply(store: Store, step: tuple[str, str, int], counter: list[int]) -> None:
    kind, site_id, number = step
    site = store.site(site_id)
    now = store.clock.now()
    counter[0] += 1
    account_ids = list(site.accounts)
    try:
        if kind == "seed":
            apply_seed(site, now, {"accounts": [{"balance": number}]})
        elif kind == "earn" and account_ids:
            rules.earn_points(
                site,
                now,
                account_ids[0],
                amount=number,
                app_id="app",
                idempotency_key=f"key-{counter[0]}",
            )
        elif kind == "adjust" and account_ids:
            account = site.accounts[account_ids[-1]]
            rules.apply_adjustment(site, now, store.settings, account, "amount", number or 1)
        elif kind == "bulk":
            jobs.start_bulk_adjust(site, now, store.settings, account_ids, "amount", number or 1)
        elif kind == "tick":
            store.clock.advance(number * 0.25)
            jobs.advance_jobs(site, store.clock.now(), store.settings)
        elif kind == "step" and site.active_jobs:
            jobs.step_job(site, site.active_jobs[0], number, store.settings, now)
    except WixError:
        pass


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "exportedAt"}


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, max_size=25))
def test_export_import_round_trip(steps: list[tuple[str, str, int]]) -> None:
    timing = Settings(clock="manual", job_mode="timed", job_start_delay=0.5, job_rate=4.0)
    store = Store(timing, ManualClock())
    counter = [0]
    for step in steps:
        apply(store, step, counter)
    exported = export_state(store)
    restored = Store(Settings(clock="manual"), ManualClock())
    import_state(restored, json.loads(json.dumps(exported)))
    assert comparable(export_state(restored)) == comparable(exported)


def test_import_of_one_site_keeps_others() -> None:
    store = Store(Settings(clock="manual"), ManualClock())
    apply_seed(store.site("kept"), 0.0, {"accounts": [{"balance": 1}]})
    apply_seed(store.site("replaced"), 0.0, {"accounts": [{"balance": 2}]})
    document = export_state(store, "replaced")
    store.reset("replaced")
    import_state(store, document, "replaced")
    assert sorted(store.sites) == ["kept", "replaced"]


def start_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "emulator", "--port", "0", "--clock", "manual", *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"serving on (http://\S+)", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise AssertionError("the emulator did not log its URL within 20 s")


def stop_server(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def test_snapshot_survives_process_restart(tmp_path: Path) -> None:
    snapshot_file = tmp_path / "state.json"
    site = {"Authorization": "test-key", "wix-site-id": "restart-site"}
    process, url = start_server(
        "--export-on-exit", str(snapshot_file), "--job-delay", "1", "--job-rate", "1"
    )
    try:
        control = httpx.Client(base_url=url)
        wix = httpx.Client(base_url=url, headers=site)
        seeded = control.post(
            "/_emulator/seed",
            json={"siteId": "restart-site", "accounts": [{"balance": 10}, {"balance": 20}]},
        ).json()
        account_id = seeded["accountIds"][0]
        wix.post(
            f"/loyalty-accounts/v1/accounts/{account_id}/earn-points",
            json={"amount": 3, "appId": "app", "idempotencyKey": str(uuid.uuid4())},
        )
        job_id = wix.post("/loyalty-accounts/v1/accounts/bulk-adjust", json={"amount": 100}).json()[
            "asyncJobId"
        ]
        control.post("/_emulator/clock/advance", json={"seconds": 2})
        before = control.get("/_emulator/snapshot").json()
    finally:
        stop_server(process)
    assert snapshot_file.exists()

    process, url = start_server("--import", str(snapshot_file))
    try:
        control = httpx.Client(base_url=url)
        wix = httpx.Client(base_url=url, headers=site)
        after = control.get("/_emulator/snapshot").json()
        assert after["sites"] == before["sites"]
        assert wix.get(f"/async-jobs/v1/async-jobs/{job_id}").json()["job"]["status"] == (
            "PROCESSING"
        )
        control.post("/_emulator/clock/advance", json={"seconds": 5})
        job = wix.get(f"/async-jobs/v1/async-jobs/{job_id}").json()["job"]
        assert job["status"] == "FINISHED"
        account = wix.get(f"/loyalty-accounts/v1/accounts/{account_id}").json()["account"]
        assert account["points"]["balance"] == 113
    finally:
        stop_server(process)
