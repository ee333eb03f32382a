"""The console script: start-up files, settings from options and environment, bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_server(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``python -m emulator --port 0 ARGS`` and yield its URL from the start-up line."""
    command = [sys.executable, "-m", "emulator", "--port", "0", *args]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"serving on (http://\S+)", line)
            if found:
                yield found.group(1)
                return
            if not line and process.poll() is not None:
                break
        raise AssertionError("the emulator did not log its URL within 20 s")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def run_failing(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "emulator", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})}
    )


def test_fault_file_loaded_at_start(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    rule = {"operation": "getLoyaltyProgram", "status": 503, "times": 1}
    faults.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")
    headers = {"Authorization": "k", "wix-site-id": "cli-site"}
    with running_server("--faults", str(faults)) as url:
        first = httpx.get(f"{url}/loyalty-programs/v1/program", headers=headers)
        second = httpx.get(f"{url}/loyalty-programs/v1/program", headers=headers)
    assert first.status_code == 503
    assert second.status_code == 200


def test_seed_file_loaded_at_start() -> None:
    seed = ROOT / "fixtures" / "demo-site.json"
    with running_server("--seed", str(seed)) as url:
        sites = httpx.get(f"{url}/_emulator/sites").json()["sites"]
    assert [site["siteId"] for site in sites] == ["demo-site"]
    assert sites[0]["accounts"] == 10


def test_options_and_environment_set_settings() -> None:
    env = {"WIX_EMULATOR_JOB_RATE": "42", "WIX_EMULATOR_JOB_MODE": "manual"}
    with running_server(
        "--job-mode", "immediate", "--set", "fetch_by_missing=not_found", env=env
    ) as url:
        settings = httpx.get(f"{url}/_emulator/settings").json()["settings"]
    assert settings["job_rate"] == 42.0
    assert settings["job_mode"] == "immediate"
    assert settings["fetch_by_missing"] == "not_found"


def test_bad_environment_value_is_usage_error() -> None:
    completed = run_failing(env={"WIX_EMULATOR_JOB_RATE": "fast"})
    assert completed.returncode == 2
    assert "invalid float value: 'fast'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_bad_set_value_names_setting() -> None:
    completed = run_failing("--set", "job_mode=sometimes")
    assert completed.returncode != 0
    assert "job_mode" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_invalid_fault_file_stops_start(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"operation": "noSuchOperation", "status": 500}]), "utf-8")
    completed = run_failing("--port", "0", "--faults", str(faults))
    assert completed.returncode != 0
    assert "noSuchOperation" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_taken_port_is_reported() -> None:
    with running_server() as url:
        port = url.rsplit(":", 1)[1]
        completed = run_failing("--port", port)
    assert completed.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in completed.stderr


def test_binds_loopback_by_default() -> None:
    with running_server() as url:
        assert url.startswith("http://127.0.0.1:")
