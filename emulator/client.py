"""A Python client for the emulator's control plane under ``/_emulator``.

::

    control = EmulatorClient("http://127.0.0.1:8080")
    [account_id] = control.seed("my-site", accounts=[{"balance": 100}])
    with control.api("my-site") as wix:
        wix.get(f"/loyalty-accounts/v1/accounts/{account_id}")
    control.advance(5)

Each method sends one request and returns the useful part of the JSON body. Any status
other than 200 raises ``EmulatorError``, which carries the status and the Wix error body.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
from starlette.types import ASGIApp

JSON = dict[str, Any]

DEFAULT_API_KEY = "test-key"
# Journal filters as Python keywords -> query parameters of GET /_emulator/journal.
JOURNAL_FILTERS = {
    "operation": "operation",
    "method": "method",
    "status": "status",
    "path_prefix": "pathPrefix",
    "errors_only": "errorsOnly",
    "limit": "limit",
}


class EmulatorError(Exception):
    """A control-plane or API request that returned a status other than 200.

    ``body`` is the parsed JSON body (the Wix error envelope ``{"message", "details"}``
    for every error the emulator renders) or the raw text when the body is not JSON.
    ``code`` is ``details.applicationError.code``, or None for a validation error, whose
    ``field_violations`` lists the rejected fields instead.
    """

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        details = body.get("details", {}) if isinstance(body, dict) else {}
        application_error = details.get("applicationError") or {}
        self.code: str | None = application_error.get("code")
        violations = (details.get("validationError") or {}).get("fieldViolations", [])
        self.field_violations: list[JSON] = list(violations)
        if isinstance(body, dict):
            self.message = str(body.get("message", ""))
        else:
            self.message = str(body)
        super().__init__(f"{method} {path} returned {status}: {self.message}")


class _SharedTransport(httpx.BaseTransport):
    """A transport lent to another client: closing that client leaves it open."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport.handle_request(request)

    def close(self) -> None:
        pass


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app in this process, with no socket.

    The app runs on an event loop in a daemon thread of its own, so the transport works
    from plain code and from code that already runs inside an event loop. ``close``
    stops that thread.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="wix-emulator-in-process", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # ASGITransport needs a body it can read asynchronously; read() stores it as bytes.
        request.read()
        future = asyncio.run_coroutine_threadsafe(self._send(request), self._running_loop())
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout(
                f"timed out after {timeout} s waiting for the in-process app", request=request
            ) from None

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            extensions=response.extensions,
        )

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop, self._thread = None, None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


