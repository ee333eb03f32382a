"""Drive the contract suite's state machine against the in-process emulator, for steps/s.

The machine is ``LoyaltySite`` from ``contract_tests/test_contract_state_machine.py``,
built for the suite's ``inprocess`` target: the app is called through
``httpx.ASGITransport`` with a manual clock, with no socket. A step is one rule and
the invariants that Hypothesis checks after it, as in the suite's own runs. The app is
wrapped in a timer, so the run also measures how much of the step time the emulator
itself spends.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test
from starlette.types import ASGIApp, Receive, Scope, Send

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract_tests"


@dataclass
class MachineRun:
    steps: int
    seconds: float
    app_seconds: float

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds

    @property
    def app_share(self) -> float:
        """Fraction of the run spent inside the emulator's ASGI app."""
        return self.app_seconds / self.seconds


def run_machine(examples: int, steps_per_example: int) -> MachineRun:
    """Run ``examples`` machines of up to ``steps_per_example`` steps each."""
    if str(CONTRACT_DIR) not in sys.path:
        sys.path.insert(0, str(CONTRACT_DIR))
    from test_contract_state_machine import build_machine
    from wixcontract import config

    app_seconds = [0.0]
    create_app = config.create_app

    def create_timed_app(*args: Any, **kwargs: Any) -> ASGIApp:
        app = create_app(*args, **kwargs)

        async def timed_app(scope: Scope, receive: Receive, send: Send) -> None:
            started = time.perf_counter()
            try:
                await app(scope, receive, send)
            finally:
                app_seconds[0] += time.perf_counter() - started

        return timed_app

    # open_target builds the inprocess app with config.create_app.
    config.create_app = create_timed_app
    try:
        target, shut_down = config.open_target(config.TargetConfig(name="inprocess"))
    finally:
        config.create_app = create_app
    counts = {"machines": 0, "checks": 0}
    try:
        machine = build_machine(target)

        class CountedMachine(machine):  # type: ignore[valid-type, misc]
            """The contract machine, counting steps through an extra invariant."""

            def __init__(self) -> None:
                super().__init__()
                counts["machines"] += 1

            # Hypothesis checks invariants once before the first step and after each step.
            @invariant()
            def count_steps(self) -> None:
                counts["checks"] += 1

        run_settings = settings(
            max_examples=examples,
            stateful_step_count=steps_per_example,
            database=None,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        started = time.perf_counter()
        run_state_machine_as_test(CountedMachine, settings=run_settings)
        elapsed = time.perf_counter() - started
    finally:
        shut_down()
    steps = counts["checks"] - counts["machines"]
    return MachineRun(steps=steps, seconds=elapsed, app_seconds=app_seconds[0])
