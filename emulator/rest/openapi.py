"""The OpenAPI 3.1 document at ``GET /_emulator/openapi.json``.

It is built from two sources, so it cannot drift from what the emulator serves: the
route table in ``app.py`` (paths, methods, path parameters) and the JSON Schema files
in ``emulator.schemas`` (response bodies). Each schema file becomes a component named
by its ``title``; the ``$defs`` of the collection files ``common.json`` and
``responses.json`` become components of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..schemas import load_all
from .base import Handler, with_request_id
from .responses import WixJSONResponse

# (method, path after the service prefix, handler, Wix method name), as in app.py.
RouteEntry = tuple[str, str, Handler, str]
Service = tuple[list[str], list[RouteEntry]]

OPENAPI_PATH = "/_emulator/openapi.json"
COLLECTION_FILES = ("common.json", "responses.json")
ERROR_COMPONENT = "ErrorEnvelope"

# The 200 response of each handler, by handler name: a definition in responses.json.
RESPONSES: dict[str, str] = {
    "create_account": "AccountResponse",
    "list_accounts": "ListAccountsResponse",
    "query_accounts": "QueryLoyaltyAccountsResponse",
    "search_accounts": "SearchAccountsResponse",
    "count_accounts": "CountAccountsResponse",
    "bulk_adjust": "BulkAdjustPointsResponse",
    "program_totals": "ProgramTotalsResponse",
    "current_member_account": "AccountResponse",
    "account_by_secondary_id": "AccountBySecondaryIdResponse",
    "get_account": "AccountResponse",
    "earn_points": "PointsResponse",
    "adjust_points": "PointsResponse",
    "query_transactions": "QueryLoyaltyTransactionsResponse",
    "get_transaction": "LoyaltyTransactionResponse",
    "get_program": "LoyaltyProgramResponse",
    "update_program": "LoyaltyProgramResponse",
    "activate_program": "LoyaltyProgramResponse",
    "pause_program": "LoyaltyProgramResponse",
    "premium_features": "PremiumFeaturesResponse",
    "enable_points_expiration": "LoyaltyProgramResponse",
    "disable_points_expiration": "LoyaltyProgramResponse",
    "bulk_get_programs": "BulkGetLoyaltyProgramResponse",
    "get_job": "AsyncJobResponse",
    "list_job_items": "ListAsyncJobItemsResponse",
    "create_contact": "ContactResponse",
    "delete_contact": "EmptyResponse",
}

# The 200 body of a handler missing from RESPONSES: any object. The contract suite fails
# until the handler gets a schema, but the document is still served.
UNDESCRIBED = "<undescribed>"

# Query-string parameters of the GET endpoints that take them. The SDK flattens nested
# request fields into dotted names such as paging.limit.
QUERY_PARAMETERS: dict[str, list[str]] = {
    "list_accounts": ["contactIds", "cursorPaging.limit", "cursorPaging.cursor"],
    "account_by_secondary_id": ["contactId", "memberId"],
    "list_job_items": ["paging.limit", "paging.cursor", "statusFilter"],
}

_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def _component_name(file_name: str, schema: dict[str, Any], definition: str | None) -> str:
    if definition is not None:
        return definition[:1].upper() + definition[1:]
    title = schema.get("title")
    if not isinstance(title, str) or not title:
        raise ValueError(f"schema file {file_name} needs a title to name its component")
    return title


def _rewrite_ref(ref: str, current_file: str, names: dict[tuple[str, str], str]) -> str:
    """Turn a file-relative ``$ref`` into a reference to a component of the document."""
    file_name, _, pointer = ref.partition("#")
    file_name = file_name or current_file
    if file_name in COLLECTION_FILES:
        definition = pointer.removeprefix("/$defs/")
        return "#/components/schemas/" + names[(file_name, definition)]
    return "#/components/schemas/" + names[(file_name, "")] + pointer


def _rewrite(node: Any, current_file: str, names: dict[tuple[str, str], str]) -> Any:
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "$schema":
                continue
            if key == "$ref" and isinstance(value, str):
                result[key] = _rewrite_ref(value, current_file, names)
            else:
                result[key] = _rewrite(value, current_file, names)
        return result
    if isinstance(node, list):
        return [_rewrite(value, current_file, names) for value in node]
    return node


def build_components() -> dict[str, Any]:
    """Return every schema file as OpenAPI components, with ``$ref``s rewritten."""
    files = load_all()
    names: dict[tuple[str, str], str] = {}
    bodies: dict[tuple[str, str], Any] = {}
    for file_name, schema in files.items():
        if file_name in COLLECTION_FILES:
            for definition, body in schema["$defs"].items():
                names[(file_name, definition)] = _component_name(file_name, schema, definition)
                bodies[(file_name, definition)] = body
        else:
            names[(file_name, "")] = _component_name(file_name, schema, None)
            bodies[(file_name, "")] = schema
    components: dict[str, Any] = {}
    for key, body in bodies.items():
        name = names[key]
        if name in components:
            raise ValueError(f"two schemas are both named {name}; rename one of their titles")
        components[name] = _rewrite(body, key[0], names)
    return components


def _operation(method: str, path: str, handler: Handler, wix_method: str) -> dict[str, Any]:
    name = handler.__name__
    response = RESPONSES.get(name)
    parameters: list[dict[str, Any]] = [
        {"name": param, "in": "path", "required": True, "schema": {"type": "string"}}
        for param in _PATH_PARAMETER.findall(path)
    ]
    parameters += [
        {"name": param, "in": "query", "required": False, "schema": {"type": "string"}}
        for param in QUERY_PARAMETERS.get(name, [])
    ]
    success = _json_response("Success", response or UNDESCRIBED)
    operation: dict[str, Any] = {
        "operationId": wix_method,
        "responses": {
            "200": success,
            "default": _json_response("A Wix error envelope", ERROR_COMPONENT),
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if method in ("POST", "PATCH", "PUT"):
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    return operation


def _json_response(description: str, component: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if component != UNDESCRIBED:
        schema = {"$ref": f"#/components/schemas/{component}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_document(services: Sequence[Service]) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of ``services``, each under its first prefix."""
    paths: dict[str, dict[str, Any]] = {}
    for prefixes, table in services:
        for method, path, handler, wix_method in table:
            item = paths.setdefault(prefixes[0] + path, {})
            item[method.lower()] = _operation(method, path, handler, wix_method)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Wix Loyalty emulator",
            "version": "1",
            "description": "The Wix REST endpoints the emulator serves. Every path is also "
            "served under /_api/<prefix> (the SDK's form for hosts other than "
            "www.wixapis.com); the /_emulator control plane is not described here.",
        },
        "servers": [{"url": "https://www.wixapis.com"}],
        "security": [{"apiKey": [], "siteId": []}],
        "paths": paths,
        "components": {
            "schemas": build_components(),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"},
                "siteId": {"type": "apiKey", "in": "header", "name": "wix-site-id"},
            },
        },
    }


@cache
def _served_document() -> dict[str, Any]:
    from .app import SERVICES  # app.py imports this module to register the route

    return build_document(SERVICES)


async def openapi_document(request: Request) -> Response:
    return with_request_id(WixJSONResponse(_served_document()), request.scope)


def openapi_route() -> Route:
    return Route(OPENAPI_PATH, openapi_document, methods=["GET"])
