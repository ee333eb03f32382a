"""Loyalty Accounts endpoints that act on one account: create, get, earn, adjust, look up."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from support import (
    ACCOUNTS,
    LOYALTY_APP_ID,
    PROGRAM,
    TRANSACTIONS,
    Control,
    adjust,
    assert_error_envelope,
    assert_points_invariant,
    create_account,
    earn,
    error_code,
    get_account,
    violated_fields,
)

MEMBER_HEADER = "x-wix-emulator-member-id"


def transaction_count(client: httpx.Client) -> int:
    response = client.post(f"{TRANSACTIONS}/query", json={"query": {}})
    assert response.status_code == 200, response.text
    return len(response.json()["loyaltyTransactions"])


def changed_account(response: httpx.Response) -> dict[str, Any]:
    """Return the account of a successful earn or adjust, after checking its points."""
    assert response.status_code == 200, response.text
    account: dict[str, Any] = response.json()["account"]
    assert_points_invariant(account)
    return account


# Create Account


def test_create_returns_empty_account(client: httpx.Client) -> None:
    contact_id = str(uuid.uuid4())

    account = create_account(client, contact_id)

    assert account["contactId"] == contact_id
    assert account["points"] == {
        "balance": 0,
        "earned": 0,
        "adjusted": 0,
        "redeemed": 0,
        "expired": 0,
    }
    assert account["revision"] == "1"
    assert account["rewardAvailable"] is False
    assert account["createdDate"] == account["updatedDate"]
    assert "latestTransaction" not in account


def test_created_account_readable(client: httpx.Client) -> None:
    created = create_account(client)

    fetched = get_account(client, created["id"])

    assert fetched == created


def test_create_lowercases_contact_id(client: httpx.Client) -> None:
    contact_id = str(uuid.uuid4())

    account = create_account(client, contact_id.upper())
    duplicate = client.post(ACCOUNTS, json={"contactId": contact_id})

    assert account["contactId"] == contact_id
    assert duplicate.status_code == 409


def test_create_twice_conflicts(client: httpx.Client) -> None:
    contact_id = str(uuid.uuid4())
    first = create_account(client, contact_id)

    response = client.post(ACCOUNTS, json={"contactId": contact_id})

    assert response.status_code == 409
    assert error_code(response) == "ALREADY_EXISTS"
    assert response.json()["details"]["applicationError"]["data"]["accountId"] == first["id"]


@pytest.mark.parametrize("body", [{"contactId": "not-a-guid"}, {"contactId": 5}, {}])
def test_create_rejects_bad_contact(client: httpx.Client, body: dict[str, Any]) -> None:
    response = client.post(ACCOUNTS, json=body)

    assert response.status_code == 400
    assert_error_envelope(response)
    assert violated_fields(response) == ["contactId"]


@pytest.mark.parametrize("status", ["PAUSED", "DRAFT"])
def test_create_needs_active_program(client: httpx.Client, control: Control, status: str) -> None:
    control.seed(program={"status": status})

    response = client.post(ACCOUNTS, json={"contactId": str(uuid.uuid4())})
    count = client.post(f"{ACCOUNTS}/count", json={}).json()["count"]

    assert response.status_code == 428
    assert error_code(response) == "PROGRAM_NOT_ACTIVE"
    assert count == 0


def test_create_after_reactivation(client: httpx.Client) -> None:
    assert client.post(f"{PROGRAM}/pause").status_code == 200
    assert client.post(f"{PROGRAM}/activate").status_code == 200

    response = client.post(ACCOUNTS, json={"contactId": str(uuid.uuid4())})

    assert response.status_code == 200


def test_create_uses_seeded_contact(client: httpx.Client, control: Control) -> None:
    contact_id = str(uuid.uuid4())
    control.seed(contacts=[{"id": contact_id, "name": "Ada Lovelace", "email": "ada@example.com"}])

    account = create_account(client, contact_id)

    assert account["contact"]["name"] == "Ada Lovelace"
    assert account["contact"]["email"] == "ada@example.com"


def test_contact_display_name_fallback(client: httpx.Client, control: Control) -> None:
    named, unnamed = control.seed(
        accounts=[
            {"contact": {"name": "Ada Lovelace", "email": "ada@example.com"}},
            {"contact": {"email": "anon@example.com"}},
        ]
    )

    assert get_account(client, named)["contact"]["displayName"] == "Ada Lovelace"
    assert get_account(client, unnamed)["contact"]["displayName"] == "anon@example.com"
    assert "name" not in get_account(client, unnamed)["contact"]


# Get Account


def test_get_unknown_account_not_found(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNTS}/{uuid.uuid4()}")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_get_non_guid_rejected(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNTS}/abc")

    assert response.status_code == 400
    assert violated_fields(response) == ["id"]


def test_get_accepts_uppercase_id(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(3)

    response = client.get(f"{ACCOUNTS}/{account_id.upper()}")

    assert response.status_code == 200
    assert response.json()["account"]["id"] == account_id


def test_account_hidden_from_other_site(
    client: httpx.Client, control: Control, bare_client: httpx.Client
) -> None:
    [account_id] = control.seed_balances(3)
    headers = {"Authorization": "key", "wix-site-id": str(uuid.uuid4())}

    response = bare_client.get(f"{ACCOUNTS}/{account_id}", headers=headers)

    assert response.status_code == 404


# Earn Points


def test_earn_adds_earned_points(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    response = earn(client, account_id, 25, key="order-1")
    account = changed_account(response)
    transaction_id = response.json()["transactionId"]
    transaction = client.get(f"{TRANSACTIONS}/{transaction_id}").json()["loyaltyTransaction"]

    assert account["points"]["earned"] == 35
    assert account["points"]["balance"] == 35
    assert account["revision"] == "2"
    assert account["latestTransaction"]["type"] == "EARN"
    assert account["latestTransaction"]["idempotencyKey"] == "order-1"
    assert transaction["transactionType"] == "EARN"
    assert transaction["amount"] == 25
    assert transaction["idempotencyKey"] == "order-1"
    assert transaction["earnInfo"]["appId"] == LOYALTY_APP_ID


def test_earn_maximum_amount_accepted(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(0)

    account = changed_account(earn(client, account_id, 9_999_999))

    assert account["points"]["balance"] == 9_999_999


@pytest.mark.parametrize("amount", [0, -5, 10_000_000])
def test_earn_rejects_amount_out_of_range(
    client: httpx.Client, control: Control, amount: int
) -> None:
    [account_id] = control.seed_balances(10)

    response = earn(client, account_id, amount)

    assert response.status_code == 400
    assert violated_fields(response) == ["amount"]
    assert get_account(client, account_id)["revision"] == "1"


@pytest.mark.parametrize("missing", ["appId", "idempotencyKey", "amount"])
def test_earn_requires_field(client: httpx.Client, control: Control, missing: str) -> None:
    [account_id] = control.seed_balances(10)
    body: dict[str, Any] = {"amount": 5, "appId": "app", "idempotencyKey": "key-1"}
    del body[missing]

    response = client.post(f"{ACCOUNTS}/{account_id}/earn-points", json=body)

    assert response.status_code == 400
    assert violated_fields(response) == [missing]


def test_earn_reports_every_violation(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    response = client.post(f"{ACCOUNTS}/{account_id}/earn-points", json={"amount": 0})

    assert response.status_code == 400
    assert violated_fields(response) == ["amount", "appId", "idempotencyKey"]


def test_earn_replayed_key_rejected(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)
    first = earn(client, account_id, 5, key="retry-me")
    before = get_account(client, account_id)

    replay = earn(client, account_id, 5, key="retry-me")
    after = get_account(client, account_id)

    assert first.status_code == 200
    assert replay.status_code == 409
    assert error_code(replay) == "TRANSACTION_ALREADY_EXISTS"
    assert (
        replay.json()["details"]["applicationError"]["data"]["transactionId"]
        == (first.json()["transactionId"])
    )
    assert after == before
    assert transaction_count(client) == 1


def test_earn_key_is_per_account(client: httpx.Client, control: Control) -> None:
    first, second = control.seed_balances(10, 10)

    earn(client, first, 5, key="shared-key")
    response = earn(client, second, 5, key="shared-key")

    assert response.status_code == 200


@pytest.mark.parametrize("status", ["PAUSED", "DRAFT"])
def test_earn_needs_active_program(client: httpx.Client, control: Control, status: str) -> None:
    [account_id] = control.seed(accounts=[{"balance": 10}], program={"status": status})

    response = earn(client, account_id, 5)

    assert response.status_code == 428
    assert error_code(response) == "PROGRAM_NOT_ACTIVE"
    assert get_account(client, account_id)["points"]["balance"] == 10


def test_earn_unknown_account_not_found(client: httpx.Client) -> None:
    response = earn(client, str(uuid.uuid4()), 5)

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_earn_records_optional_details(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(0)
    body = {
        "amount": 3,
        "appId": "my-app",
        "idempotencyKey": "k-1",
        "description": "liked us",
        "activityType": "social",
        "orderId": "order-77",
        "followedSocialMedia": {"channel": "INSTAGRAM"},
    }

    response = client.post(f"{ACCOUNTS}/{account_id}/earn-points", json=body)
    transaction_id = response.json()["transactionId"]
    transaction = client.get(f"{TRANSACTIONS}/{transaction_id}").json()["loyaltyTransaction"]

    assert transaction["description"] == "liked us"
    assert transaction["earnInfo"] == {
        "appId": "my-app",
        "activityType": "social",
        "orderId": "order-77",
        "followedSocialMedia": {"channel": "INSTAGRAM"},
    }


# Adjust Points


def test_adjust_amount_moves_balance(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    account = changed_account(adjust(client, account_id, amount=-4))

    assert account["points"]["balance"] == 6
    assert account["points"]["adjusted"] == -4
    assert account["points"]["earned"] == 10
    assert account["revision"] == "2"
    assert account["latestTransaction"]["type"] == "GIVE"
    assert account["latestTransaction"]["amount"] == -4


def test_adjust_balance_sets_balance(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    response = adjust(client, account_id, balance=3, description="reset")
    account = changed_account(response)
    transaction_id = response.json()["transactionId"]
    transaction = client.get(f"{TRANSACTIONS}/{transaction_id}").json()["loyaltyTransaction"]

    assert account["points"]["balance"] == 3
    assert account["points"]["adjusted"] == -7
    assert account["latestTransaction"]["type"] == "ADJUST"
    assert transaction["transactionType"] == "ADJUST"
    assert transaction["amount"] == -7
    assert transaction["description"] == "reset"
    assert transaction["adjustInfo"]["amountBefore"] == 10
    assert transaction["adjustInfo"]["amountAfter"] == 3


def test_adjust_balance_wins_over_amount(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    account = changed_account(adjust(client, account_id, balance=50, amount=-3))

    assert account["points"]["balance"] == 50
    assert account["latestTransaction"]["type"] == "ADJUST"


def test_adjust_balance_zero_allowed(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)

    account = changed_account(adjust(client, account_id, balance=0))

    assert account["points"]["balance"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0}, "amount"),
        ({}, "balance"),
        ({"balance": -1}, "balance"),
        ({"amount": 10_000_000}, "amount"),
        ({"amount": -10_000_000}, "amount"),
        ({"amount": 1, "revision": 0}, "revision"),
        ({"amount": 1, "description": ""}, "description"),
    ],
)
def test_adjust_rejects_bad_body(
    client: httpx.Client, control: Control, body: dict[str, Any], field: str
) -> None:
    [account_id] = control.seed_balances(10)

    response = adjust(client, account_id, **body)

    assert response.status_code == 400
    assert violated_fields(response) == [field]
    assert get_account(client, account_id)["revision"] == "1"


def test_adjust_below_zero_rejected(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)
    before = get_account(client, account_id)

    response = adjust(client, account_id, amount=-11)

    assert response.status_code == 400
    assert error_code(response) == "NEGATIVE_BALANCE"
    assert get_account(client, account_id) == before
    assert transaction_count(client) == 0


def test_adjust_negative_status_setting(client: httpx.Client, control: Control) -> None:
    control.change_settings(negative_balance_status=428)
    [account_id] = control.seed_balances(10)

    response = adjust(client, account_id, amount=-11)

    assert response.status_code == 428
    assert error_code(response) == "NEGATIVE_BALANCE"


@pytest.mark.parametrize("revision", ["1", 1])
def test_adjust_accepts_current_revision(
    client: httpx.Client, control: Control, revision: str | int
) -> None:
    [account_id] = control.seed_balances(10)

    account = changed_account(adjust(client, account_id, amount=5, revision=revision))

    assert account["points"]["balance"] == 15
    assert account["revision"] == "2"


@pytest.mark.parametrize("revision", ["1", 1, 3])
def test_adjust_stale_revision_conflicts(
    client: httpx.Client, control: Control, revision: str | int
) -> None:
    [account_id] = control.seed_balances(10)
    changed_account(adjust(client, account_id, amount=1))
    before = get_account(client, account_id)

    response = adjust(client, account_id, amount=5, revision=revision)

    assert response.status_code == 409
    assert error_code(response) == "REVISION_MISMATCH"
    assert response.json()["details"]["applicationError"]["data"]["currentRevision"] == "2"
    assert get_account(client, account_id) == before


def test_adjust_revision_required_setting(client: httpx.Client, control: Control) -> None:
    control.change_settings(require_revision=True)
    [account_id] = control.seed_balances(10)

    without = adjust(client, account_id, amount=5)
    with_revision = adjust(client, account_id, amount=5, revision="1")

    assert without.status_code == 400
    assert_error_envelope(without)
    assert with_revision.status_code == 200


def test_adjust_works_while_paused(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed(accounts=[{"balance": 10}], program={"status": "PAUSED"})

    response = adjust(client, account_id, amount=5)

    assert response.status_code == 200


def test_adjust_unknown_account_not_found(client: httpx.Client) -> None:
    response = adjust(client, str(uuid.uuid4()), amount=5)

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_points_invariant_through_changes(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed(
        accounts=[{"points": {"earned": 40, "adjusted": -5, "redeemed": 8, "expired": 2}}]
    )
    changes = [
        lambda: earn(client, account_id, 12),
        lambda: adjust(client, account_id, amount=-20),
        lambda: adjust(client, account_id, balance=99),
        lambda: earn(client, account_id, 1),
        lambda: adjust(client, account_id, amount=3, revision="5"),
    ]

    balances = [changed_account(change())["points"]["balance"] for change in changes]
    final = get_account(client, account_id)

    assert balances == [37, 17, 99, 100, 103]
    assert final["revision"] == "6"
    assert final["points"]["redeemed"] == 8
    assert final["points"]["expired"] == 2


# Get Account By Secondary ID, Get Current Member Account, Get Program Totals


@pytest.fixture
def member_account(control: Control) -> dict[str, str]:
    contact_id, member_id = str(uuid.uuid4()), str(uuid.uuid4())
    control.seed(
        contacts=[{"id": contact_id, "name": "Grace Hopper", "memberId": member_id}],
        accounts=[{"contactId": contact_id, "balance": 42}],
    )
    [account_id] = control.seed_balances(7)
    return {"contactId": contact_id, "memberId": member_id, "otherAccountId": account_id}


@pytest.mark.parametrize("key", ["contactId", "memberId"])
def test_fetch_by_finds_account(
    client: httpx.Client, member_account: dict[str, str], key: str
) -> None:
    response = client.get(f"{ACCOUNTS}/fetch-by", params={key: member_account[key]})
    account = response.json()["account"]

    assert response.status_code == 200
    assert account["contactId"] == member_account["contactId"]
    assert account["memberId"] == member_account["memberId"]
    assert account["points"]["balance"] == 42


@pytest.mark.parametrize("key", ["contactId", "memberId"])
def test_fetch_by_ignores_id_case(
    client: httpx.Client, member_account: dict[str, str], key: str
) -> None:
    response = client.get(f"{ACCOUNTS}/fetch-by", params={key: member_account[key].upper()})

    assert response.status_code == 200
    assert response.json()["account"]["contactId"] == member_account["contactId"]


@pytest.mark.parametrize("key", ["contactId", "memberId"])
def test_fetch_by_missing_returns_empty(client: httpx.Client, key: str) -> None:
    response = client.get(f"{ACCOUNTS}/fetch-by", params={key: str(uuid.uuid4())})

    assert response.status_code == 200
    assert response.json() == {}


@pytest.mark.parametrize("key", ["contactId", "memberId"])
def test_fetch_by_missing_not_found_setting(
    client: httpx.Client, control: Control, key: str
) -> None:
    control.change_settings(fetch_by_missing="not_found")

    response = client.get(f"{ACCOUNTS}/fetch-by", params={key: str(uuid.uuid4())})

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_fetch_by_needs_an_id(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNTS}/fetch-by")

    assert response.status_code == 400
    assert_error_envelope(response)


def test_fetch_by_rejects_long_id(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNTS}/fetch-by", params={"contactId": "x" * 51})

    assert response.status_code == 400
    assert violated_fields(response) == ["contactId"]


def test_my_account_by_member_header(client: httpx.Client, member_account: dict[str, str]) -> None:
    headers = {MEMBER_HEADER: member_account["memberId"]}

    response = client.get(f"{ACCOUNTS}/my-account", headers=headers)

    assert response.status_code == 200
    assert response.json()["account"]["contactId"] == member_account["contactId"]


def test_my_account_ignores_id_case(client: httpx.Client, member_account: dict[str, str]) -> None:
    headers = {MEMBER_HEADER: member_account["memberId"].upper()}

    response = client.get(f"{ACCOUNTS}/my-account", headers=headers)

    assert response.status_code == 200


def test_my_account_without_member_forbidden(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNTS}/my-account")

    assert response.status_code == 403
    assert error_code(response) == "PERMISSION_DENIED"


def test_my_account_member_without_account(client: httpx.Client, control: Control) -> None:
    member_id = str(uuid.uuid4())
    control.seed(contacts=[{"name": "No Account", "memberId": member_id}])

    response = client.get(f"{ACCOUNTS}/my-account", headers={MEMBER_HEADER: member_id})

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_program_totals_sum_accounts(client: httpx.Client, control: Control) -> None:
    control.seed(
        accounts=[
            {"points": {"earned": 40, "adjusted": -5, "redeemed": 8, "expired": 2}},
            {"points": {"earned": 10, "adjusted": 7, "redeemed": 1, "expired": 0}},
        ]
    )

    body = client.get(f"{ACCOUNTS}/program-totals").json()

    assert body["points"] == {
        "balance": 41,
        "earned": 50,
        "adjusted": 2,
        "redeemed": 9,
        "expired": 2,
    }
    assert body["tierTotals"] == [{"id": None, "numberOfAccounts": 2}]


def test_program_totals_follow_changes(client: httpx.Client, control: Control) -> None:
    first, second = control.seed_balances(10, 20)
    changed_account(earn(client, first, 5))
    changed_account(adjust(client, second, amount=-15))

    points = client.get(f"{ACCOUNTS}/program-totals").json()["points"]

    assert points["balance"] == 20
    assert points["earned"] == 35
    assert points["adjusted"] == -15


def test_program_totals_of_empty_site(client: httpx.Client) -> None:
    body = client.get(f"{ACCOUNTS}/program-totals").json()

    assert body["points"]["balance"] == 0
    assert body["tierTotals"] == []


# Both service prefixes


@pytest.mark.parametrize("prefix", ["/loyalty-accounts", "/_api/loyalty-accounts"])
def test_account_routes_under_prefix(client: httpx.Client, prefix: str) -> None:
    created = client.post(f"{prefix}/v1/accounts", json={"contactId": str(uuid.uuid4())})
    account_id = created.json()["account"]["id"]
    earned = client.post(
        f"{prefix}/v1/accounts/{account_id}/earn-points",
        json={"amount": 4, "appId": "app", "idempotencyKey": "k"},
    )
    adjusted = client.post(f"{prefix}/v1/accounts/{account_id}/adjust-points", json={"amount": 1})
    fetched = client.get(f"{prefix}/v1/accounts/{account_id}")
    totals = client.get(f"{prefix}/v1/accounts/program-totals")

    assert created.status_code == 200
    assert earned.status_code == 200
    assert adjusted.status_code == 200
    assert fetched.json()["account"]["points"]["balance"] == 5
    assert totals.json()["points"]["balance"] == 5
