"""The control plane under ``/_emulator``: health, reset, seed, clock, settings, jobs.

These routes need no Authorization header. A route that acts on one site takes the
site from ``siteId`` in the body or query string, or from the ``wix-site-id`` header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import jobs
from ..clock import format_timestamp, parse_timestamp
from ..divergences import register_json
from ..errors import ConflictError, NotFoundError, WixError, invalid
from ..seed import apply_seed
from ..store import Store
from ..validation import parse_json_body, read_object, read_str
from . import render
from .base import (
    SITE_HEADER,
    error_response,
    header_text,
    internal_error_response,
    raw_headers,
    read_control_body,
    with_request_id,
)
from .responses import WixJSONResponse

logger = logging.getLogger("emulator")

ControlHandler = Callable[[Store, Request, dict[str, Any]], dict[str, Any]]


def control_endpoint(handler: ControlHandler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            body = parse_json_body(await read_control_body(request))
            store: Store = request.app.state.store
            with store.lock:
                result = handler(store, request, body)
            response = WixJSONResponse(result)
        except WixError as error:
            logger.info(
                "%s %s rejected with %d %s: %s",
                request.method,
                request.url.path,
                error.status,
                error.code,
                error.description,
            )
            return with_request_id(error_response(error), request.scope)
        except Exception:
            logger.exception("unhandled error in %s %s", request.method, request.url.path)
            return with_request_id(internal_error_response(), request.scope)
        return with_request_id(response, request.scope)

    endpoint.__name__ = handler.__name__
    return endpoint


def _site_id(request: Request, body: dict[str, Any], required: bool = True) -> str | None:
    site_id = read_str(body, "siteId", min_length=1) or request.query_params.get("siteId")
    site_id = site_id or header_text(raw_headers(request), SITE_HEADER.encode())
    if required and not site_id:
        raise invalid(
            "siteId",
            f"is required: send siteId in the body or a {SITE_HEADER} header",
            "REQUIRED_FIELD",
        )
    return site_id


def _clock_body(store: Store) -> dict[str, Any]:
    now = store.clock.now()
    return {"mode": store.clock.mode, "now": format_timestamp(now), "epochSeconds": now}


def health(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "sites": len(store.sites), "clock": store.clock.mode}


def divergences(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"divergences": register_json()}


def reset(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    site_id = read_str(body, "siteId", min_length=1) or request.query_params.get("siteId")
    count = store.reset(site_id)
    logger.info("reset %s (%d sites dropped)", site_id or "all sites", count)
    return {"sitesReset": count}


def seed(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    site_id = _site_id(request, body)
    assert site_id is not None
    with store.site_for_change(site_id) as site:
        account_ids = apply_seed(site, store.clock.now(), body)
    logger.info("seeded site %s with %d accounts", site_id, len(account_ids))
    return {"siteId": site_id, "accountIds": account_ids}


def get_clock(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return _clock_body(store)


def advance_clock(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    seconds = body.get("seconds")
    if seconds is None:
        raise invalid(
            "seconds",
            "is required: the number of seconds to move the clock forward",
            "REQUIRED_FIELD",
        )
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise invalid("seconds", f"must be a number, got {json.dumps(seconds)}", "FORMAT")
    if not 0 <= seconds <= 10 * 365 * 86400:
        raise invalid("seconds", "must be between 0 and ten years", "MAX" if seconds > 0 else "MIN")
    try:
        store.clock.advance(float(seconds))
    except ValueError as exc:
        raise invalid("seconds", str(exc), "MAX") from None
    _advance_all(store)
    return _clock_body(store)


def set_clock(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    text = read_str(body, "time", required=True)
    assert text is not None
    try:
        target = parse_timestamp(text)
    except ValueError:
        raise invalid("time", f"must be an RFC 3339 timestamp, got {text!r}", "FORMAT") from None
    try:
        store.clock.set(target)
    except ValueError as exc:
        raise invalid("time", f"cannot be set: {exc}", "OTHER") from None
    _advance_all(store)
    return _clock_body(store)


def _advance_all(store: Store) -> None:
    now = store.clock.now()
    for site in store.sites.values():
        jobs.advance_jobs(site, now, store.settings)


def get_settings(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"settings": store.settings.to_json()}


def update_settings(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    changes = read_object(body, "settings")
    if changes is None:
        changes = body
    store.settings.update(changes)
    store.journal.resize(store.settings.journal_size)
    logger.info("settings changed: %s", ", ".join(sorted(changes)))
    return {"settings": store.settings.to_json()}


def list_sites(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "sites": [
            {
                "siteId": site.site_id,
                "accounts": len(site.accounts),
                "transactions": len(site.transactions),
                "jobs": len(site.jobs),
                "programStatus": site.program.status,
            }
            for site in store.sites.values()
        ]
    }


def _find_job(store: Store, request: Request) -> tuple[Any, Any]:
    job_id = request.path_params["jobId"].lower()
    found = jobs.find_job(store.sites, job_id)
    if found is None:
        raise NotFoundError(f"async job {job_id} not found on any site", data={"jobId": job_id})
    return found


def job_control(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Hold, release, step, finish or fail one job, or fail chosen items of it."""
    site, job = _find_job(store, request)
    now = store.clock.now()
    jobs.advance_job(site, job, now, store.settings)
    action = request.path_params["action"]
    if action not in JOB_ACTIONS:
        raise NotFoundError(f"unknown job action {action!r}; use {', '.join(JOB_ACTIONS)}")
    if job.finished:
        raise ConflictError(
            f"async job {job.id} is already {job.status}; job actions apply to unfinished jobs",
            code="JOB_ALREADY_FINISHED",
            data={"jobId": job.id, "status": job.status},
        )
    result: dict[str, Any] = {}
    if action == "hold":
        jobs.hold_job(job, now)
    elif action == "release":
        jobs.release_job(job, now)
        jobs.advance_job(site, job, now, store.settings)
    elif action == "step":
        count = body.get("items", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise invalid("items", "must be a whole number of items, at least 1", "MIN")
        jobs.step_job(site, job, count, store.settings, now)
    elif action == "finish":
        jobs.run_job(site, job, store.settings, now)
    elif action == "fail":
        jobs.fail_job(site, job, now)
    else:
        result["alreadyProcessed"] = _fail_items(job, body)
    return {"siteId": site.site_id, "job": render.job(job), "held": job.held, **result}


JOB_ACTIONS = ("hold", "release", "step", "finish", "fail", "fail-items")


def _fail_items(job: Any, body: dict[str, Any]) -> list[str]:
    """Mark accounts to fail when the job reaches them; return those it already passed."""
    account_ids = body.get("accountIds")
    if not isinstance(account_ids, list) or not all(isinstance(a, str) for a in account_ids):
        raise invalid("accountIds", "must be a list of account IDs", "REQUIRED_FIELD")
    code = read_str(body, "code", min_length=1, max_length=100) or "INTERNAL"
    description = (
        read_str(body, "description", max_length=500) or "failure injected by the emulator"
    )
    processed = {item.entity_id for item in job.items}
    for account_id in account_ids:
        job.forced_failures[account_id.lower()] = (code, description)
    return [account_id for account_id in account_ids if account_id.lower() in processed]


def run_jobs(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Run every unfinished job of one site, or of every site, to the end."""
    site_id = _site_id(request, body, required=False)
    sites = [store.site(site_id)] if site_id else list(store.sites.values())
    now = store.clock.now()
    count = sum(jobs.run_site_jobs(site, store.settings, now) for site in sites)
    return {"jobsRun": count}


def _route(path: str, handler: ControlHandler, method: str) -> Route:
    return Route(path, control_endpoint(handler), methods=[method])


def control_routes() -> list[Route]:
    return [
        _route("/_emulator/health", health, "GET"),
        _route("/_emulator/divergences", divergences, "GET"),
        _route("/_emulator/reset", reset, "POST"),
        _route("/_emulator/seed", seed, "POST"),
        _route("/_emulator/clock", get_clock, "GET"),
        _route("/_emulator/clock/advance", advance_clock, "POST"),
        _route("/_emulator/clock/set", set_clock, "POST"),
        _route("/_emulator/settings", get_settings, "GET"),
        _route("/_emulator/settings", update_settings, "PATCH"),
        _route("/_emulator/sites", list_sites, "GET"),
        _route("/_emulator/jobs/run", run_jobs, "POST"),
        _route("/_emulator/jobs/{jobId}/{action}", job_control, "POST"),
    ]
