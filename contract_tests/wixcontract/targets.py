"""Targets: one interface over the emulator (socket or in-process) and the live Wix API.

``Target.request`` adds the Wix headers, spends the request budget, retries a 429
after its ``Retry-After``, validates the body against the repository's schemas and
hands the exchange to a recorder. The rest hides what differs between targets:

=================  ===============================  ===================================
                   emulator targets                 live (and its local override)
=================  ===============================  ===================================
new site           a fresh ``wix-site-id``          the one site named by WIX_SITE_ID
``new_contact``    ``POST /_emulator/seed``         Contacts API ``POST /contacts/v4/...``
``wait_for_job``   moves the manual clock           polls with bounded exponential backoff
control plane      allowed                          rejected before sending
=================  ===============================  ===================================
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from .paths import ACCOUNTS, CONTACTS, FINISHED_STATUSES, JOBS
from .safety import (
    Redactor,
    RequestBudget,
    RequestBudgetExceeded,
    UnscopedBulkAdjustError,
    check_bulk_scope,
)
from .schemas import ResponseValidator, SchemaViolation
from .transport import Sender

logger = logging.getLogger("wixcontract")

SITE_HEADER = "wix-site-id"
# Headers kept in a recording. Authorization is never one of them.
RECORDED_REQUEST_HEADERS = ("content-type", SITE_HEADER)
RECORDED_RESPONSE_HEADERS = ("content-type", "retry-after", "x-wix-request-id")

_ACCOUNT_WRITE = re.compile(r"/v1/accounts/([^/]+)/(earn-points|adjust-points)$")
_CONTACT_PATH = re.compile(r"/contacts/v4/contacts/([^/]+)$")
_PROGRAM_WRITE = re.compile(r"/v1/program(/activate|/pause)?$")


class JobTimeout(AssertionError):
    """A job that was not FINISHED or FAILED by its deadline."""


class UnsafeRequestError(Exception):
    """A request that a target other than the emulator must never send."""


@dataclass(frozen=True)
class JobTiming:
    """A site's job profile: INITIALIZED for ``delay`` s, then ``rate`` items per second."""

    delay: float
    rate: float

    def duration(self, items: int) -> float:
        return self.delay + items / self.rate


@dataclass
class Exchange:
    """One request and its response, as a recorder receives them."""

    method: str
    path: str
    params: Any
    json: Any
    request_headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    body: Any
    kind: str = "request"


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any
    text: str
    request_json: Any
    redact: Callable[[str], str] = field(repr=False, default=lambda text: text)

    def describe(self) -> str:
        """Return the request and response in one redacted, truncated paragraph."""
        sent = "" if self.request_json is None else f" with {json.dumps(self.request_json)}"
        received = self.text if len(self.text) <= 2000 else self.text[:2000] + "..."
        return self.redact(f"{self.method} {self.path}{sent} returned {self.status}: {received}")

    def expect(self, status: int = 200) -> Any:
        """Return the body, or raise ``AssertionError`` when the status is not ``status``."""
        if self.status != status:
            raise AssertionError(f"expected {status}; {self.describe()}")
        return self.body

    @property
    def error_code(self) -> str | None:
        details = (self.body or {}).get("details") or {}
        code = (details.get("applicationError") or {}).get("code")
        return code if isinstance(code, str) else None

    @property
    def violated_fields(self) -> list[str]:
        details = (self.body or {}).get("details") or {}
        violations = (details.get("validationError") or {}).get("fieldViolations") or []
        return [v.get("field", "") for v in violations]


@dataclass
class RunState:
    """What every target of one run shares, whatever site it is bound to."""

    sender: Sender
    budget: RequestBudget
    validator: ResponseValidator
    redactor: Redactor
    run_token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    contacts_made: int = 0
    account_ids: set[str] = field(default_factory=set)
    contact_ids: set[str] = field(default_factory=set)
    # Random IDs handed out by ``unknown_id``: nobody's, so safe to send writes to.
    unknown_ids: set[str] = field(default_factory=set)
    # Contacts this run created through the Contacts API and has not deleted yet.
    created_contacts: list[str] = field(default_factory=list)
    # The emulator's manual clock as last read or moved. All sites share one clock.
    emulator_clock: float = 0.0


