"""The API router: literal paths win over templates, methods decide between matches."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from emulator.rest.routing import ApiRouter


async def literal(request: Request) -> Response:
    return Response("literal")


async def template(request: Request) -> Response:
    return Response("template")


async def nested(request: Request) -> Response:
    return Response("nested")


ROUTER = ApiRouter(
    [
        ("POST", "/v1/accounts/query", literal),
        ("GET", "/v1/accounts/{id}", template),
        ("POST", "/v1/accounts/{accountId}/earn-points", nested),
    ]
)


def match(method: str, path: str) -> tuple[Match, dict[str, Any]]:
    return ROUTER.matches({"type": "http", "method": method, "path": path})


def test_literal_path_wins() -> None:
    result, scope = match("POST", "/v1/accounts/query")
    assert result is Match.FULL
    assert scope["endpoint"] is literal


def test_template_takes_other_method() -> None:
    result, scope = match("GET", "/v1/accounts/query")
    assert result is Match.FULL
    assert scope["path_params"] == {"id": "query"}


def test_template_parameter_is_captured() -> None:
    result, scope = match("POST", "/v1/accounts/abc/earn-points")
    assert result is Match.FULL
    assert scope["path_params"] == {"accountId": "abc"}


def test_wrong_method_is_partial() -> None:
    result, scope = match("DELETE", "/v1/accounts/abc/earn-points")
    assert result is Match.PARTIAL
    assert scope["allowed_methods"] == ["POST"]


def test_empty_parameter_does_not_match() -> None:
    result, _ = match("GET", "/v1/accounts/")
    assert result is Match.NONE


def test_unknown_path_does_not_match() -> None:
    result, _ = match("GET", "/v2/accounts/abc")
    assert result is Match.NONE


def test_paths_are_listed_once() -> None:
    assert ROUTER.paths == [
        "/v1/accounts/query",
        "/v1/accounts/{id}",
        "/v1/accounts/{accountId}/earn-points",
    ]
