"""pytest fixtures that run the emulator and give each test its own Wix site.

pytest loads this plugin through the ``pytest11`` entry point once the package is
installed. Fixtures:

- ``wix_emulator`` (session): one ``EmulatorServer`` on 127.0.0.1 and a free port,
  started the first time a test requests it. Each pytest-xdist worker starts its own.
- ``wix_emulator_app`` (session): that server's ASGI app, for in-process calls through
  ``httpx.ASGITransport``. It shares the server's state.
- ``wix_control`` (session): an ``EmulatorClient`` for the server's ``/_emulator`` routes.
- ``wix_site`` (function): a ``WixSite`` with a fresh random ``wix-site-id``. Creating
  one sends no request, because the emulator creates a site on its first use. At
  teardown the site is dropped and every setting it changed is restored.

The server's clock and job timing come from command-line options, else ini settings,
else the defaults (manual clock, timed jobs with the emulator's default delay and rate):
``--wix-emulator-clock`` / ``wix_emulator_clock``, ``--wix-emulator-job-mode`` /
``wix_emulator_job_mode``, ``--wix-emulator-job-delay`` / ``wix_emulator_job_delay`` and
``--wix-emulator-job-rate`` / ``wix_emulator_job_rate``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from .client import DEFAULT_API_KEY, JSON, EmulatorClient, InProcessTransport
from .settings import CLOCK_MODES, JOB_MODES, Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .testing import EmulatorServer

_DEFAULTS = Settings()
# name -> (choices or None, default as the ini text, help)
_OPTIONS: dict[str, tuple[tuple[str, ...] | None, str, str]] = {
    "clock": (
        CLOCK_MODES,
        "manual",
        "clock of the emulator that the wix_emulator fixture starts: 'manual' moves only "
        "when a test advances it, 'system' follows wall-clock time (default manual)",
    ),
    "job_mode": (
        JOB_MODES,
        "timed",
        "how bulk jobs move: 'timed' (job delay, then job rate accounts per second), "
        "'immediate' (FINISHED before the bulk response returns) or 'manual' "
        "(only control calls move them) (default timed)",
    ),
    "job_delay": (
        None,
        f"{_DEFAULTS.job_start_delay:g}",
        f"seconds a timed job stays INITIALIZED (default {_DEFAULTS.job_start_delay:g})",
    ),
    "job_rate": (
        None,
        f"{_DEFAULTS.job_rate:g}",
        f"accounts per second a timed job applies (default {_DEFAULTS.job_rate:g})",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wix-emulator", "Wix Loyalty emulator (wix_emulator fixtures)")
    for name, (choices, default, help_text) in _OPTIONS.items():
        group.addoption(
            "--wix-emulator-" + name.replace("_", "-"),
            dest="wix_emulator_" + name,
            choices=choices,
            default=None,
            help=help_text,
        )
        parser.addini("wix_emulator_" + name, help=help_text, default=default)


@dataclass(frozen=True)
class EmulatorOptions:
    """The server settings the plugin's options and ini settings choose."""

    clock: str
    job_mode: str
    job_delay: float
    job_rate: float

    def settings(self) -> Settings:
        return Settings(
            clock=self.clock,
            job_mode=self.job_mode,
            job_start_delay=self.job_delay,
            job_rate=self.job_rate,
        )


def read_options(config: pytest.Config) -> EmulatorOptions:
    """Read the options, else the ini settings; raise ``pytest.UsageError`` if invalid."""
    values: dict[str, tuple[str, str]] = {}
    for name, (choices, _, _) in _OPTIONS.items():
        option = config.getoption("wix_emulator_" + name)
        if option is not None:
            source, text = "--wix-emulator-" + name.replace("_", "-"), str(option)
        else:
            source, text = "wix_emulator_" + name, str(config.getini("wix_emulator_" + name))
        values[name] = (source, text.strip())
        if choices is not None and text.strip() not in choices:
            raise pytest.UsageError(f"{source} must be one of {', '.join(choices)}, got {text!r}")
    return EmulatorOptions(
        clock=values["clock"][1],
        job_mode=values["job_mode"][1],
        job_delay=_number(*values["job_delay"], "seconds, 0 or more", allow_zero=True),
        job_rate=_number(*values["job_rate"], "accounts per second, more than 0", allow_zero=False),
    )


def _number(source: str, text: str, expected: str, *, allow_zero: bool) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number) and (number > 0 or (allow_zero and number == 0)):
        return number
    raise pytest.UsageError(f"{source} must be a number of {expected}, got {text!r}")


_OPTIONS_KEY = pytest.StashKey[EmulatorOptions]()


def pytest_configure(config: pytest.Config) -> None:
    # Read the options at start-up, so a bad value stops the run before any test.
    config.stash[_OPTIONS_KEY] = read_options(config)


