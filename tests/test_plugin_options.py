"""Tests for the pytest plugin as a user meets it: options, ini settings, teardown, xdist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# Prints the server's clock and job settings so the outer test can read them.
SETTINGS_PROBE = """
def test_probe(wix_control):
    settings = wix_control.settings()
    print("PROBE", wix_control.health()["clock"], settings["job_mode"],
          settings["job_start_delay"], settings["job_rate"])
"""


def probe_line(result: pytest.RunResult) -> str:
    # With -s the line follows the test file's name on pytest's progress line.
    lines = [line[line.index("PROBE ") :] for line in result.outlines if "PROBE " in line]
    assert len(lines) == 1, result.outlines
    return lines[0]


def test_defaults_manual_clock_timed_jobs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SETTINGS_PROBE)

    result = pytester.runpytest("-s")

    result.assert_outcomes(passed=1)
    assert probe_line(result) == "PROBE manual timed 0.5 200.0"


def test_ini_settings_choose_timing(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        wix_emulator_clock = system
        wix_emulator_job_mode = immediate
        wix_emulator_job_delay = 2.5
        wix_emulator_job_rate = 40
        """
    )
    pytester.makepyfile(SETTINGS_PROBE)

    result = pytester.runpytest("-s")

    result.assert_outcomes(passed=1)
    assert probe_line(result) == "PROBE system immediate 2.5 40.0"


def test_options_override_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        wix_emulator_job_mode = immediate
        wix_emulator_job_rate = 40
        """
    )
    pytester.makepyfile(SETTINGS_PROBE)

    result = pytester.runpytest(
        "-s",
        "--wix-emulator-clock=system",
        "--wix-emulator-job-mode=manual",
        "--wix-emulator-job-delay=0",
        "--wix-emulator-job-rate=7",
    )

    result.assert_outcomes(passed=1)
    assert probe_line(result) == "PROBE system manual 0.0 7.0"


def test_invalid_option_is_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SETTINGS_PROBE)

    bad_mode = pytester.runpytest("--wix-emulator-job-mode=sometimes")
    bad_rate = pytester.runpytest("--wix-emulator-job-rate=-3")

    assert bad_mode.ret == pytest.ExitCode.USAGE_ERROR
    bad_mode.stderr.fnmatch_lines(["*--wix-emulator-job-mode*invalid choice*sometimes*"])
    assert bad_rate.ret == pytest.ExitCode.USAGE_ERROR
    bad_rate.stderr.fnmatch_lines(["*--wix-emulator-job-rate must be a number of*got '-3'"])


@pytest.mark.parametrize(
    ("ini_line", "message"),
    [
        ("wix_emulator_job_rate = 0", "*wix_emulator_job_rate must be*more than 0, got '0'"),
        ("wix_emulator_job_delay = -1", "*wix_emulator_job_delay must be*0 or more, got '-1'"),
        ("wix_emulator_job_delay = soon", "*wix_emulator_job_delay must be a number*got 'soon'*"),
        ("wix_emulator_clock = lunar", "*wix_emulator_clock must be one of system, manual*"),
        ("wix_emulator_job_mode = later", "*wix_emulator_job_mode must be one of timed*"),
    ],
)
def test_invalid_ini_value_is_usage_error(
    pytester: pytest.Pytester, ini_line: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini_line}\n")
    pytester.makepyfile(SETTINGS_PROBE)

    result = pytester.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_teardown_isolates_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        seen = {}

        def test_first_changes_everything(wix_site):
            seen["site"] = wix_site.site_id
            wix_site.seed_balances(10)
            wix_site.settings(reward_threshold=99)
            wix_site.add_fault(operation="getLoyaltyProgram", status=503)

        def test_second_sees_clean_server(wix_site, wix_emulator, wix_control):
            assert wix_site.site_id != seen["site"]
            assert seen["site"] not in wix_emulator.store.sites
            assert wix_control.settings()["reward_threshold"] == 0
            assert wix_control.faults() == []
        """
    )

    result = pytester.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_failing_test_still_tears_down(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        seen = {}

        def test_fails_after_change(wix_site):
            seen["site"] = wix_site.site_id
            wix_site.settings(reward_threshold=5)
            wix_site.seed_balances(1)
            assert False, "fails on purpose"

        def test_after_failure(wix_emulator, wix_control):
            assert seen["site"] not in wix_emulator.store.sites
            assert wix_control.settings()["reward_threshold"] == 0
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)


def test_xdist_workers_have_own_servers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_site(n, wix_site, wix_emulator):
            [account_id] = wix_site.seed_balances(n)
            wix_site.advance(1)
            body = wix_site.client.get(f"/loyalty-accounts/v1/accounts/{account_id}").json()
            assert body["account"]["points"]["balance"] == n
            print("WORKER", os.environ.get("PYTEST_XDIST_WORKER"), wix_emulator.port)
        """
    )

    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "-rA", "-s")

    result.assert_outcomes(passed=8)


def test_fixtures_listed_after_install(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode in (0, pytest.ExitCode.NO_TESTS_COLLECTED), completed.stderr
    for name in ("wix_emulator", "wix_emulator_app", "wix_control", "wix_site"):
        assert f"\n{name} " in completed.stdout, f"{name} missing from pytest --fixtures"
    assert "emulator/pytest_plugin.py" in completed.stdout
