"""Build the target of a run from command-line options and environment variables.

=====================  ==========================================================
variable               meaning
=====================  ==========================================================
CONTRACT_TARGET        emulator (default), inprocess, url or live
CONTRACT_BASE_URL      URL of a running emulator, for the url target
WIX_API_KEY            API key of the live target's site (never printed)
WIX_SITE_ID            ID of the live target's site; use a dedicated test site
CONTRACT_LIVE_BASE_URL base URL of the live target instead of www.wixapis.com, e.g.
                       a local emulator, to run the live code path in CI
CONTRACT_REQUEST_BUDGET most requests one run may send (live default 1500)
=====================  ==========================================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from emulator.rest.app import create_app
from emulator.settings import Settings
from emulator.testing import EmulatorServer

from .safety import RedactingFilter, Redactor, RequestBudget, Secret
from .schemas import ResponseValidator
from .targets import EmulatorTarget, LiveTarget, RunState, Target
from .transport import ApiKeyAuth, InProcessSender, SocketSender

TARGET_NAMES = ("emulator", "inprocess", "url", "live")
WIX_BASE_URL = "https://www.wixapis.com"
LIVE_CREDENTIALS = ("WIX_API_KEY", "WIX_SITE_ID")
DEFAULT_LIVE_BUDGET = 1500
# Any non-empty Authorization value is accepted by the emulator.
EMULATOR_KEY = "contract-test-key"


class ConfigError(Exception):
    """Options or environment variables that do not describe a usable target."""


@dataclass(frozen=True)
class TargetConfig:
    name: str
    base_url: str | None = None
    live_base_url: str = WIX_BASE_URL
    live_base_url_overridden: bool = False
    api_key: Secret | None = None
    site_id: str | None = None
    budget: int | None = None

    @classmethod
    def from_environment(cls, target: str | None, base_url: str | None) -> TargetConfig:
        """Read the target from the options given, falling back to environment variables."""
        name = target or os.environ.get("CONTRACT_TARGET") or "emulator"
        if name not in TARGET_NAMES:
            raise ConfigError(f"unknown target {name!r}; choose one of {', '.join(TARGET_NAMES)}")
        override = os.environ.get("CONTRACT_LIVE_BASE_URL", "").strip()
        budget_text = os.environ.get("CONTRACT_REQUEST_BUDGET", "").strip()
        budget = int(budget_text) if budget_text else None
        if name == "live" and budget is None:
            budget = DEFAULT_LIVE_BUDGET
        key = os.environ.get("WIX_API_KEY", "")
        return cls(
            name=name,
            base_url=base_url or os.environ.get("CONTRACT_BASE_URL") or None,
            live_base_url=override or WIX_BASE_URL,
            live_base_url_overridden=bool(override),
            api_key=Secret(key) if key else None,
            site_id=os.environ.get("WIX_SITE_ID") or None,
            budget=budget,
        )

    def missing_credentials(self) -> list[str]:
        """Return the live credentials that are not set."""
        missing = []
        if self.api_key is None:
            missing.append("WIX_API_KEY")
        if self.site_id is None:
            missing.append("WIX_SITE_ID")
        return missing

    @property
    def record_source(self) -> str:
        """Return what a recording made with this configuration came from."""
        return "emulator-self-check" if self.live_base_url_overridden else "live"


def open_target(config: TargetConfig) -> tuple[Target, Callable[[], None]]:
    """Create the target of ``config`` and a function that shuts it down."""
    validator = ResponseValidator()
    budget = RequestBudget(config.budget)
    if config.name == "live":
        return _open_live(config, validator, budget)
    emulator_auth = ApiKeyAuth(Secret(EMULATOR_KEY))
    stop: Callable[[], None] = lambda: None  # noqa: E731
    if config.name == "emulator":
        server = EmulatorServer(Settings(clock="manual"))
        server.start()
        sender: SocketSender | InProcessSender = SocketSender(server.url, auth=emulator_auth)
        stop = server.stop
    elif config.name == "inprocess":
        sender = InProcessSender(create_app(Settings(clock="manual")), auth=emulator_auth)
    else:
        if not config.base_url:
            raise ConfigError("the url target needs --base-url or CONTRACT_BASE_URL")
        sender = SocketSender(config.base_url, auth=emulator_auth)
    run = RunState(sender=sender, budget=budget, validator=validator, redactor=Redactor())
    target = EmulatorTarget(run, f"contract-{run.run_token}", name=config.name)

    def shut_down() -> None:
        target.close()
        stop()

    return target, shut_down


def _open_live(
    config: TargetConfig, validator: ResponseValidator, budget: RequestBudget
) -> tuple[Target, Callable[[], None]]:
    missing = config.missing_credentials()
    if missing:
        raise ConfigError(f"the live target needs {' and '.join(missing)}")
    assert config.api_key is not None and config.site_id is not None
    redactor = Redactor([config.api_key])
    for name in ("wixcontract", "httpx", "httpcore"):
        logging.getLogger(name).addFilter(RedactingFilter(redactor))
    sender = SocketSender(config.live_base_url, auth=ApiKeyAuth(config.api_key))
    run = RunState(sender=sender, budget=budget, validator=validator, redactor=redactor)
    target = LiveTarget(run, config.site_id, base_url=config.live_base_url)
    return target, target.close
