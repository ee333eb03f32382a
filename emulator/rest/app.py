"""Assemble the starlette application: Wix API routes, control plane, errors, request IDs."""

from __future__ import annotations

import difflib
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..clock import Clock, make_clock
from ..settings import Settings
from ..store import Store
from . import accounts, async_jobs, contacts, programs, transactions
from .base import (
    Handler,
    api_endpoint,
    header_text,
    internal_error_response,
    raw_headers,
    request_id,
    with_request_id,
)
from .control import control_routes
from .debugging import debugging_routes
from .openapi import openapi_route
from .responses import WixJSONResponse
from .routing import ApiRouter, Endpoint

logger = logging.getLogger("emulator")

# (method, path after the service prefix, handler, Wix method name); literal paths come
# before {id}.
ACCOUNT_ROUTES: list[tuple[str, str, Handler, str]] = [
    ("POST", "/v1/accounts", accounts.create_account, "createAccount"),
    ("GET", "/v1/accounts", accounts.list_accounts, "listAccounts"),
    ("POST", "/v1/accounts/query", accounts.query_accounts, "queryLoyaltyAccounts"),
    ("POST", "/v1/accounts/search", accounts.search_accounts, "searchAccounts"),
    ("POST", "/v1/accounts/count", accounts.count_accounts, "countAccounts"),
    ("POST", "/v1/accounts/bulk-adjust", accounts.bulk_adjust, "bulkAdjustPoints"),
    ("GET", "/v1/accounts/program-totals", accounts.program_totals, "getProgramTotals"),
    ("GET", "/v1/accounts/my-account", accounts.current_member_account, "getCurrentMemberAccount"),
    ("GET", "/v1/accounts/fetch-by", accounts.account_by_secondary_id, "getAccountBySecondaryId"),
    ("GET", "/v1/accounts/{id}", accounts.get_account, "getAccount"),
    ("POST", "/v1/accounts/{accountId}/earn-points", accounts.earn_points, "earnPoints"),
    ("POST", "/v1/accounts/{accountId}/adjust-points", accounts.adjust_points, "adjustPoints"),
]
TRANSACTION_ROUTES: list[tuple[str, str, Handler, str]] = [
    (
        "POST",
        "/v1/loyalty-transactions/query",
        transactions.query_transactions,
        "queryLoyaltyTransactions",
    ),
    (
        "GET",
        "/v1/loyalty-transactions/{loyaltyTransactionId}",
        transactions.get_transaction,
        "getLoyaltyTransaction",
    ),
]
PROGRAM_ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/v1/program", programs.get_program, "getLoyaltyProgram"),
    ("PATCH", "/v1/program", programs.update_program, "updateLoyaltyProgram"),
    ("POST", "/v1/program/activate", programs.activate_program, "activateLoyaltyProgram"),
    ("POST", "/v1/program/pause", programs.pause_program, "pauseLoyaltyProgram"),
    (
        "GET",
        "/v1/program/premium-features",
        programs.premium_features,
        "getLoyaltyProgramPremiumFeatures",
    ),
    (
        "POST",
        "/v1/program/points-expiration/enable",
        programs.enable_points_expiration,
        "enablePointsExpiration",
    ),
    (
        "POST",
        "/v1/program/points-expiration/disable",
        programs.disable_points_expiration,
        "disablePointsExpiration",
    ),
    ("GET", "/v1/bulk/programs", programs.bulk_get_programs, "bulkGetLoyaltyProgram"),
]
ASYNC_JOB_ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/v1/async-jobs/{jobId}", async_jobs.get_job, "getAsyncJob"),
    ("GET", "/v1/async-jobs/{jobId}/items", async_jobs.list_job_items, "listAsyncJobItems"),
]

