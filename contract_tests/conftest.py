"""Options, Hypothesis profiles and fixtures of the contract suite.

Choose the target with ``--target`` or CONTRACT_TARGET:

* ``emulator`` (default): the suite starts one on 127.0.0.1 with a manual clock.
* ``inprocess``: the app is called through ``httpx.ASGITransport``, with no socket.
* ``url``: an emulator already running at ``--base-url``.
* ``live``: www.wixapis.com with WIX_API_KEY and WIX_SITE_ID. CONTRACT_LIVE_BASE_URL
  sends the same requests to another base URL, such as a local emulator.

Choose the Hypothesis profile with ``--hypothesis-profile`` or
CONTRACT_HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument
from wixcontract.config import TARGET_NAMES, ConfigError, TargetConfig, open_target
from wixcontract.recording import Recorder
from wixcontract.targets import Target

ROOT = Path(__file__).resolve().parent.parent
RECORDED_DIR = ROOT / "fixtures" / "recorded"
CONFIG_KEY = pytest.StashKey[TargetConfig]()
# Whether the test body passed; only a passing recorded test overwrites its recording.
PASSED_KEY = pytest.StashKey[bool]()

# Profiles of the state machine. ``ci`` explores deeply against an emulator target: the
# whole suite took 46 to 53 s with it on a 2-core machine, in-process or over a socket.
# ``live`` keeps a run against Wix small, ``mutation`` serves scripts/mutation-check, and
# ``dev`` is the default.
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 40, "stateful_step_count": 20},
    "ci": {"max_examples": 300, "stateful_step_count": 30, "database": None, "print_blob": True},
    "live": {"max_examples": 3, "stateful_step_count": 10, "database": None},
    "mutation": {"max_examples": 40, "stateful_step_count": 25, "database": None},
}
for profile_name, values in PROFILES.items():
    settings.register_profile(
        profile_name,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        **values,
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Wix Loyalty contract tests")
    group.addoption(
        "--target",
        choices=TARGET_NAMES,
        default=None,
        help="API to test: emulator, inprocess, url or live (env CONTRACT_TARGET; "
        "default emulator)",
    )
    group.addoption(
        "--base-url",
        default=None,
        help="URL of a running emulator for --target url (env CONTRACT_BASE_URL)",
    )
    group.addoption(
        "--record",
        action="store_true",
        default=False,
        help="with --target live, write each recorded test's exchanges to fixtures/recorded/",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "recorded: the test's exchanges are stored by --record and replayed later"
    )
    config.addinivalue_line(
        "markers", "emulator_only: the test needs the control plane or changes the program"
    )
    try:
        contract = TargetConfig.from_environment(
            config.getoption("--target"), config.getoption("--base-url")
        )
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    if config.getoption("--record") and contract.name != "live":
        raise pytest.UsageError("--record needs --target live (or CONTRACT_TARGET=live)")
    config.stash[CONFIG_KEY] = contract


def pytest_report_header(config: pytest.Config) -> str:
    contract = config.stash[CONFIG_KEY]
    import emulator

    where = contract.live_base_url if contract.name == "live" else contract.base_url or "-"
    return (
        f"contract target: {contract.name} ({where}); hypothesis profile: "
        f"{selected_profile(config)}; emulator package: {Path(emulator.__file__).parent}"
    )


def selected_profile(config: pytest.Config) -> str:
    """Return the profile the state machine uses: option, env, CI default, dev."""
    chosen = config.getoption("hypothesis_profile", default=None)
    chosen = chosen or os.environ.get("CONTRACT_HYPOTHESIS_PROFILE")
    if chosen:
        return str(chosen)
    if config.stash[CONFIG_KEY].name == "live":
        return "live"
    return "ci" if os.environ.get("CI") else "dev"


@pytest.fixture(scope="session")
def contract_config(pytestconfig: pytest.Config) -> TargetConfig:
    return pytestconfig.stash[CONFIG_KEY]


@pytest.fixture(scope="session")
def session_target(contract_config: TargetConfig) -> Iterator[Target]:
    """The target of the whole run; live tests skip when its credentials are missing."""
    if contract_config.name == "live":
        missing = contract_config.missing_credentials()
        if missing:
            pytest.skip(
                f"the live target needs {' and '.join(missing)}: set them to a dedicated "
                "test site's API key and site ID"
            )
    target, shut_down = open_target(contract_config)
    _USED_TARGETS.append(target)
    try:
        yield target
    finally:
        shut_down()


@pytest.fixture
def target(
    session_target: Target, request: pytest.FixtureRequest, contract_config: TargetConfig
) -> Iterator[Target]:
    """A target bound to a fresh site where possible; records the test when asked to."""
    if request.node.get_closest_marker("emulator_only") and not session_target.is_emulator:
        pytest.skip("needs an emulator target: it uses the control plane or changes the program")
    site = session_target.for_new_site()
    recorder = None
    if request.config.getoption("--record") and request.node.get_closest_marker("recorded"):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        recorder = Recorder(
            name,
            site.run.run_token,
            site.site_id,
            contract_config.record_source,
            redact=site.run.redactor,
        )
    try:
        if recorder is None:
            yield site
        else:
            with site.recording(recorder):
                yield site
            if request.node.stash.get(PASSED_KEY, False):
                recorder.write(RECORDED_DIR)
    finally:
        site.release_site()


@pytest.fixture(scope="session")
def machine_settings(pytestconfig: pytest.Config) -> settings:
    name = selected_profile(pytestconfig)
    try:
        return settings.get_profile(name)
    except InvalidArgument:
        # A profile registered elsewhere and loaded by --hypothesis-profile.
        return settings()


_USED_TARGETS: list[Target] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for target in _USED_TARGETS:
        budget = target.run.budget
        limit = "no limit" if budget.limit is None else f"a budget of {budget.limit}"
        terminalreporter.write_line(
            f"contract target {target.name}: {budget.used} requests sent, {limit}"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note whether the test passed, and stop the run once the request budget is spent."""
    report = yield
    if report.when == "call":
        item.stash[PASSED_KEY] = report.passed
    target = getattr(item, "funcargs", {}).get("session_target")
    if isinstance(target, Target) and target.run.budget.exceeded:
        item.session.shouldstop = (
            f"request budget of {target.run.budget.limit} exceeded; raise "
            "CONTRACT_REQUEST_BUDGET or select fewer tests"
        )
    return report
