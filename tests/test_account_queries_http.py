"""Query, Search, Count and List Accounts over HTTP, on five seeded accounts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from support import (
    ACCOUNTS,
    Control,
    assert_error_envelope,
    assert_points_invariant,
    violated_fields,
)

# Seeded one second apart in this order, so the default createdDate order is this order.
PEOPLE = [
    ("ada", "Ada Lovelace", "ada@example.com", 10),
    ("alan", "Alan Turing", "alan@bletchley.uk", 20),
    ("grace", "Grace Hopper", "grace@navy.mil", 30),
    ("edsger", "Edsger Dijkstra", "edsger@example.com", 40),
    ("barbara", "Barbara Liskov", "barbara@mit.edu", 50),
]
ADA_MEMBER_ID = "6a2f41a0-0000-4000-8000-000000000001"


@pytest.fixture
def people(control: Control) -> dict[str, str]:
    """Seed the five accounts; return account IDs by short name."""
    ids = {}
    for key, name, email, balance in PEOPLE:
        contact: dict[str, Any] = {"name": name, "email": email}
        if key == "ada":
            contact["memberId"] = ADA_MEMBER_ID
        [ids[key]] = control.seed(accounts=[{"contact": contact, "balance": balance}])
        control.advance(1)
    return ids


def names_of(accounts: list[dict[str, Any]], people: dict[str, str]) -> list[str]:
    """Map returned accounts to short names, checking the points of each on the way."""
    by_id = {account_id: key for key, account_id in people.items()}
    for account in accounts:
        assert_points_invariant(account)
    return [by_id[account["id"]] for account in accounts]


def query(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ACCOUNTS}/query", json={"query": body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def query_names(client: httpx.Client, people: dict[str, str], body: dict[str, Any]) -> list[str]:
    return names_of(query(client, body)["loyaltyAccounts"], people)


def search_names(client: httpx.Client, people: dict[str, str], body: dict[str, Any]) -> list[str]:
    response = client.post(f"{ACCOUNTS}/search", json={"search": body})
    assert response.status_code == 200, response.text
    return names_of(response.json()["accounts"], people)


def count(client: httpx.Client, body: dict[str, Any]) -> int:
    response = client.post(f"{ACCOUNTS}/count", json=body)
    assert response.status_code == 200, response.text
    total: int = response.json()["count"]
    return total


ALL_IN_ORDER = [key for key, *_ in PEOPLE]


def test_query_default_order(client: httpx.Client, people: dict[str, str]) -> None:
    assert query_names(client, people, {}) == ALL_IN_ORDER


def test_query_metadata_single_page(client: httpx.Client, people: dict[str, str]) -> None:
    metadata = query(client, {})["pagingMetadata"]

    assert metadata["count"] == 5
    assert metadata["hasNext"] is False
    assert metadata["cursors"] == {}


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"points.balance": 30}, ["grace"]),
        ({"points.balance": {"$eq": 30}}, ["grace"]),
        ({"points.balance": {"$ne": 30}}, ["ada", "alan", "edsger", "barbara"]),
        ({"points.balance": {"$gt": 30}}, ["edsger", "barbara"]),
        ({"points.balance": {"$gte": 20, "$lte": 30}}, ["alan", "grace"]),
        ({"points.balance": {"$lt": "20"}}, ["ada"]),
        ({"points.earned": {"$in": [10, 50]}}, ["ada", "barbara"]),
        ({"points.balance": {"$nin": [10, 50]}}, ["alan", "grace", "edsger"]),
        ({"memberId": {"$exists": True}}, ["ada"]),
        ({"memberId": {"$exists": False}}, ["alan", "grace", "edsger", "barbara"]),
        ({"contact.email": {"$startsWith": "A"}}, ["ada", "alan"]),
        ({"contact.email": {"$begins": "a"}}, ["ada", "alan"]),
        ({"$or": [{"points.balance": 10}, {"contact.name": "Grace Hopper"}]}, ["ada", "grace"]),
        (
            {"$and": [{"points.balance": {"$gt": 10}}, {"points.balance": {"$lt": 40}}]},
            ["alan", "grace"],
        ),
        ({"$not": {"points.balance": {"$gt": 10}}}, ["ada"]),
        ({"points.balance": {"$gt": 1000}}, []),
    ],
)
def test_query_filter_selects(
    client: httpx.Client, people: dict[str, str], filter_: dict[str, Any], expected: list[str]
) -> None:
    assert query_names(client, people, {"filter": filter_}) == expected


@pytest.mark.parametrize("operator", ["$in", "$hasSome", "$any"])
def test_query_id_list_spellings(
    client: httpx.Client, people: dict[str, str], operator: str
) -> None:
    filter_ = {"id": {operator: [people["barbara"], people["alan"]]}}

    assert query_names(client, people, {"filter": filter_}) == ["alan", "barbara"]


def test_query_by_contact_id(client: httpx.Client, people: dict[str, str]) -> None:
    grace = client.get(f"{ACCOUNTS}/{people['grace']}").json()["account"]

    found = query_names(client, people, {"filter": {"contactId": grace["contactId"]}})

    assert found == ["grace"]


def test_query_by_created_date(client: httpx.Client, people: dict[str, str]) -> None:
    edsger = client.get(f"{ACCOUNTS}/{people['edsger']}").json()["account"]
    filter_ = {"createdDate": {"$gte": {"$date": edsger["createdDate"]}}}

    assert query_names(client, people, {"filter": filter_}) == ["edsger", "barbara"]


def test_query_matches_read_timestamps(client: httpx.Client, control: Control) -> None:
    account_ids = []
    for _ in range(5):
        # Tenths of a second are inexact in binary, so stored times drift off the millisecond.
        control.advance(0.1)
        account_ids.extend(control.seed_balances(1))

    for account_id in account_ids:
        account = client.get(f"{ACCOUNTS}/{account_id}").json()["account"]
        for operator in ("$eq", "$gte", "$lte"):
            filter_ = {"id": account_id, "createdDate": {operator: account["createdDate"]}}
            found = query(client, {"filter": filter_})["loyaltyAccounts"]
            assert len(found) == 1, (operator, account["createdDate"])


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ([{"fieldName": "points.balance", "order": "DESC"}], ALL_IN_ORDER[::-1]),
        ([{"fieldName": "contact.name"}], ["ada", "alan", "barbara", "edsger", "grace"]),
        ([{"fieldName": "createdDate", "order": "DESC"}], ALL_IN_ORDER[::-1]),
        (
            [{"fieldName": "contact.email", "order": "DESC"}],
            ["grace", "edsger", "barbara", "alan", "ada"],
        ),
    ],
)
def test_query_sort_orders(
    client: httpx.Client, people: dict[str, str], sort: list[dict[str, str]], expected: list[str]
) -> None:
    assert query_names(client, people, {"sort": sort}) == expected


def test_query_sort_follows_changes(client: httpx.Client, people: dict[str, str]) -> None:
    body = {"amount": 100, "appId": "app", "idempotencyKey": "k"}
    response = client.post(f"{ACCOUNTS}/{people['ada']}/earn-points", json=body)
    sort = [{"fieldName": "points.balance", "order": "DESC"}]

    assert response.status_code == 200
    assert query_names(client, people, {"sort": sort})[0] == "ada"


def test_query_cursor_pages_in_order(client: httpx.Client, people: dict[str, str]) -> None:
    sort = [{"fieldName": "points.balance", "order": "DESC"}]
    page = query(client, {"sort": sort, "cursorPaging": {"limit": 2}})
    pages = [names_of(page["loyaltyAccounts"], people)]
    while "next" in page["pagingMetadata"]["cursors"]:
        cursor = page["pagingMetadata"]["cursors"]["next"]
        page = query(client, {"cursorPaging": {"cursor": cursor}})
        pages.append(names_of(page["loyaltyAccounts"], people))

    assert pages == [["barbara", "edsger"], ["grace", "alan"], ["ada"]]


def test_query_cursor_keeps_filter(client: httpx.Client, people: dict[str, str]) -> None:
    first = query(
        client, {"filter": {"points.balance": {"$gte": 20}}, "cursorPaging": {"limit": 3}}
    )
    cursor = first["pagingMetadata"]["cursors"]["next"]
    second = query(client, {"cursorPaging": {"cursor": cursor}})

    assert names_of(first["loyaltyAccounts"], people) == ["alan", "grace", "edsger"]
    assert names_of(second["loyaltyAccounts"], people) == ["barbara"]
    assert second["pagingMetadata"]["hasNext"] is False


def test_query_prev_cursor_returns(client: httpx.Client, people: dict[str, str]) -> None:
    first = query(client, {"cursorPaging": {"limit": 2}})
    second = query(client, {"cursorPaging": {"cursor": first["pagingMetadata"]["cursors"]["next"]}})
    back = query(client, {"cursorPaging": {"cursor": second["pagingMetadata"]["cursors"]["prev"]}})

    assert "prev" not in first["pagingMetadata"]["cursors"]
    assert names_of(back["loyaltyAccounts"], people) == ["ada", "alan"]


def test_query_offset_paging_limit(client: httpx.Client, people: dict[str, str]) -> None:
    assert query_names(client, people, {"paging": {"limit": 2}}) == ["ada", "alan"]


def test_query_limit_as_string(client: httpx.Client, people: dict[str, str]) -> None:
    assert query_names(client, people, {"cursorPaging": {"limit": "1"}}) == ["ada"]


@pytest.mark.parametrize(
    ("expression", "mode", "expected"),
    [
        ("lovelace", None, ["ada"]),
        ("BLETCHLEY", None, ["alan"]),
        ("example.com", None, ["ada", "edsger"]),
        ("ada grace", "OR", ["ada", "grace"]),
        ("ada lovelace", "AND", ["ada"]),
        ("ada hopper", "AND", []),
    ],
)
def test_search_free_text(
    client: httpx.Client,
    people: dict[str, str],
    expression: str,
    mode: str | None,
    expected: list[str],
) -> None:
    text: dict[str, Any] = {"expression": expression}
    if mode is not None:
        text["mode"] = mode

    assert search_names(client, people, {"search": text}) == expected


def test_search_limited_to_fields(client: httpx.Client, people: dict[str, str]) -> None:
    text = {"expression": "lovelace", "fields": ["contact.email"]}

    assert search_names(client, people, {"search": text}) == []


def test_search_text_and_filter(client: httpx.Client, people: dict[str, str]) -> None:
    body = {"search": {"expression": "example.com"}, "filter": {"points.balance": {"$gt": 10}}}

    assert search_names(client, people, body) == ["edsger"]


@pytest.mark.parametrize(
    "filter_",
    [{"contact.id": {"$any": []}}, {"contact.name": {"$begins": "Gr"}}],
)
def test_search_operator_spellings(
    client: httpx.Client, people: dict[str, str], filter_: dict[str, Any]
) -> None:
    expected = [] if "contact.id" in filter_ else ["grace"]

    assert search_names(client, people, {"filter": filter_}) == expected


def test_search_cursor_pages(client: httpx.Client, people: dict[str, str]) -> None:
    body: dict[str, Any] = {"search": {"expression": "a"}, "cursorPaging": {"limit": 2}}
    seen: list[str] = []
    for _ in range(10):
        response = client.post(f"{ACCOUNTS}/search", json={"search": body})
        assert response.status_code == 200, response.text
        seen.extend(names_of(response.json()["accounts"], people))
        cursor = response.json()["pagingMetadata"]["cursors"].get("next")
        if cursor is None:
            break
        body = {"cursorPaging": {"cursor": cursor}}

    assert seen == ALL_IN_ORDER


def test_search_returns_aggregation_data(client: httpx.Client, people: dict[str, str]) -> None:
    response = client.post(f"{ACCOUNTS}/search", json={"search": {}})

    assert response.json()["aggregationData"] == {"results": []}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, 5),
        ({"filter": {"points.balance": {"$gte": 30}}}, 3),
        ({"search": {"expression": "example.com"}}, 2),
        ({"filter": {"points.balance": {"$gte": 30}}, "search": {"expression": "example"}}, 1),
        ({"filter": {"points.balance": {"$gt": 1000}}}, 0),
    ],
)
def test_count_matches_filter_search(
    client: httpx.Client, people: dict[str, str], body: dict[str, Any], expected: int
) -> None:
    assert count(client, body) == expected


def test_list_returns_all(client: httpx.Client, people: dict[str, str]) -> None:
    response = client.get(ACCOUNTS)

    assert response.status_code == 200
    assert names_of(response.json()["accounts"], people) == ALL_IN_ORDER


def test_list_by_contact_ids(client: httpx.Client, people: dict[str, str]) -> None:
    contacts = [
        client.get(f"{ACCOUNTS}/{people[key]}").json()["account"]["contactId"]
        for key in ("grace", "ada")
    ]

    response = client.get(ACCOUNTS, params={"contactIds": contacts})

    assert names_of(response.json()["accounts"], people) == ["ada", "grace"]


def test_list_cursor_pages(client: httpx.Client, people: dict[str, str]) -> None:
    first = client.get(ACCOUNTS, params={"cursorPaging.limit": 3}).json()
    cursor = first["pagingMetadata"]["cursors"]["next"]
    second = client.get(ACCOUNTS, params={"cursorPaging.cursor": cursor}).json()

    assert names_of(first["accounts"], people) == ["ada", "alan", "grace"]
    assert names_of(second["accounts"], people) == ["edsger", "barbara"]


def test_list_rejects_bad_contact_id(client: httpx.Client) -> None:
    response = client.get(ACCOUNTS, params={"contactIds": ["nope"]})

    assert response.status_code == 400
    assert violated_fields(response) == ["contactIds[0]"]


def test_list_rejects_too_many_ids(client: httpx.Client) -> None:
    ids = [str(uuid.uuid4()) for _ in range(51)]

    response = client.get(ACCOUNTS, params={"contactIds": ids})

    assert response.status_code == 400
    assert violated_fields(response) == ["contactIds"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("query", {"query": {"filter": {"nickname": "x"}}}, "query.filter.nickname"),
        (
            "query",
            {"query": {"filter": {"$or": [{"nickname": "x"}]}}},
            "query.filter.$or[0].nickname",
        ),
        ("search", {"search": {"filter": {"nickname": "x"}}}, "search.filter.nickname"),
        ("count", {"filter": {"nickname": "x"}}, "filter.nickname"),
        ("query", {"query": {"sort": [{"fieldName": "nickname"}]}}, "query.sort[0].fieldName"),
    ],
)
def test_unknown_field_named(
    client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{ACCOUNTS}/{path}", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == [field]
    assert "nickname" in response.json()["message"]


@pytest.mark.parametrize("path", ["query", "search"])
def test_unknown_operator_named(client: httpx.Client, path: str) -> None:
    body = {path: {"filter": {"points.balance": {"$regex": "1"}}}}

    response = client.post(f"{ACCOUNTS}/{path}", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == [f"{path}.filter.points.balance"]
    assert "$regex" in response.json()["message"]


@pytest.mark.parametrize("path", ["query", "search"])
def test_limit_above_maximum_rejected(client: httpx.Client, path: str) -> None:
    body = {path: {"cursorPaging": {"limit": 101}}}

    response = client.post(f"{ACCOUNTS}/{path}", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == [f"{path}.cursorPaging.limit"]


def test_limit_maximum_accepted(client: httpx.Client, people: dict[str, str]) -> None:
    assert len(query(client, {"cursorPaging": {"limit": 100}})["loyaltyAccounts"]) == 5


def test_list_limit_above_maximum_rejected(client: httpx.Client) -> None:
    response = client.get(ACCOUNTS, params={"cursorPaging.limit": 101})

    assert response.status_code == 400
    assert_error_envelope(response)


def test_query_object_required(client: httpx.Client) -> None:
    response = client.post(f"{ACCOUNTS}/query", json={})

    assert response.status_code == 400
    assert violated_fields(response) == ["query"]


def test_query_forged_cursor_rejected(client: httpx.Client) -> None:
    response = client.post(f"{ACCOUNTS}/query", json={"query": {"cursorPaging": {"cursor": "xyz"}}})

    assert response.status_code == 400
    assert violated_fields(response) == ["query.cursorPaging.cursor"]


@pytest.mark.parametrize("prefix", ["/loyalty-accounts", "/_api/loyalty-accounts"])
def test_query_routes_under_prefix(
    client: httpx.Client, people: dict[str, str], prefix: str
) -> None:
    queried = client.post(f"{prefix}/v1/accounts/query", json={"query": {}})
    searched = client.post(f"{prefix}/v1/accounts/search", json={"search": {}})
    counted = client.post(f"{prefix}/v1/accounts/count", json={})
    listed = client.get(f"{prefix}/v1/accounts")

    assert len(queried.json()["loyaltyAccounts"]) == 5
    assert len(searched.json()["accounts"]) == 5
    assert counted.json()["count"] == 5
    assert len(listed.json()["accounts"]) == 5