# Each service is served under its www.wixapis.com prefix and under the /_api/ prefix
# that the SDK uses for any other host. One docs page shows async jobs unprefixed.
SERVICES: list[tuple[list[str], list[tuple[str, str, Handler, str]]]] = [
    (["/loyalty-accounts", "/_api/loyalty-accounts"], ACCOUNT_ROUTES),
    (["/loyalty-transactions", "/_api/loyalty-transactions"], TRANSACTION_ROUTES),
    (["/loyalty-programs", "/_api/loyalty-programs"], PROGRAM_ROUTES),
    (["/async-jobs", "/_api/async-jobs", ""], ASYNC_JOB_ROUTES),
    (["/contacts", "/_api/contacts"], contacts.CONTACT_ROUTES),
]


def api_router() -> ApiRouter:
    routes: list[tuple[str, str, Endpoint]] = []
    for prefixes, table in SERVICES:
        for method, path, handler, operation in table:
            endpoint = api_endpoint(handler, operation)
            routes.extend((method, prefix + path, endpoint) for prefix in prefixes)
    return ApiRouter(routes)


def _known_paths(app: Starlette) -> list[str]:
    paths: set[str] = set()
    for route in app.routes:
        paths.update(route.paths if isinstance(route, ApiRouter) else [getattr(route, "path", "")])
    return sorted(paths)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = _http_error_response(request, exc)
    if not request.url.path.startswith("/_emulator"):
        _journal_route_error(request, response)
    return with_request_id(response, request.scope)


async def unhandled_error(request: Request, exc: Exception) -> Response:
    """Return the Wix 500 envelope for an exception that escaped every handler."""
    logger.error("unhandled error in %s %s: %r", request.method, request.url.path, exc)
    return with_request_id(internal_error_response(), request.scope)


def _journal_route_error(request: Request, response: WixJSONResponse) -> None:
    store: Store = request.app.state.store
    entry = store.journal.start(
        time=store.clock.now(),
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        site_id=header_text(raw_headers(request), b"wix-site-id") or None,
        headers=request.scope["headers"],
    )
    entry.status = response.status_code
    entry.response_body = bytes(response.body)
    entry.reason = json.loads(entry.response_body)["message"]
    entry.request_id = request_id(request.scope)
    store.journal.finish(entry)


def _http_error_response(request: Request, exc: HTTPException) -> WixJSONResponse:
    method, path = request.method, request.url.path
    if exc.status_code == 405:
        body = {
            "message": f"{method} is not allowed on {path}",
            "details": {
                "applicationError": {
                    "code": "METHOD_NOT_ALLOWED",
                    "description": f"{method} {path}",
                    "data": {},
                }
            },
        }
        # RFC 9110 requires a 405 to list the allowed methods.
        return WixJSONResponse(body, status_code=405, headers=exc.headers)
    if exc.status_code != 404:
        body = {
            "message": str(exc.detail),
            "details": {
                "applicationError": {
                    "code": "INVALID_ARGUMENT",
                    "description": str(exc.detail),
                    "data": {},
                }
            },
        }
        return WixJSONResponse(body, status_code=exc.status_code)
    closest = difflib.get_close_matches(path, _known_paths(request.app), n=1, cutoff=0.5)
    hint = f"; the closest route is {closest[0]}" if closest else ""
    data: dict[str, Any] = {"closestRoute": closest[0]} if closest else {}
    body = {
        "message": f"no route matches {method} {path}{hint}",
        "details": {
            "applicationError": {"code": "NOT_FOUND", "description": "unknown route", "data": data}
        },
    }
    return WixJSONResponse(body, status_code=404)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
) -> Starlette:
    """Create an emulator application with its own empty store."""
    settings = settings or Settings()
    settings.check()
    if store is None:
        store = Store(settings, clock or make_clock(settings.clock))
    app = Starlette(
        routes=[api_router(), *control_routes(), *debugging_routes(), openapi_route()],
        exception_handlers={HTTPException: http_error, Exception: unhandled_error},
    )
    # Wix paths have no trailing-slash twins, so "/x/" is a 404 rather than a redirect.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.operations = {operation for _, table in SERVICES for *_, operation in table}
    return app
