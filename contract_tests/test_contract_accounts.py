"""Documented behaviour and errors of the Loyalty Accounts endpoints, on every target."""

from __future__ import annotations

import uuid

import pytest
from wixcontract import api
from wixcontract.checks import assert_points_formula, collect_pages, expect_error
from wixcontract.paths import ACCOUNTS
from wixcontract.targets import Response, Target


def test_create_account_returns_new_account(target: Target) -> None:
    contact_id = target.new_contact()
    body = api.create_account(target, contact_id).expect(200)
    account = body["account"]
    assert account["contactId"] == contact_id
    points = account["points"]
    assert [points[k] for k in ("balance", "earned", "adjusted", "redeemed")] == [0, 0, 0, 0]
    assert points.get("expired", 0) == 0
    assert account["revision"] == "1"
    assert account["rewardAvailable"] is False
    assert account["createdDate"] == account["updatedDate"]


def test_create_account_twice_conflicts(target: Target) -> None:
    contact_id = target.new_contact()
    api.create_account(target, contact_id).expect(200)
    second = api.create_account(target, contact_id)
    expect_error(second, 409, "ALREADY_EXISTS", guess="duplicate-account")


def test_create_account_without_contact_rejected(target: Target) -> None:
    response = target.request("POST", ACCOUNTS, json={})
    expect_error(response, 400, field="contactId")


def test_get_account_returns_account(target: Target) -> None:
    created = api.new_account(target)
    body = api.get_account(target, created["id"]).expect(200)
    assert body["account"] == created


def test_get_unknown_account_not_found(target: Target) -> None:
    response = api.get_account(target, target.unknown_id())
    expect_error(response, 404, "NOT_FOUND", guess="not-found-codes")


def test_get_account_with_malformed_id_rejected(target: Target) -> None:
    expect_error(api.get_account(target, "not-a-guid"), 400, field="id")


def test_earn_points_adds_to_earned(target: Target) -> None:
    account = api.new_account(target)
    body = api.earn(target, account["id"], 50, description="Subscribed").expect(200)
    earned = body["account"]
    assert earned["points"]["earned"] == 50
    assert earned["points"]["balance"] == 50
    assert earned["revision"] == "2"
    assert earned["latestTransaction"]["type"] == "EARN"
    assert earned["latestTransaction"]["id"] == body["transactionId"]
    assert earned["latestTransaction"]["amount"] == 50
    assert_points_formula(earned)


def test_earn_requires_app_id_and_key(target: Target) -> None:
    account = api.new_account(target)
    path = f"{ACCOUNTS}/{account['id']}/earn-points"
    response = target.request("POST", path, json={"amount": 5})
    expect_error(response, 400, field="appId")
    assert "idempotencyKey" in response.violated_fields


@pytest.mark.parametrize("amount", [0, -5, 10_000_000])
def test_earn_rejects_amount_out_of_range(target: Target, amount: int) -> None:
    account = api.new_account(target)
    expect_error(api.earn(target, account["id"], amount), 400, field="amount")


def test_earn_replayed_key_conflicts(target: Target) -> None:
    account = api.new_account(target)
    key = str(uuid.uuid4())
    api.earn(target, account["id"], 10, key=key).expect(200)
    replay = api.earn(target, account["id"], 10, key=key)
    expect_error(replay, 409, "TRANSACTION_ALREADY_EXISTS", guess="earn-idempotency")
    after = api.get_account(target, account["id"]).expect(200)["account"]
    assert after["points"]["earned"] == 10
    assert after["revision"] == "2"


def test_earn_on_unknown_account_not_found(target: Target) -> None:
    response = api.earn(target, target.unknown_id(), 10)
    expect_error(response, 404, "NOT_FOUND", guess="not-found-codes")


def test_adjust_balance_records_adjust(target: Target) -> None:
    account = api.new_account(target)
    api.earn(target, account["id"], 30).expect(200)
    body = api.adjust(target, account["id"], balance=100, revision="2").expect(200)
    adjusted = body["account"]
    assert adjusted["points"] == {**adjusted["points"], "balance": 100, "adjusted": 70}
    assert adjusted["latestTransaction"]["type"] == "ADJUST"
    assert adjusted["revision"] == "3"


def test_adjust_amount_records_give(target: Target) -> None:
    account = api.new_account(target)
    body = api.adjust(target, account["id"], amount=25).expect(200)
    adjusted = body["account"]
    assert adjusted["points"]["balance"] == 25
    assert adjusted["points"]["adjusted"] == 25
    assert adjusted["latestTransaction"]["type"] == "GIVE"
    assert adjusted["latestTransaction"]["amount"] == 25


def test_adjust_with_both_applies_balance(target: Target) -> None:
    account = api.new_account(target)
    body = api.adjust(target, account["id"], balance=40, amount=7).expect(200)
    assert body["account"]["points"]["balance"] == 40, "both-balance-and-amount: balance wins"
    assert body["account"]["latestTransaction"]["type"] == "ADJUST"


def test_adjust_below_zero_rejected(target: Target) -> None:
    account = api.new_account(target)
    api.adjust(target, account["id"], amount=10).expect(200)
    response = api.adjust(target, account["id"], amount=-11)
    expect_error(response, 400, "NEGATIVE_BALANCE", guess="adjust-negative-balance")
    after = api.get_account(target, account["id"]).expect(200)["account"]
    assert after["points"]["balance"] == 10
    assert after["revision"] == "2"


def test_adjust_negative_balance_value_rejected(target: Target) -> None:
    account = api.new_account(target)
    expect_error(api.adjust(target, account["id"], balance=-1), 400, field="balance")