class EmulatorClient:
    """Calls to one emulator's ``/_emulator`` routes, over a synchronous httpx client.

    ``transport`` replaces httpx's network transport, for example with
    ``InProcessTransport(app)`` to call an app in this process; the clients that
    ``api()`` returns use it too.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # The emulator runs on this machine or next to it in CI, so proxy variables
        # from the environment must not reroute its requests.
        if transport is None:
            transport = httpx.HTTPTransport(trust_env=False)
        self._transport = transport
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=_SharedTransport(transport),
            timeout=timeout,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connection pool; clients returned by ``api()`` stop working too."""
        self._http.close()
        self._transport.close()

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> JSON:
        response = self._http.request(method, "/_emulator" + path, json=json, params=params)
        return _parse(response)

    # Server state

    def health(self) -> JSON:
        """Return ``{"status": "ok", "sites": N, "clock": MODE}``."""
        return self._call("GET", "/health")

    def reset(self, site_id: str | None = None) -> int:
        """Drop one site's state, or every site's; return how many sites were dropped."""
        body = {"siteId": site_id} if site_id is not None else {}
        count: int = self._call("POST", "/reset", json=body)["sitesReset"]
        return count

    def seed(
        self,
        site_id: str,
        *,
        contacts: list[JSON] | None = None,
        accounts: list[JSON] | None = None,
        program: JSON | None = None,
    ) -> list[str]:
        """Add contacts and accounts to a site and set its program; return the account IDs."""
        body: JSON = {"siteId": site_id}
        if contacts is not None:
            body["contacts"] = contacts
        if accounts is not None:
            body["accounts"] = accounts
        if program is not None:
            body["program"] = program
        account_ids: list[str] = self._call("POST", "/seed", json=body)["accountIds"]
        return account_ids

    def sites(self) -> list[JSON]:
        """List the sites with their account, transaction and job counts."""
        sites: list[JSON] = self._call("GET", "/sites")["sites"]
        return sites

    def divergences(self) -> list[JSON]:
        """Return the register of behaviours the emulator guesses at."""
        entries: list[JSON] = self._call("GET", "/divergences")["divergences"]
        return entries

    # Clock

    def clock(self) -> JSON:
        """Return ``{"mode", "now" (RFC 3339), "epochSeconds"}``."""
        return self._call("GET", "/clock")

    def advance(self, seconds: float) -> JSON:
        """Move the clock forward by ``seconds``; due job items are applied at once."""
        return self._call("POST", "/clock/advance", json={"seconds": seconds})

    def set_time(self, rfc3339: str | datetime) -> JSON:
        """Move the clock forward to a time; a naive ``datetime`` is taken as UTC."""
        text = rfc3339.isoformat() if isinstance(rfc3339, datetime) else rfc3339
        return self._call("POST", "/clock/set", json={"time": text})

    # Settings

    def settings(self) -> JSON:
        """Return every setting by name."""
        settings: JSON = self._call("GET", "/settings")["settings"]
        return settings

    def update_settings(self, **changes: Any) -> JSON:
        """Change settings by name, e.g. ``job_mode="manual"``; return all settings."""
        settings: JSON = self._call("PATCH", "/settings", json=changes)["settings"]
        return settings

    # Jobs

    def run_jobs(self, site_id: str | None = None) -> int:
        """Run every unfinished job of one site, or of all sites; return how many ran."""
        body = {"siteId": site_id} if site_id is not None else {}
        count: int = self._call("POST", "/jobs/run", json=body)["jobsRun"]
        return count

    def _job_action(self, job_id: str, action: str, body: JSON | None = None) -> JSON:
        return self._call("POST", f"/jobs/{job_id}/{action}", json=body or {})

    def hold(self, job_id: str) -> JSON:
        """Stop a job where it is until ``release``; return ``{"siteId", "job", "held"}``."""
        return self._job_action(job_id, "hold")

    def release(self, job_id: str) -> JSON:
        """Let a held job move again; items that fell due meanwhile are applied at once."""
        return self._job_action(job_id, "release")

    def step(self, job_id: str, items: int = 1) -> JSON:
        """Apply a job's next ``items`` items now, whatever its timing or hold."""
        return self._job_action(job_id, "step", {"items": items})

    def finish(self, job_id: str) -> JSON:
        """Apply every remaining item now, so the job ends FINISHED."""
        return self._job_action(job_id, "finish")

    def fail(self, job_id: str) -> JSON:
        """End the whole job FAILED; items not yet applied never are."""
        return self._job_action(job_id, "fail")

    def fail_items(
        self,
        job_id: str,
        account_ids: list[str],
        code: str | None = None,
        description: str | None = None,
    ) -> JSON:
        """Make the job's items for ``account_ids`` fail with ``code`` when they are reached.

        The emulator uses code INTERNAL and a generic description for those left out.
        """
        body: JSON = {"accountIds": account_ids}
        if code is not None:
            body["code"] = code
        if description is not None:
            body["description"] = description
        return self._job_action(job_id, "fail-items", body)

    def set_job_profile(self, site_id: str, mode: str, **options: Any) -> JSON:
        """Give a site its own job timing, e.g. ``mode="timed", delay=2, rate=50``.

        Modes: ``immediate``, ``timed`` (``delay``, ``rate``), ``polls`` (``polls``: the
        Get Async Job call that returns FINISHED) and ``manual``. Returns the profile.
        """
        body = {"mode": mode, **options}
        profile: JSON = self._call("PUT", f"/sites/{site_id}/job-profile", json=body)["jobProfile"]
        return profile

    def clear_job_profile(self, site_id: str) -> None:
        """Return a site to the global job settings."""
        self._call("DELETE", f"/sites/{site_id}/job-profile")

    # Faults

    def add_fault(self, **rule: Any) -> JSON:
        """Add one fault rule, e.g. ``operation="getAsyncJob", status=503, times=1``.

        ``site_id`` is sent as ``siteId``. Returns the stored rule with its ``id``.
        """
        if "site_id" in rule:
            rule["siteId"] = rule.pop("site_id")
        rules: list[JSON] = self._call("POST", "/faults", json=rule)["rules"]
        return rules[0]

    def faults(self) -> list[JSON]:
        """List the fault rules with their match and firing counts."""
        rules: list[JSON] = self._call("GET", "/faults")["rules"]
        return rules

    def delete_faults(self, rule_id: str | None = None) -> int:
        """Delete one fault rule, or all of them; return how many were deleted."""
        path = "/faults" if rule_id is None else f"/faults/{rule_id}"
        count: int = self._call("DELETE", path)["deleted"]
        return count

    # Journal

    def journal(self, site_id: str | None = None, **filters: Any) -> list[JSON]:
        """List journal entries, oldest first.

        Filters: ``operation``, ``method``, ``status``, ``path_prefix``, ``errors_only``
        and ``limit`` (the newest 100 entries when left out).
        """
        params: dict[str, Any] = {}
        if site_id is not None:
            params["siteId"] = site_id
        for name, value in filters.items():
            if name not in JOURNAL_FILTERS:
                known = ", ".join(JOURNAL_FILTERS)
                raise TypeError(f"unknown journal filter {name!r}; known filters: {known}")
            if isinstance(value, bool):
                value = "true" if value else "false"
            params[JOURNAL_FILTERS[name]] = value
        entries: list[JSON] = self._call("GET", "/journal", params=params)["entries"]
        return entries

    def clear_journal(self, site_id: str | None = None) -> int:
        """Delete the journal of one site, or of all; return how many entries went."""
        params = {"siteId": site_id} if site_id is not None else None
        count: int = self._call("DELETE", "/journal", params=params)["cleared"]
        return count

    # Snapshots

    def export_snapshot(self, site_id: str | None = None) -> JSON:
        """Return the state of every site, or of one, as a snapshot document."""
        params = {"siteId": site_id} if site_id is not None else None
        return self._call("GET", "/snapshot", params=params)

    def import_snapshot(self, document: JSON, site_id: str | None = None) -> list[str]:
        """Load a snapshot document; return the IDs of the sites it replaced."""
        params = {"siteId": site_id} if site_id is not None else None
        imported: list[str] = self._call("POST", "/snapshot", json=document, params=params)[
            "imported"
        ]
        return imported

    # Wix API

    def api(self, site_id: str, api_key: str = DEFAULT_API_KEY) -> httpx.Client:
        """Return an httpx client for the Wix API paths, acting on ``site_id``.

        It sends ``Authorization`` and ``wix-site-id`` on every request and returns
        responses as they are; the caller closes it.
        """
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": api_key, "wix-site-id": site_id},
            transport=_SharedTransport(self._transport),
            timeout=self.timeout,
            trust_env=False,
        )


def _parse(response: httpx.Response) -> JSON:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if response.status_code != 200:
        raise EmulatorError(
            response.request.method, response.request.url.path, response.status_code, body
        )
    if not isinstance(body, dict):
        raise EmulatorError(response.request.method, response.request.url.path, 200, body)
    return body
