"""The error model over HTTP: auth headers, bad bodies, unknown routes, wrong methods."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    ACCOUNTS,
    JOBS,
    PROGRAM,
    TRANSACTIONS,
    Control,
    assert_error_envelope,
    error_code,
    get_account,
    make_client,
    violated_fields,
)

from emulator.testing import EmulatorServer

SOME_ID = "0f0e0d0c-0b0a-4909-8807-060504030201"

# (method, path) of every Wix API route, with IDs that need not exist.
API_ROUTES = [
    ("POST", ACCOUNTS),
    ("GET", ACCOUNTS),
    ("POST", f"{ACCOUNTS}/query"),
    ("POST", f"{ACCOUNTS}/search"),
    ("POST", f"{ACCOUNTS}/count"),
    ("POST", f"{ACCOUNTS}/bulk-adjust"),
    ("GET", f"{ACCOUNTS}/program-totals"),
    ("GET", f"{ACCOUNTS}/my-account"),
    ("GET", f"{ACCOUNTS}/fetch-by"),
    ("GET", f"{ACCOUNTS}/{SOME_ID}"),
    ("POST", f"{ACCOUNTS}/{SOME_ID}/earn-points"),
    ("POST", f"{ACCOUNTS}/{SOME_ID}/adjust-points"),
    ("POST", f"{TRANSACTIONS}/query"),
    ("GET", f"{TRANSACTIONS}/{SOME_ID}"),
    ("GET", PROGRAM),
    ("PATCH", PROGRAM),
    ("POST", f"{PROGRAM}/activate"),
    ("POST", f"{PROGRAM}/pause"),
    ("GET", f"{JOBS}/{SOME_ID}"),
    ("GET", f"{JOBS}/{SOME_ID}/items"),
]
BODY_ROUTES = [(method, path) for method, path in API_ROUTES if method in ("POST", "PATCH")]


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.mark.parametrize("route", API_ROUTES, ids=route_id)
def test_missing_authorization_unauthenticated(
    bare_client: httpx.Client, route: tuple[str, str]
) -> None:
    method, path = route

    response = bare_client.request(method, path, headers={"wix-site-id": "site"}, json={})

    assert response.status_code == 401
    assert error_code(response) == "UNAUTHENTICATED"
    assert_error_envelope(response)


def test_blank_authorization_unauthenticated(bare_client: httpx.Client) -> None:
    headers = {"Authorization": "", "wix-site-id": "site"}

    response = bare_client.get(PROGRAM, headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize("route", API_ROUTES, ids=route_id)
def test_missing_site_forbidden(bare_client: httpx.Client, route: tuple[str, str]) -> None:
    method, path = route

    response = bare_client.request(method, path, headers={"Authorization": "key"}, json={})

    assert response.status_code == 403
    assert error_code(response) == "PERMISSION_DENIED"
    assert_error_envelope(response)


def test_auth_checked_before_body(bare_client: httpx.Client) -> None:
    response = bare_client.post(ACCOUNTS, content=b"{not json")

    assert response.status_code == 401


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"text"', b"12", b"null", b"\xff\xfe"], ids=repr
)
def test_bad_json_body_rejected(client: httpx.Client, route: tuple[str, str], raw: bytes) -> None:
    method, path = route

    response = client.request(method, path, content=raw)

    assert response.status_code == 400
    assert_error_envelope(response)


UNSAFE_BODIES = [
    b'{"loyaltyProgram": {"pointDefinition": {"icon": {"height": NaN}}}}',
    b'{"loyaltyProgram": {"pointDefinition": {"icon": {"height": 1e400}}}}',
    b'{"loyaltyProgram": {"pointDefinition": {"icon": {"altText": "\\ud800"}}}}',
    b'{"loyaltyProgram": {"name": "\xed\xa0\x80 club"}}',
    b'{"loyaltyProgram": {"pointDefinition": {"icon": {"height": ' + b"9" * 5000 + b"}}}}",
    b'{"loyaltyProgram": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
]


@pytest.mark.parametrize(
    "raw", UNSAFE_BODIES, ids=["nan", "overflow", "surrogate", "bytes", "digits", "deep"]
)
def test_unrenderable_body_rejected(client: httpx.Client, raw: bytes) -> None:
    response = client.patch(PROGRAM, content=raw)
    program = client.get(PROGRAM)

    assert response.status_code == 400
    assert_error_envelope(response)
    assert program.status_code == 200
    assert "icon" not in program.json()["loyaltyProgram"]["pointDefinition"]


def test_empty_body_reads_as_object(client: httpx.Client) -> None:
    response = client.post(f"{ACCOUNTS}/count", content=b"")

    assert response.status_code == 200
    assert response.json() == {"count": 0}


@pytest.mark.parametrize("value", ["abc", True, 1.5, [5], {"n": 5}, "1e3", ""], ids=repr)
@pytest.mark.parametrize("action", ["earn-points", "adjust-points"])
def test_wrong_amount_type_rejected(
    client: httpx.Client, control: Control, action: str, value: Any
) -> None:
    [account_id] = control.seed_balances(10)
    body = {"amount": value, "appId": "app", "idempotencyKey": "key"}

    response = client.post(f"{ACCOUNTS}/{account_id}/{action}", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == ["amount"]
    assert get_account(client, account_id)["revision"] == "1"


@pytest.mark.parametrize("value", ["abc", True, 1.5], ids=repr)
def test_bulk_wrong_amount_type_rejected(client: httpx.Client, value: Any) -> None:
    response = client.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": value})

    assert response.status_code == 400
    assert violated_fields(response) == ["amount"]


@pytest.mark.parametrize("value", ["abc", True, 1.5, -1], ids=repr)
def test_wrong_revision_type_rejected(client: httpx.Client, control: Control, value: Any) -> None:
    [account_id] = control.seed_balances(10)

    response = client.post(
        f"{ACCOUNTS}/{account_id}/adjust-points", json={"amount": 1, "revision": value}
    )

    assert response.status_code == 400
    assert violated_fields(response) == ["revision"]


@pytest.mark.parametrize(("value", "expected"), [("5", 15), (5.0, 15), (" 7 ", 17)], ids=repr)
def test_integer_forms_accepted(
    client: httpx.Client, control: Control, value: Any, expected: int
) -> None:
    [account_id] = control.seed_balances(10)

    response = client.post(f"{ACCOUNTS}/{account_id}/adjust-points", json={"amount": value})

    assert response.status_code == 200
    assert response.json()["account"]["points"]["balance"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": []}, "query"),
        ({"query": {"cursorPaging": 5}}, "query.cursorPaging"),
        ({"query": {"filter": [1]}}, "query.filter"),
    ],
)
def test_wrong_query_types_rejected(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = client.post(f"{ACCOUNTS}/query", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == [field]


def test_unknown_route_not_found(client: httpx.Client) -> None:
    response = client.get("/loyalty-accounts/v2/nothing")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"
    assert_error_envelope(response)


def test_unknown_route_names_closest(client: httpx.Client) -> None:
    response = client.get("/loyalty-programs/v1/programs")
    data = response.json()["details"]["applicationError"]["data"]

    assert response.status_code == 404
    assert data["closestRoute"] == "/loyalty-programs/v1/program"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"{ACCOUNTS}/{SOME_ID}"),
        ("PUT", PROGRAM),
        ("GET", f"{PROGRAM}/activate"),
        ("POST", f"{JOBS}/{SOME_ID}"),
        ("GET", f"{ACCOUNTS}/query"),
        ("GET", f"{ACCOUNTS}/bulk-adjust"),
        ("PATCH", f"{TRANSACTIONS}/query"),
    ],
)
def test_wrong_method_not_allowed(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)

    assert response.status_code == 405
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert_error_envelope(response)


REQUESTS_FOR_ID_HEADER = [
    ("GET", PROGRAM, {"Authorization": "key", "wix-site-id": "s"}),
    ("GET", PROGRAM, {}),
    ("GET", PROGRAM, {"Authorization": "key"}),
    ("GET", "/nowhere", {}),
    ("DELETE", PROGRAM, {}),
    ("GET", f"{ACCOUNTS}/{SOME_ID}", {"Authorization": "key", "wix-site-id": "s"}),
    ("GET", "/_emulator/health", {}),
    ("PATCH", "/_emulator/settings", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS_FOR_ID_HEADER)
def test_every_response_has_request_id(
    bare_client: httpx.Client, method: str, path: str, headers: dict[str, str]
) -> None:
    response = bare_client.request(method, path, headers=headers, json={"nope": 1})

    assert response.headers.get("x-wix-request-id")


def test_request_ids_are_unique(client: httpx.Client) -> None:
    ids = {client.get(PROGRAM).headers["x-wix-request-id"] for _ in range(5)}

    assert len(ids) == 5


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["$in", "$gt", "points.balance", "id", SOME_ID, "1", "ASC", "DESC"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "query",
                    "search",
                    "filter",
                    "sort",
                    "cursorPaging",
                    "limit",
                    "cursor",
                    "amount",
                    "balance",
                    "revision",
                    "contactId",
                    "fieldName",
                    "order",
                    "points.balance",
                    "$or",
                    "$gt",
                    "$in",
                    "expression",
                    "loyaltyProgram",
                    "name",
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)
FUZZ_ROUTES = [
    ("POST", ACCOUNTS),
    ("POST", f"{ACCOUNTS}/query"),
    ("POST", f"{ACCOUNTS}/search"),
    ("POST", f"{ACCOUNTS}/count"),
    ("POST", f"{ACCOUNTS}/bulk-adjust"),
    ("POST", f"{TRANSACTIONS}/query"),
    ("PATCH", PROGRAM),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=st.sampled_from(FUZZ_ROUTES),
    body=st.dictionaries(
        st.sampled_from(["query", "search", "filter", "amount", "balance", "contactId"]),
        JSON_VALUES,
        max_size=3,
    ),
)
def test_odd_bodies_never_500(
    server: EmulatorServer, route: tuple[str, str], body: dict[str, Any]
) -> None:
    method, path = route
    headers = {"Authorization": "key", "wix-site-id": f"fuzz-{uuid.uuid4()}"}
    seed = {"siteId": headers["wix-site-id"], "accounts": [{"balance": 5}, {"balance": 9}]}

    with make_client(server, headers) as http:
        assert http.post("/_emulator/seed", json=seed).status_code == 200
        response = http.request(method, path, json=body)

    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_error_envelope(response)


@given(
    path_id=st.text(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/?#"),
        max_size=40,
    ),
    params=st.dictionaries(
        st.sampled_from(
            [
                "contactId",
                "memberId",
                "paging.limit",
                "paging.cursor",
                "statusFilter",
                "cursorPaging.limit",
                "cursorPaging.cursor",
                "contactIds",
            ]
        ),
        st.text(max_size=20),
        max_size=3,
    ),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_odd_query_strings_never_500(
    server: EmulatorServer, path_id: str, params: dict[str, str]
) -> None:
    headers = {"Authorization": "key", "wix-site-id": "fuzz-query-strings"}
    paths = [
        f"{ACCOUNTS}/{path_id}",
        f"{ACCOUNTS}/fetch-by",
        ACCOUNTS,
        f"{JOBS}/{path_id}/items",
        f"{TRANSACTIONS}/{path_id}",
    ]

    with make_client(server, headers) as http:
        responses = [http.get(path, params=params) for path in paths if path_id.strip(".")]

    for response in responses:
        assert response.status_code < 500, response.text
