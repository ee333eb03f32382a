"""One starlette route that dispatches every Wix API path by table lookup.

A list of starlette ``Route`` objects is matched one regular expression at a time, so a
request for the 33rd of 77 API routes paid for 32 failed matches before its own. This
router finds a literal path in a dictionary and a templated one by comparing path
segments, whatever the number of routes. Literal paths win over templates, so
``/v1/accounts/query`` is never read as ``/v1/accounts/{id}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from .base import DroppedConnection

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class _Template:
    """A path with ``{name}`` segments, e.g. ``/v1/accounts/{accountId}/earn-points``."""

    segments: tuple[str | None, ...]  # None where the path has a parameter
    names: tuple[str, ...]
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        values = []
        for expected, actual in zip(self.segments, parts, strict=True):
            if expected is None:
                if not actual:
                    return None
                values.append(actual)
            elif expected != actual:
                return None
        return dict(zip(self.names, values, strict=True))


class ApiRouter(BaseRoute):
    """Match (method, path) against the API route table without scanning it."""

    def __init__(self, routes: Iterable[tuple[str, str, Endpoint]]) -> None:
        self.literals: dict[str, dict[str, Endpoint]] = {}
        # Templates by (segment count, first two segments), so a lookup compares only
        # the templates of one service; None keys templates whose first two segments
        # hold a parameter.
        self.templates: dict[tuple[int, str, str] | None, list[_Template]] = {}
        self.paths: list[str] = []
        for method, path, endpoint in routes:
            self._add(method, path, endpoint)

    def _add(self, method: str, path: str, endpoint: Endpoint) -> None:
        if path not in self.paths:
            self.paths.append(path)
        if "{" not in path:
            self.literals.setdefault(path, {})[method] = endpoint
            return
        parts = path.split("/")
        segments = tuple(None if part.startswith("{") else part for part in parts)
        names = tuple(part.strip("{}") for part in parts if part.startswith("{"))
        key = None if None in segments[1:3] else (len(parts), parts[1], parts[2])
        candidates = self.templates.setdefault(key, [])
        for template in candidates:
            if template.segments == segments and template.names == names:
                template.endpoints[method] = endpoint
                return
        candidates.append(_Template(segments, names, {method: endpoint}))

    def _lookup(self, path: str) -> list[tuple[dict[str, Endpoint], dict[str, str]]]:
        """Return every route table entry whose path matches, literal ones first."""
        found: list[tuple[dict[str, Endpoint], dict[str, str]]] = []
        literal = self.literals.get(path)
        if literal is not None:
            found.append((literal, {}))
        parts = path.split("/")
        if len(parts) < 3:
            return found
        key = (len(parts), parts[1], parts[2])
        for template in [*self.templates.get(key, ()), *self.templates.get(None, ())]:
            if len(template.segments) != len(parts):
                continue
            params = template.match(parts)
            if params is not None:
                found.append((template.endpoints, params))
        return found

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        found = self._lookup(scope["path"])
        if not found:
            return Match.NONE, {}
        # HEAD runs the GET endpoint, as starlette's own routes do; the server sends no body.
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        for endpoints, params in found:
            endpoint = endpoints.get(method)
            if endpoint is not None:
                return Match.FULL, {"endpoint": endpoint, "path_params": params}
        allowed = sorted({m for endpoints, _ in found for m in endpoints})
        return Match.PARTIAL, {"allowed_methods": allowed}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint: Endpoint | None = scope.get("endpoint")
        if endpoint is None or scope.get("allowed_methods"):
            allowed = ", ".join(scope.get("allowed_methods", []))
            raise HTTPException(status_code=405, headers={"Allow": allowed})
        try:
            response = await endpoint(Request(scope, receive, send))
        except DroppedConnection as exc:
            # The server has seen the connection close, so there is no response to send.
            if exc.closed_transport:
                return
            raise
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NotImplementedError("the API router does not build URLs")
