"""Loyalty Transactions API and Loyalty Programs API over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from support import (
    LOYALTY_APP_ID,
    PROGRAM,
    TRANSACTIONS,
    Control,
    adjust,
    earn,
    error_code,
    violated_fields,
)


def query_transactions(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{TRANSACTIONS}/query", json={"query": body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def transaction_ids(client: httpx.Client, body: dict[str, Any]) -> list[str]:
    return [t["id"] for t in query_transactions(client, body)["loyaltyTransactions"]]


@pytest.fixture
def history(client: httpx.Client, control: Control) -> dict[str, Any]:
    """Make four transactions one second apart on two accounts and return their IDs by name."""
    first, second = control.seed_balances(100, 100)
    ids = {"first": first, "second": second}
    steps = [
        ("earn", lambda: earn(client, first, 30, key="order-1")),
        ("give", lambda: adjust(client, first, amount=-20)),
        ("set", lambda: adjust(client, second, balance=5, description="manual fix")),
        ("earn_second", lambda: earn(client, second, 7, key="order-2")),
    ]
    for name, step in steps:
        response = step()
        assert response.status_code == 200, response.text
        ids[name] = response.json()["transactionId"]
        control.advance(1)
    return ids


def test_get_earn_transaction(client: httpx.Client, history: dict[str, Any]) -> None:
    response = client.get(f"{TRANSACTIONS}/{history['earn']}")
    transaction = response.json()["loyaltyTransaction"]

    assert response.status_code == 200
    assert transaction["id"] == history["earn"]
    assert transaction["accountId"] == history["first"]
    assert transaction["transactionType"] == "EARN"
    assert transaction["amount"] == 30
    assert transaction["idempotencyKey"] == "order-1"
    assert transaction["earnInfo"]["appId"] == LOYALTY_APP_ID
    assert "adjustInfo" not in transaction


def test_get_adjust_transaction(client: httpx.Client, history: dict[str, Any]) -> None:
    transaction = client.get(f"{TRANSACTIONS}/{history['set']}").json()["loyaltyTransaction"]

    assert transaction["transactionType"] == "ADJUST"
    assert transaction["amount"] == -95
    assert transaction["description"] == "manual fix"
    assert transaction["adjustInfo"] == {
        "appId": LOYALTY_APP_ID,
        "amountBefore": 100,
        "amountAfter": 5,
    }
    assert "idempotencyKey" not in transaction


def test_give_shown_as_adjust(client: httpx.Client, history: dict[str, Any]) -> None:
    transaction = client.get(f"{TRANSACTIONS}/{history['give']}").json()["loyaltyTransaction"]

    assert transaction["transactionType"] == "ADJUST"
    assert transaction["amount"] == -20
    assert transaction["adjustInfo"]["amountBefore"] == 130
    assert transaction["adjustInfo"]["amountAfter"] == 110


def test_give_setting_changes_type(
    client: httpx.Client, control: Control, history: dict[str, Any]
) -> None:
    control.change_settings(give_transaction_type="GIVE")

    transaction = client.get(f"{TRANSACTIONS}/{history['give']}").json()["loyaltyTransaction"]
    gives = transaction_ids(client, {"filter": {"transactionType": "GIVE"}})
    adjusts = transaction_ids(client, {"filter": {"transactionType": "ADJUST"}})

    assert transaction["transactionType"] == "GIVE"
    assert gives == [history["give"]]
    assert adjusts == [history["set"]]


def test_get_unknown_transaction(client: httpx.Client) -> None:
    response = client.get(f"{TRANSACTIONS}/{uuid.uuid4()}")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_get_non_guid_transaction(client: httpx.Client) -> None:
    response = client.get(f"{TRANSACTIONS}/not-a-guid")

    assert response.status_code == 400
    assert violated_fields(response) == ["loyaltyTransactionId"]


def test_query_default_order(client: httpx.Client, history: dict[str, Any]) -> None:
    expected = [history[name] for name in ("earn", "give", "set", "earn_second")]

    assert transaction_ids(client, {}) == expected


def test_query_sort_descending(client: httpx.Client, history: dict[str, Any]) -> None:
    sort = [{"fieldName": "createdDate", "order": "DESC"}]
    expected = [history[name] for name in ("earn_second", "set", "give", "earn")]

    assert transaction_ids(client, {"sort": sort}) == expected


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"transactionType": "EARN"}, ["earn", "earn_second"]),
        ({"transactionType": {"$in": ["ADJUST"]}}, ["give", "set"]),
        ({"amount": {"$lt": 0}}, ["give", "set"]),
        ({"amount": {"$gte": 7, "$lte": 30}}, ["earn", "earn_second"]),
        ({"idempotencyKey": "order-2"}, ["earn_second"]),
        ({"idempotencyKey": {"$startsWith": "order"}}, ["earn", "earn_second"]),
        ({"description": {"$exists": True}}, ["set"]),
    ],
)
def test_query_filters_transactions(
    client: httpx.Client, history: dict[str, Any], filter_: dict[str, Any], expected: list[str]
) -> None:
    assert transaction_ids(client, {"filter": filter_}) == [history[name] for name in expected]


def test_query_matches_read_timestamp(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    for _ in range(3):
        # Tenths of a second are inexact in binary, so stored times drift off the millisecond.
        control.advance(0.1)
        transaction_id = earn(client, account_id, 1).json()["transactionId"]
        response = client.get(f"{TRANSACTIONS}/{transaction_id}")
        created = response.json()["loyaltyTransaction"]["createdDate"]
        found = transaction_ids(client, {"filter": {"createdDate": created}})
        assert found == [transaction_id], created


def test_query_by_account(client: httpx.Client, history: dict[str, Any]) -> None:
    found = transaction_ids(client, {"filter": {"accountId": history["second"]}})

    assert found == [history["set"], history["earn_second"]]


def test_query_cursor_pages(client: httpx.Client, history: dict[str, Any]) -> None:
    page = query_transactions(client, {"cursorPaging": {"limit": 3}})
    cursor = page["pagingMetadata"]["cursors"]["next"]
    second = query_transactions(client, {"cursorPaging": {"cursor": cursor}})

    assert len(page["loyaltyTransactions"]) == 3
    assert [t["id"] for t in second["loyaltyTransactions"]] == [history["earn_second"]]
    assert second["pagingMetadata"]["hasNext"] is False


def test_query_unknown_field_rejected(client: httpx.Client) -> None:
    response = client.post(f"{TRANSACTIONS}/query", json={"query": {"filter": {"points": 1}}})

    assert response.status_code == 400
    assert violated_fields(response) == ["query.filter.points"]


def test_query_limit_above_maximum(client: httpx.Client) -> None:
    body = {"query": {"cursorPaging": {"limit": 101}}}

    response = client.post(f"{TRANSACTIONS}/query", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == ["query.cursorPaging.limit"]


def test_query_object_required(client: httpx.Client) -> None:
    response = client.post(f"{TRANSACTIONS}/query", json={})

    assert response.status_code == 400
    assert violated_fields(response) == ["query"]


def test_failed_change_writes_nothing(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(5)

    adjust(client, account_id, amount=-6)
    earn(client, account_id, 0)
    adjust(client, account_id, amount=1, revision="9")

    assert transaction_ids(client, {}) == []


def test_seeded_points_write_nothing(client: httpx.Client, control: Control) -> None:
    control.seed_balances(5, 6)

    assert transaction_ids(client, {}) == []


@pytest.mark.parametrize("prefix", ["/loyalty-transactions", "/_api/loyalty-transactions"])
def test_transaction_routes_under_prefix(
    client: httpx.Client, history: dict[str, Any], prefix: str
) -> None:
    fetched = client.get(f"{prefix}/v1/loyalty-transactions/{history['earn']}")
    queried = client.post(f"{prefix}/v1/loyalty-transactions/query", json={"query": {}})

    assert fetched.json()["loyaltyTransaction"]["id"] == history["earn"]
    assert len(queried.json()["loyaltyTransactions"]) == 4


# Loyalty Programs


def get_program(client: httpx.Client) -> dict[str, Any]:
    response = client.get(PROGRAM)
    assert response.status_code == 200, response.text
    program: dict[str, Any] = response.json()["loyaltyProgram"]
    return program


def update_program(client: httpx.Client, changes: dict[str, Any]) -> httpx.Response:
    return client.patch(PROGRAM, json={"loyaltyProgram": changes})


def test_new_site_program_active(client: httpx.Client) -> None:
    program = get_program(client)

    assert program["status"] == "ACTIVE"
    assert program["pointDefinition"]["customName"] == "Points"
    assert program["pointsExpiration"]["status"] == "DISABLED"


def test_new_site_draft_setting(client: httpx.Client, control: Control) -> None:
    control.change_settings(initial_program_status="DRAFT")

    assert get_program(client)["status"] == "DRAFT"


@pytest.mark.parametrize("name", ["Co", "C" * 50])
def test_update_name_within_limits(client: httpx.Client, name: str) -> None:
    response = update_program(client, {"name": name})

    assert response.status_code == 200
    assert response.json()["loyaltyProgram"]["name"] == name
    assert get_program(client)["name"] == name


@pytest.mark.parametrize("name", ["C", "C" * 51, 7])
def test_update_rejects_bad_name(client: httpx.Client, name: Any) -> None:
    before = get_program(client)

    response = update_program(client, {"name": name})

    assert response.status_code == 400
    assert violated_fields(response) == ["loyaltyProgram.name"]
    assert get_program(client) == before


def test_update_settings_fields(client: httpx.Client) -> None:
    changes = {
        "pointDefinition": {"customName": "Beans"},
        "pointsExpiration": {"monthsOfInactivity": 6, "expiringPointsPercentage": 50},
    }

    program = update_program(client, changes).json()["loyaltyProgram"]

    assert program["pointDefinition"]["customName"] == "Beans"
    assert program["pointsExpiration"]["monthsOfInactivity"] == 6
    assert program["pointsExpiration"]["expiringPointsPercentage"] == 50


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"pointDefinition": {"customName": "x" * 21}},
            "loyaltyProgram.pointDefinition.customName",
        ),
        (
            {"pointsExpiration": {"monthsOfInactivity": 13}},
            "loyaltyProgram.pointsExpiration.monthsOfInactivity",
        ),
        (
            {"pointsExpiration": {"expiringPointsPercentage": 0}},
            "loyaltyProgram.pointsExpiration.expiringPointsPercentage",
        ),
    ],
)
def test_update_rejects_bad_settings(
    client: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    response = update_program(client, changes)

    assert response.status_code == 400
    assert violated_fields(response) == [field]


def test_rejected_update_changes_nothing(client: httpx.Client) -> None:
    before = get_program(client)

    response = update_program(
        client, {"name": "Coffee Club", "pointsExpiration": {"monthsOfInactivity": 0}}
    )

    assert response.status_code == 400
    assert get_program(client) == before


def test_update_ignores_read_only_status(client: httpx.Client) -> None:
    response = update_program(client, {"name": "Tea Club", "status": "PAUSED"})

    assert response.json()["loyaltyProgram"]["status"] == "ACTIVE"


def test_update_moves_updated_date(client: httpx.Client, control: Control) -> None:
    before = get_program(client)
    control.advance(5)

    after = update_program(client, {"name": "Tea Club"}).json()["loyaltyProgram"]

    assert after["updatedDate"] > before["updatedDate"]
    assert after["createdDate"] == before["createdDate"]


def test_pause_then_activate(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(5)

    paused = client.post(f"{PROGRAM}/pause").json()["loyaltyProgram"]
    blocked = earn(client, account_id, 1)
    activated = client.post(f"{PROGRAM}/activate").json()["loyaltyProgram"]
    allowed = earn(client, account_id, 1)

    assert paused["status"] == "PAUSED"
    assert get_program(client)["status"] == "ACTIVE"
    assert blocked.status_code == 428
    assert activated["status"] == "ACTIVE"
    assert allowed.status_code == 200


def test_activate_draft_program(client: httpx.Client, control: Control) -> None:
    control.seed(program={"status": "DRAFT"})

    program = client.post(f"{PROGRAM}/activate").json()["loyaltyProgram"]

    assert program["status"] == "ACTIVE"


def test_pause_twice_keeps_date(client: httpx.Client, control: Control) -> None:
    first = client.post(f"{PROGRAM}/pause").json()["loyaltyProgram"]
    control.advance(5)

    second = client.post(f"{PROGRAM}/pause").json()["loyaltyProgram"]

    assert second["status"] == "PAUSED"
    assert second["updatedDate"] == first["updatedDate"]


@pytest.mark.parametrize("prefix", ["/loyalty-programs", "/_api/loyalty-programs"])
def test_program_routes_under_prefix(client: httpx.Client, prefix: str) -> None:
    fetched = client.get(f"{prefix}/v1/program")
    updated = client.patch(f"{prefix}/v1/program", json={"loyaltyProgram": {"name": "Cafe"}})
    paused = client.post(f"{prefix}/v1/program/pause")
    activated = client.post(f"{prefix}/v1/program/activate")

    assert fetched.status_code == 200
    assert updated.json()["loyaltyProgram"]["name"] == "Cafe"
    assert paused.json()["loyaltyProgram"]["status"] == "PAUSED"
    assert activated.json()["loyaltyProgram"]["status"] == "ACTIVE"
