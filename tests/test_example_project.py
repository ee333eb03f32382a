"""Run the example project's own tests, serially and on two pytest-xdist workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "examples" / "bonus_project"
PROJECT_TESTS = 8


def run_project_tests(*options: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options, str(PROJECT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("options", [(), ("-n", "2")], ids=["serial", "two-workers"])
def test_example_project_passes(options: tuple[str, ...]) -> None:
    completed = run_project_tests(*options)

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert re.search(rf"\b{PROJECT_TESTS} passed\b", completed.stdout), output
    assert f"rootdir: {PROJECT}" in completed.stdout, "pytest did not use the project's own ini"