def test_adjust_stale_revision_conflicts(target: Target) -> None:
    account = api.new_account(target)
    api.adjust(target, account["id"], amount=5).expect(200)
    response = api.adjust(target, account["id"], amount=5, revision="1")
    expect_error(response, 409, "REVISION_MISMATCH", guess="adjust-revision-optional")
    after = api.get_account(target, account["id"]).expect(200)["account"]
    assert after["points"]["balance"] == 5


def test_adjust_without_balance_or_amount_rejected(target: Target) -> None:
    account = api.new_account(target)
    expect_error(api.adjust(target, account["id"], description="nothing"), 400)


def test_adjust_zero_amount_rejected(target: Target) -> None:
    account = api.new_account(target)
    expect_error(api.adjust(target, account["id"], amount=0), 400, field="amount")


def test_query_wraps_loyalty_accounts(target: Target) -> None:
    first, second = api.new_account(target), api.new_account(target)
    query = {"filter": {"id": {"$in": [first["id"], second["id"]]}}}
    body = api.query_accounts(target, query).expect(200)
    assert sorted(a["id"] for a in body["loyaltyAccounts"]) == sorted([first["id"], second["id"]])
    assert body["pagingMetadata"]["count"] == 2
    assert "next" not in body["pagingMetadata"]["cursors"]


def test_query_pages_with_cursor_alone(target: Target) -> None:
    ids = [api.new_account(target)["id"] for _ in range(3)]
    first = api.query_accounts(
        target, {"filter": {"id": {"$in": ids}}, "cursorPaging": {"limit": 2}}
    )

    def next_page(cursor: str) -> Response:
        return api.query_accounts(target, {"cursorPaging": {"cursor": cursor, "limit": 2}})

    items = collect_pages(first, "loyaltyAccounts", next_page, limit=2)
    assert sorted(a["id"] for a in items) == sorted(ids)


def test_query_sorts_by_balance(target: Target) -> None:
    ids = []
    for balance in (30, 10, 20):
        account = api.new_account(target)
        api.adjust(target, account["id"], balance=balance).expect(200)
        ids.append(account["id"])
    query = {
        "filter": {"id": {"$in": ids}},
        "sort": [{"fieldName": "points.balance", "order": "DESC"}],
    }
    body = api.query_accounts(target, query).expect(200)
    assert [a["points"]["balance"] for a in body["loyaltyAccounts"]] == [30, 20, 10]


def test_query_without_query_rejected(target: Target) -> None:
    expect_error(target.request("POST", f"{ACCOUNTS}/query", json={}), 400, field="query")


def test_query_limit_above_maximum_rejected(target: Target) -> None:
    response = api.query_accounts(target, {"cursorPaging": {"limit": 101}})
    expect_error(response, 400, field="query.cursorPaging.limit")


def test_query_unknown_operator_rejected(target: Target) -> None:
    response = api.query_accounts(target, {"filter": {"points.balance": {"$near": 3}}})
    expect_error(response, 400)


def test_search_wraps_accounts(target: Target) -> None:
    account = api.new_account(target)
    search = {"filter": {"contact.id": {"$in": [account["contactId"]]}}}
    body = api.search_accounts(target, search).expect(200)
    assert [a["id"] for a in body["accounts"]] == [account["id"]]
    assert isinstance(body.get("aggregationData", {}).get("results", []), list)


def test_count_counts_matching_accounts(target: Target) -> None:
    accounts = [api.new_account(target) for _ in range(3)]
    api.adjust(target, accounts[0]["id"], balance=50).expect(200)
    own = {"contact.id": {"$in": [a["contactId"] for a in accounts]}}
    assert api.count_accounts(target, own).expect(200) == {"count": 3}
    rich = {"$and": [own, {"points.balance": {"$gte": 50}}]}
    assert api.count_accounts(target, rich).expect(200) == {"count": 1}


def test_list_accounts_by_contact_ids(target: Target) -> None:
    first, second = api.new_account(target), api.new_account(target)
    params = {"contactIds": [first["contactId"], second["contactId"]]}
    body = target.request("GET", ACCOUNTS, params=params).expect(200)
    assert sorted(a["id"] for a in body["accounts"]) == sorted([first["id"], second["id"]])


def test_program_totals_sum_points(target: Target) -> None:
    account = api.new_account(target)
    api.earn(target, account["id"], 12).expect(200)
    body = target.request("GET", f"{ACCOUNTS}/program-totals").expect(200)
    assert_points_formula(body)
    if target.is_emulator:
        # Only an emulator site is known to hold nothing but this test's account.
        assert body["points"]["earned"] == 12
        assert body["tierTotals"] == [{"id": None, "numberOfAccounts": 1}]


def test_fetch_by_contact_id_returns_account(target: Target) -> None:
    account = api.new_account(target)
    params = {"contactId": account["contactId"]}
    body = target.request("GET", f"{ACCOUNTS}/fetch-by", params=params).expect(200)
    assert body["account"]["id"] == account["id"]


def test_fetch_by_contact_without_account_empty(target: Target) -> None:
    params = {"contactId": target.new_contact()}
    body = target.request("GET", f"{ACCOUNTS}/fetch-by", params=params).expect(200)
    assert body == {}, "fetch-by-missing-account: the emulator returns {}"


@pytest.mark.emulator_only
def test_my_account_needs_member(target: Target) -> None:
    response = target.request("GET", f"{ACCOUNTS}/my-account")
    expect_error(response, 403, "PERMISSION_DENIED", guess="current-member")


def test_get_on_post_only_route_not_allowed(target: Target) -> None:
    response = target.request("GET", f"{ACCOUNTS}/query")
    assert response.status in (404, 405), response.describe()