def retry_after_seconds(value: str | None, attempt: int, now: float | None = None) -> float:
    """Return the seconds to wait from a Retry-After header (seconds or an HTTP date).

    Without the header, the wait doubles from 1 s with each attempt.
    """
    text = (value or "").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return float(2**attempt)
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class Target:
    """A Wix API under test. The module docstring lists how the targets differ."""

    name = "target"
    is_emulator = True
    can_control_clock = False
    job_timing: JobTiming | None = None
    max_retries = 5
    max_retry_wait = 60.0

    def __init__(
        self, run: RunState, site_id: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.run = run
        self.site_id = site_id
        self.sleep = sleep
        self._listener: Callable[[Exchange], None] | None = None
        self._recording_paused = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(site_id={self.site_id!r})"

    # -- requests --------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> Response:
        """Send one request, and retry a 429 up to ``max_retries`` times."""
        self.check_allowed(method, path, json)
        sent_headers = {SITE_HEADER: self.site_id, **(headers or {})}
        attempt = 0
        while True:
            self.run.budget.spend()
            started = time.monotonic()
            raw = self.run.sender.send(
                method,
                path,
                json=json,
                params=params,
                headers=sent_headers,
                authenticated=authenticated,
            )
            elapsed = (time.monotonic() - started) * 1000
            logger.debug("%s %s -> %d (%.1f ms)", method, path, raw.status_code, elapsed)
            if raw.status_code != 429 or attempt >= self.max_retries:
                break
            wait = min(
                retry_after_seconds(raw.headers.get("retry-after"), attempt), self.max_retry_wait
            )
            attempt += 1
            logger.warning(
                "%s %s was rate limited (429); retry %d of %d in %.1f s",
                method,
                path,
                attempt,
                self.max_retries,
                wait,
            )
            self.sleep(wait)
        response = self._response(method, path, json, raw)
        try:
            self.run.validator.check(method, path, response.status, response.body)
        except SchemaViolation as violation:
            raise SchemaViolation(self.run.redactor(str(violation))) from None
        self._remember(response)
        self._emit(response, params, sent_headers)
        return response

    def _response(self, method: str, path: str, body: Any, raw: httpx.Response) -> Response:
        parsed: Any = None
        if raw.content:
            try:
                parsed = raw.json()
            except ValueError:
                parsed = None
        return Response(
            method=method,
            path=path,
            status=raw.status_code,
            headers={k.lower(): v for k, v in raw.headers.items()},
            body=parsed,
            text=raw.text,
            request_json=body,
            redact=self.run.redactor,
        )

    def check_allowed(self, method: str, path: str, body: Any) -> None:
        """Raise ``UnsafeRequestError`` for a request this target must not send.

        Emulator targets allow every request.
        """

    def _remember(self, response: Response) -> None:
        if response.status != 200 or not isinstance(response.body, dict):
            return
        account = response.body.get("account")
        if response.method == "POST" and response.path.endswith(ACCOUNTS) and account:
            self.run.account_ids.add(account["id"])
            self.run.contact_ids.add(account["contactId"])
        contact = response.body.get("contact")
        if response.method == "POST" and response.path.endswith(CONTACTS) and contact:
            self.run.contact_ids.add(contact["id"])
            self.run.created_contacts.append(contact["id"])
        deleted = _CONTACT_PATH.search(response.path)
        if response.method == "DELETE" and deleted:
            contact_id = deleted.group(1).lower()
            if contact_id in self.run.created_contacts:
                self.run.created_contacts.remove(contact_id)

    # -- recording -------------------------------------------------------------------

    @contextmanager
    def recording(self, listener: Callable[[Exchange], None]) -> Iterator[None]:
        """Send every exchange made inside the block to ``listener``."""
        previous, self._listener = self._listener, listener
        try:
            yield
        finally:
            self._listener = previous

    def _emit(self, response: Response, params: Any, headers: dict[str, str]) -> None:
        if self._listener is None or self._recording_paused:
            return
        if response.path.startswith("/_emulator"):
            return
        request_headers = {
            k: v for k, v in headers.items() if k.lower() in RECORDED_REQUEST_HEADERS
        }
        if response.request_json is not None:
            request_headers["content-type"] = "application/json"
        self._listener(
            Exchange(
                method=response.method,
                path=response.path,
                params=params,
                json=response.request_json,
                request_headers=request_headers,
                status=response.status,
                response_headers={
                    k: v for k, v in response.headers.items() if k in RECORDED_RESPONSE_HEADERS
                },
                body=response.body,
            )
        )

    # -- time and jobs ---------------------------------------------------------------

    def now(self) -> float:
        """Return the current time on the clock that job deadlines use."""
        return time.time()

    def advance(self, seconds: float) -> float:
        raise NotImplementedError(f"{self.name} cannot move its clock; use wait_for_job")

    def wait_for_job(self, job_id: str, deadline: float) -> dict[str, Any]:
        """Return the job once FINISHED or FAILED; raise ``JobTimeout`` after ``deadline``.

        ``deadline`` is a time on ``now()``'s clock. This version polls Get Async Job
        with exponential backoff from 0.2 s, doubling up to 5 s.
        """
        delay = 0.2
        self._recording_paused = True
        try:
            while True:
                job: dict[str, Any] = self.request("GET", f"{JOBS}/{job_id}").expect(200)["job"]
                remaining = deadline - self.now()
                if job["status"] in FINISHED_STATUSES:
                    break
                if remaining <= 0:
                    raise JobTimeout(
                        f"job {job_id} is still {job['status']} after its deadline: {job}"
                    )
                self.sleep(min(delay, remaining))
                delay = min(delay * 2, 5.0)
        finally:
            self._recording_paused = False
        self._emit_wait(job_id, job)
        return job

    def _emit_wait(self, job_id: str, job: dict[str, Any]) -> None:
        if self._listener is None:
            return
        self._listener(
            Exchange(
                "GET", f"{JOBS}/{job_id}", None, None, {}, 200, {}, {"job": job}, "wait-for-job"
            )
        )

    # -- sites and contacts ------------------------------------------------------------

    def new_contact(self) -> str:
        raise NotImplementedError

    def contact_name(self) -> tuple[str, str, str]:
        """Return a first name, last name and email unique to this run."""
        self.run.contacts_made += 1
        serial = f"{self.run.run_token}-{self.run.contacts_made}"
        return "Contract", f"Test {serial}", f"contract-test-{serial}@example.com"

    def unknown_id(self) -> str:
        """Return a fresh random GUID that no account, job or transaction has."""
        value = str(uuid.uuid4())
        self.run.unknown_ids.add(value)
        return value

    def for_new_site(self) -> Target:
        """Return a target bound to an empty site, where the target can make one."""
        return self

    def release_site(self) -> None:
        """Drop what ``for_new_site`` made, when the target can."""

    def close(self) -> None:
        self.run.sender.close()


class EmulatorTarget(Target):
    """The emulator: started by the suite, in-process, or already running at a URL."""

    # Job timing of every site the suite makes. Manual-clock times are exact binary
    # fractions, so item due times never suffer rounding.
    MANUAL_TIMING = JobTiming(delay=1.0, rate=2.0)
    SYSTEM_TIMING = JobTiming(delay=0.1, rate=100.0)

    def __init__(self, run: RunState, site_id: str, *, name: str, **kwargs: Any) -> None:
        super().__init__(run, site_id, **kwargs)
        self.name = name
        clock = self.request("GET", "/_emulator/clock").expect(200)
        self.can_control_clock = clock["mode"] == "manual"
        self.run.emulator_clock = float(clock["epochSeconds"])
        self.job_timing = self.MANUAL_TIMING if self.can_control_clock else self.SYSTEM_TIMING
        self._owns_site = False

    def now(self) -> float:
        return self.run.emulator_clock if self.can_control_clock else time.time()

    def advance(self, seconds: float) -> float:
        if not self.can_control_clock:
            raise NotImplementedError("this emulator runs a system clock; use wait_for_job")
        clock = self.request("POST", "/_emulator/clock/advance", json={"seconds": seconds})
        self.run.emulator_clock = float(clock.expect(200)["epochSeconds"])
        return self.run.emulator_clock

    def wait_for_job(self, job_id: str, deadline: float) -> dict[str, Any]:
        if not self.can_control_clock:
            return super().wait_for_job(job_id, deadline)
        if deadline > self.now():
            self.advance(deadline - self.now())
        self._recording_paused = True
        try:
            job: dict[str, Any] = self.request("GET", f"{JOBS}/{job_id}").expect(200)["job"]
        finally:
            self._recording_paused = False
        if job["status"] not in FINISHED_STATUSES:
            raise JobTimeout(f"job {job_id} is still {job['status']} at its deadline: {job}")
        self._emit_wait(job_id, job)
        return job

    def new_contact(self) -> str:
        first, last, email_address = self.contact_name()
        contact_id = str(uuid.uuid4())
        contact = {"id": contact_id, "name": f"{first} {last}", "email": email_address}
        body = {"siteId": self.site_id, "contacts": [contact]}
        self.request("POST", "/_emulator/seed", json=body).expect(200)
        return contact_id

    def for_new_site(self) -> EmulatorTarget:
        site = type(self).__new__(type(self))
        Target.__init__(site, self.run, f"contract-{uuid.uuid4()}", sleep=self.sleep)
        site.name = self.name
        site.can_control_clock = self.can_control_clock
        site.job_timing = self.job_timing
        site._owns_site = True
        site.set_job_timing(self.MANUAL_TIMING if self.can_control_clock else self.SYSTEM_TIMING)
        return site

    def set_job_timing(self, timing: JobTiming) -> None:
        body = {"mode": "timed", "delay": timing.delay, "rate": timing.rate}
        path = f"/_emulator/sites/{self.site_id}/job-profile"
        self.request("PUT", path, json=body).expect(200)
        self.job_timing = timing

    def release_site(self) -> None:
        if self._owns_site:
            self.request("POST", "/_emulator/reset", json={"siteId": self.site_id}).expect(200)


class LiveTarget(Target):
    """The Wix API at www.wixapis.com, or the same code pointed at another base URL."""

    name = "live"
    is_emulator = False

    def __init__(self, run: RunState, site_id: str, *, base_url: str, **kwargs: Any) -> None:
        super().__init__(run, site_id, **kwargs)
        self.base_url = base_url

    def __repr__(self) -> str:
        return f"LiveTarget(base_url={self.base_url!r}, site_id={self.site_id!r}, api_key=***)"

    def check_allowed(self, method: str, path: str, body: Any) -> None:
        """Reject control-plane calls, program writes, unscoped bulk adjusts and foreign writes."""
        if path.startswith("/_emulator"):
            raise UnsafeRequestError(f"{method} {path}: the live target has no control plane")
        if method in ("POST", "PATCH") and _PROGRAM_WRITE.search(path):
            raise UnsafeRequestError(
                f"{method} {path} changes the site's loyalty program; run it against the emulator"
            )
        if method == "POST" and path.endswith(f"{ACCOUNTS}/bulk-adjust"):
            try:
                check_bulk_scope(body, self.run.account_ids, self.run.contact_ids)
            except UnscopedBulkAdjustError as error:
                raise UnsafeRequestError(str(error)) from None
        own = self.run.account_ids | self.run.unknown_ids
        write = _ACCOUNT_WRITE.search(path)
        if method == "POST" and write and write.group(1).lower() not in own:
            raise UnsafeRequestError(
                f"{method} {path}: account {write.group(1)} was not created by this run"
            )
        contact = _CONTACT_PATH.search(path)
        own_contacts = self.run.contact_ids | self.run.unknown_ids
        if method == "DELETE" and contact and contact.group(1).lower() not in own_contacts:
            raise UnsafeRequestError(
                f"{method} {path}: contact {contact.group(1)} not created by this run"
            )

    def new_contact(self) -> str:
        first, last, email_address = self.contact_name()
        info = {
            "name": {"first": first, "last": last},
            "emails": {"items": [{"tag": "UNTAGGED", "email": email_address}]},
        }
        body = self.request("POST", CONTACTS, json={"info": info}).expect(200)
        contact_id: str = body["contact"]["id"]
        return contact_id

    def close(self) -> None:
        """Delete the contacts this run created, as far as the budget allows."""
        try:
            for contact_id in list(self.run.created_contacts):
                response = self.request("DELETE", f"{CONTACTS}/{contact_id}")
                if response.status != 200:
                    logger.warning(
                        "could not delete contact %s: %s", contact_id, response.describe()
                    )
        except (Exception, RequestBudgetExceeded) as error:
            logger.warning("stopped deleting this run's contacts: %s", error)
        finally:
            super().close()
