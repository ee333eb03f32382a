"""The measurements of ``scripts/bench``: each function returns figures by name.

Servers run as subprocesses on 127.0.0.1 and every loop is bounded in count and time.
Repeated measurements are reduced to their median, because other work on the machine
makes single runs noisy.
"""

from __future__ import annotations

import http.client
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from emulator.clock import make_clock
from emulator.jobs import start_bulk_adjust
from emulator.models import new_id
from emulator.seed import apply_seed
from emulator.settings import Settings
from emulator.store import Store

from . import load
from .processes import ServerProcess, bench_server, console_script

ACCOUNTS = "/loyalty-accounts/v1/accounts"
JOBS = "/async-jobs/v1/async-jobs"
SITE_ID = "bench-site"
API_HEADERS = {"Authorization": "bench-key", "wix-site-id": SITE_ID}
SEED_CHUNK = 1000
# Seeded balances repeat 0..999, so the query filter below matches half the accounts.
BALANCE_CYCLE = 1000
QUERY_BODY = {
    "query": {
        "filter": {"points.balance": {"$gte": 500}},
        "sort": [{"fieldName": "points.balance", "order": "DESC"}],
        "cursorPaging": {"limit": 50},
    }
}


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does; ``--quick`` picks the small set."""

    rps_rounds: int
    rps_seconds: float
    connections: int
    bulk_accounts: int
    bulk_runs: int
    query_runs: int
    start_runs: int
    new_site_runs: int
    reset_accounts: int
    reset_runs: int
    keepalive_requests: int
    machine_examples: int
    machine_steps: int
    machine_runs: int


FULL = Sizes(
    rps_rounds=5,
    rps_seconds=3,
    connections=8,
    bulk_accounts=100_000,
    bulk_runs=3,
    query_runs=9,
    start_runs=7,
    new_site_runs=2000,
    reset_accounts=10_000,
    reset_runs=5,
    keepalive_requests=40,
    machine_examples=30,
    machine_steps=30,
    machine_runs=3,
)
QUICK = Sizes(
    rps_rounds=2,
    rps_seconds=1,
    connections=8,
    bulk_accounts=10_000,
    bulk_runs=1,
    query_runs=3,
    start_runs=3,
    new_site_runs=500,
    reset_accounts=10_000,
    reset_runs=2,
    keepalive_requests=10,
    machine_examples=15,
    machine_steps=20,
    machine_runs=1,
)


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=API_HEADERS, timeout=120.0)


def _expect(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} returned "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _seed(client: httpx.Client, count: int) -> list[str]:
    """Seed ``count`` accounts with balances 0..999 through /_emulator/seed."""
    account_ids: list[str] = []
    for start in range(0, count, SEED_CHUNK):
        size = min(SEED_CHUNK, count - start)
        accounts = [{"balance": (start + i) % BALANCE_CYCLE} for i in range(size)]
        body = {"siteId": SITE_ID, "accounts": accounts}
        account_ids += _expect(client.post("/_emulator/seed", json=body))["accountIds"]
    return account_ids


def _milliseconds(seconds: float) -> float:
    return seconds * 1000


# --- Get Account over HTTP against a bare starlette route ---------------------------


def get_account_rps(sizes: Sizes) -> dict[str, float]:
    """Measure Get Account and a bare route returning the same JSON, in alternate rounds."""
    with bench_server("emulator") as emulator, _client(emulator.url) as client:
        account_id = _seed(client, 1)[0]
        path = f"{ACCOUNTS}/{account_id}"
        body = _expect(client.get(path))
        with tempfile.TemporaryDirectory() as folder:
            body_file = Path(folder) / "account.json"
            body_file.write_text(json.dumps(body), encoding="utf-8")
            route = f"{ACCOUNTS}/{{id}}"
            with bench_server("bare", "--path", route, "--body-file", str(body_file)) as bare:
                bare_body = _expect(httpx.get(bare.url + path, headers=API_HEADERS))
                if bare_body != body:
                    raise RuntimeError("the bare route returned a different body")
                servers = {"emulator": emulator, "bare": bare}
                rates: dict[str, list[float]] = {"emulator": [], "bare": []}
                cpu_per_request: dict[str, list[float]] = {"emulator": [], "bare": []}
                for server in servers.values():
                    # Warm-up round, not counted.
                    load.requests_per_second(
                        server.url + path, API_HEADERS, seconds=1, connections=sizes.connections
                    )
                for _ in range(sizes.rps_rounds):
                    for name, server in servers.items():
                        cpu_before = server.cpu_seconds()
                        rate = load.requests_per_second(
                            server.url + path,
                            API_HEADERS,
                            seconds=sizes.rps_seconds,
                            connections=sizes.connections,
                        )
                        cpu = server.cpu_seconds() - cpu_before
                        rates[name].append(rate)
                        cpu_per_request[name].append(cpu / (rate * sizes.rps_seconds))
    get_rps = statistics.median(rates["emulator"])
    bare_rps = statistics.median(rates["bare"])
    return {
        "get_account_rps": round(get_rps),
        "bare_route_rps": round(bare_rps),
        "get_account_ratio": round(get_rps / bare_rps, 3),
        "get_account_cpu_us": round(statistics.median(cpu_per_request["emulator"]) * 1e6, 1),
        "bare_route_cpu_us": round(statistics.median(cpu_per_request["bare"]) * 1e6, 1),
    }


# --- Bulk adjust, peak RSS and Query over many accounts -----------------------------


def bulk_and_query(sizes: Sizes) -> dict[str, float]:
    """Seed accounts, time immediate bulk adjusts over all of them, then query them."""
    count = sizes.bulk_accounts
    with (
        bench_server("emulator", "--job-mode", "immediate") as server,
        _client(server.url) as client,
    ):
        started = time.perf_counter()
        _seed(client, count)
        seed_seconds = time.perf_counter() - started

        bulk_seconds: list[float] = []
        peak_rss = 0.0
        for run in range(sizes.bulk_runs):
            started = time.perf_counter()
            response = client.post(f"{ACCOUNTS}/bulk-adjust", json={"search": {}, "amount": 1})
            bulk_seconds.append(time.perf_counter() - started)
            job_id = _expect(response)["asyncJobId"]
            job = _expect(client.get(f"{JOBS}/{job_id}"))["job"]
            if job["status"] != "FINISHED" or job["counts"]["successCount"] != count:
                raise RuntimeError(f"bulk job did not finish over {count} accounts: {job}")
            if run == 0:
                # After one job the server contains the accounts and one transaction each.
                peak_rss = server.peak_rss_mb()

        query_seconds: list[float] = []
        for _ in range(sizes.query_runs):
            started = time.perf_counter()
            page = _expect(client.post(f"{ACCOUNTS}/query", json=QUERY_BODY))
            query_seconds.append(time.perf_counter() - started)
            if len(page["loyaltyAccounts"]) != 50:
                raise RuntimeError(f"query returned {len(page['loyaltyAccounts'])} accounts")

    loop_seconds = [bare_bulk_loop(count) for _ in range(sizes.bulk_runs)]
    bulk = statistics.median(bulk_seconds)
    loop = statistics.median(loop_seconds)
    return {
        "bulk_100k_seconds": round(bulk, 3),
        "bulk_100k_peak_rss_mb": round(peak_rss, 1),
        "bulk_loop_ratio": round(bulk / loop, 2),
        "query_100k_ms": round(_milliseconds(statistics.median(query_seconds)), 1),
        "bulk_loop_seconds": round(loop, 3),
        "seed_100k_seconds": round(seed_seconds, 2),
    }


def bare_bulk_loop(count: int) -> float:
    """Time a plain loop that does the data work of one bulk job over ``count`` accounts.

    Each account is a dict with the emulator's point counters. The loop moves the
    balance, appends a transaction record and a job item record with new IDs (from the
    emulator's own ``new_id``, so ID generation costs the same on both sides), and
    bumps the revision.
    """
    now = time.time()
    accounts: dict[str, dict[str, Any]] = {
        new_id(): {
            "earned": i % BALANCE_CYCLE,
            "adjusted": 0,
            "redeemed": 0,
            "expired": 0,
            "revision": 1,
        }
        for i in range(count)
    }
    account_ids = list(accounts)
    transactions: dict[str, dict[str, Any]] = {}
    items: list[dict[str, Any]] = []
    amount = 1
    started = time.perf_counter()
    for account_id in account_ids:
        account = accounts[account_id]
        before = account["earned"] + account["adjusted"] - account["redeemed"] - account["expired"]
        account["adjusted"] += amount
        account["revision"] += 1
        transaction_id = new_id()
        transactions[transaction_id] = {
            "id": transaction_id,
            "accountId": account_id,
            "created": now,
            "amount": amount,
            "type": "GIVE",
            "amountBefore": before,
            "amountAfter": before + amount,
        }
        account["latestTransaction"] = transactions[transaction_id]
        items.append({"id": new_id(), "entityId": account_id, "success": True})
    return time.perf_counter() - started


# --- Start-up, and keep-alive requests to the console script ------------------------


def _wait_for_health(url: str, deadline: float) -> None:
    host, port = url.removeprefix("http://").split(":")
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            connection.request("GET", "/_emulator/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.002)
    raise RuntimeError(f"{url}/_emulator/health did not return 200 in time")


def start_seconds(sizes: Sizes) -> dict[str, float]:
    """Time ``wix-loyalty-emulator --port 0`` from launch to the first health 200."""
    durations = []
    for _ in range(sizes.start_runs):
        with ServerProcess([str(console_script()), "--port", "0"]) as server:
            _wait_for_health(server.url, server.started + 30)
            durations.append(time.perf_counter() - server.started)
    return {"start_seconds": round(statistics.median(durations), 3)}


def keepalive_get_ms(sizes: Sizes) -> dict[str, float]:
    """Time sequential Get Account calls on one keep-alive connection to the console script.

    This is how a test suite's ``httpx.Client`` talks to the emulator.
    """
    command = [str(console_script()), "--port", "0", "--log-level", "info"]
    with ServerProcess(command) as server, _client(server.url) as client:
        account_id = _seed(client, 1)[0]
        path = f"{ACCOUNTS}/{account_id}"
        _expect(client.get(path))
        durations = []
        for _ in range(sizes.keepalive_requests):
            started = time.perf_counter()
            _expect(client.get(path))
            durations.append(time.perf_counter() - started)
    return {"keepalive_get_ms": round(_milliseconds(statistics.median(durations)), 2)}


# --- In-process store operations -----------------------------------------------------


def new_site_ms(sizes: Sizes) -> dict[str, float]:
    """Time ``Store.site`` creating a site the store has not seen."""
    store = Store(Settings(), make_clock("system"))
    durations = []
    for index in range(sizes.new_site_runs):
        site_id = f"site-{index}"
        started = time.perf_counter()
        store.site(site_id)
        durations.append(time.perf_counter() - started)
    return {"new_site_ms": round(_milliseconds(statistics.median(durations)), 4)}


def reset_ms(sizes: Sizes) -> dict[str, float]:
    """Time ``Store.reset`` of a site with many accounts, one transaction each and a job."""
    settings = Settings(job_mode="immediate", clock="manual")
    store = Store(settings, make_clock("manual"))
    durations = []
    for run in range(sizes.reset_runs):
        site_id = f"reset-{run}"
        site = store.site(site_id)
        now = store.clock.now()
        for start in range(0, sizes.reset_accounts, 500):
            size = min(500, sizes.reset_accounts - start)
            apply_seed(site, now, {"accounts": [{"balance": 10}] * size})
        start_bulk_adjust(site, now, settings, list(site.accounts), "amount", 1)
        del site
        started = time.perf_counter()
        store.reset(site_id)
        durations.append(time.perf_counter() - started)
    return {"reset_10k_ms": round(_milliseconds(statistics.median(durations)), 3)}


def state_machine(sizes: Sizes) -> dict[str, float]:
    """Run the contract suite's state machine in process; report steps/s and the app's share."""
    from .steps import run_machine

    runs = [
        run_machine(sizes.machine_examples, sizes.machine_steps) for _ in range(sizes.machine_runs)
    ]
    return {
        "state_machine_steps_per_s": round(statistics.median(r.steps_per_second for r in runs)),
        "state_machine_app_share": round(statistics.median(r.app_share for r in runs), 3),
    }