class WixSite:
    """One test's Wix site on the session's emulator, with shortcuts to the control plane.

    ``headers`` carries ``Authorization`` and ``wix-site-id``; ``client`` is an httpx
    client with those headers and the server's base URL, for the Wix API paths.
    """

    def __init__(
        self, server: EmulatorServer, control: EmulatorClient, api_key: str = DEFAULT_API_KEY
    ) -> None:
        self.site_id = str(uuid.uuid4())
        self.url = server.url
        self.headers = {"Authorization": api_key, "wix-site-id": self.site_id}
        self.control = control
        self._server = server
        self._client: httpx.Client | None = None
        self._in_process: list[httpx.Client] = []
        self._saved_settings: JSON = {}
        self._fault_ids: list[str] = []

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = self.control.api(self.site_id, self.headers["Authorization"])
        return self._client

    def seed(
        self,
        *,
        contacts: list[JSON] | None = None,
        accounts: list[JSON] | None = None,
        program: JSON | None = None,
    ) -> list[str]:
        """Add contacts and accounts to this site (the seed format); return the account IDs."""
        return self.control.seed(
            self.site_id, contacts=contacts, accounts=accounts, program=program
        )

    def seed_balances(self, *balances: int) -> list[str]:
        """Create one account per balance, each with a new contact; return their IDs."""
        return self.seed(accounts=[{"balance": balance} for balance in balances])

    def advance(self, seconds: float) -> JSON:
        """Move the server's clock forward; it is shared by every site of this worker."""
        return self.control.advance(seconds)

    def run_jobs(self) -> int:
        """Run every unfinished job of this site to the end; return how many ran."""
        return self.control.run_jobs(self.site_id)

    def wait_for_job(self, job_id: str) -> JSON:
        """Apply every remaining item of a job now and return the job as Get Async Job does.

        A job that already ended, FINISHED or FAILED, is returned as it is.
        """
        job: JSON = self.control.finish(job_id)["job"]
        return job

    def settings(self, **changes: Any) -> JSON:
        """Change server settings until this test ends; return every setting.

        Settings are shared by every site of this worker. For job timing that applies to
        this site only, use ``set_job_profile``.
        """
        if not changes:
            return self.control.settings()
        current = self.control.settings()
        for name in changes:
            if name in current:
                self._saved_settings.setdefault(name, current[name])
        return self.control.update_settings(**changes)

    def set_job_profile(self, mode: str, **options: Any) -> JSON:
        """Give this site its own job timing, e.g. ``("timed", delay=2, rate=50)``."""
        return self.control.set_job_profile(self.site_id, mode, **options)

    def add_fault(self, **rule: Any) -> JSON:
        """Add a fault rule that matches only this site; it is deleted at teardown."""
        stored = self.control.add_fault(**rule, siteId=self.site_id)
        self._fault_ids.append(stored["id"])
        return stored

    def journal(self, **filters: Any) -> list[JSON]:
        """List this site's journal entries; filters as ``EmulatorClient.journal``."""
        return self.control.journal(self.site_id, **filters)

    def async_client(self) -> httpx.AsyncClient:
        """Return an ``httpx.AsyncClient`` that calls the app in this process; close it."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._server.app),
            base_url="http://testserver",
            headers=self.headers,
            trust_env=False,
        )

    def asgi_client(self) -> httpx.Client:
        """Return an ``httpx.Client`` that calls the app in this process, with no socket.

        It has this site's headers and is closed at teardown.
        """
        client = httpx.Client(
            transport=InProcessTransport(self._server.app),
            base_url="http://testserver",
            headers=self.headers,
            trust_env=False,
        )
        self._in_process.append(client)
        return client

    def close(self) -> None:
        """Restore changed settings, delete this site's faults and drop its state."""
        if self._saved_settings:
            self.control.update_settings(**self._saved_settings)
            self._saved_settings = {}
        for rule_id in self._fault_ids:
            self.control.delete_faults(rule_id)
        self._fault_ids = []
        if self._client is not None:
            self._client.close()
        for in_process in self._in_process:
            in_process.close()
        store = self._server.store
        with store.lock:
            store.reset(self.site_id)
            store.journal.clear(self.site_id)


@pytest.fixture(scope="session")
def wix_emulator(pytestconfig: pytest.Config) -> Iterator[EmulatorServer]:
    """Start one emulator server for the session (per pytest-xdist worker) on a free port."""
    server = start_emulator(pytestconfig.stash[_OPTIONS_KEY])
    try:
        yield server
    finally:
        server.stop()


def start_emulator(options: EmulatorOptions) -> EmulatorServer:
    """Start the server that ``wix_emulator`` provides; the caller stops it."""
    from .testing import EmulatorServer

    server = EmulatorServer(options.settings())
    return server.start()


@pytest.fixture(scope="session")
def wix_emulator_app(wix_emulator: EmulatorServer) -> Starlette:
    """Return the session server's ASGI app; calls through it share the server's state."""
    return wix_emulator.app


@pytest.fixture(scope="session")
def wix_control(wix_emulator: EmulatorServer) -> Iterator[EmulatorClient]:
    """Provide an ``EmulatorClient`` for the session server's ``/_emulator`` routes."""
    with EmulatorClient(wix_emulator.url) as control:
        yield control


@pytest.fixture
def wix_site(wix_emulator: EmulatorServer, wix_control: EmulatorClient) -> Iterator[WixSite]:
    """Provide a fresh Wix site for one test and drop its state at teardown."""
    site = WixSite(wix_emulator, wix_control)
    yield site
    site.close()
