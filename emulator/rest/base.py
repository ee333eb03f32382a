"""What every Wix API route shares: auth headers, the site, body parsing and errors.

A handler is a plain function from an ``ApiCall`` to the JSON body of a 200 response.
``api_endpoint`` wraps it into a starlette endpoint that checks the headers, parses the
body, advances the site's jobs to the current time and renders any ``WixError``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import PermissionDeniedError, UnauthenticatedError, WixError
from ..jobs import advance_jobs
from ..settings import Settings
from ..store import SiteState, Store
from ..validation import parse_json_body

logger = logging.getLogger("emulator")

SITE_HEADER = "wix-site-id"
MEMBER_HEADER = "x-wix-emulator-member-id"


@dataclass
class ApiCall:
    store: Store
    site: SiteState
    now: float
    body: dict[str, Any]
    query: QueryParams
    path: dict[str, str]
    headers: Headers

    @property
    def settings(self) -> Settings:
        return self.store.settings


Handler = Callable[[ApiCall], dict[str, Any]]
Endpoint = Callable[[Request], Awaitable[Response]]


def error_response(error: WixError) -> JSONResponse:
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


def internal_error_response() -> JSONResponse:
    body = {
        "message": "internal emulator error; the server log has the details",
        "details": {"applicationError": {"code": "INTERNAL", "description": "", "data": {}}},
    }
    return JSONResponse(body, status_code=500)


def site_id_of(headers: Headers) -> str:
    """Return the calling site's ID, or raise 401/403 as Wix does for missing headers."""
    if not headers.get("authorization", "").strip():
        raise UnauthenticatedError(
            "missing Authorization header; send an API key or access token "
            "(the emulator accepts any non-empty value)"
        )
    site_id = headers.get(SITE_HEADER, "").strip()
    if not site_id:
        raise PermissionDeniedError(
            f"missing {SITE_HEADER} header; site-level APIs need the ID of the site to act on"
        )
    return site_id


def api_endpoint(handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            site_id = site_id_of(request.headers)
            body = parse_json_body(await request.body())
            store: Store = request.app.state.store
            with store.lock:
                now = store.clock.now()
                site = store.site(site_id)
                advance_jobs(site, now, store.settings)
                call = ApiCall(
                    store=store,
                    site=site,
                    now=now,
                    body=body,
                    query=request.query_params,
                    path=request.path_params,
                    headers=request.headers,
                )
                result = handler(call)
        except WixError as error:
            return error_response(error)
        except Exception:
            logger.exception("unhandled error in %s %s", request.method, request.url.path)
            return internal_error_response()
        return JSONResponse(result)

    endpoint.__name__ = handler.__name__
    return endpoint
