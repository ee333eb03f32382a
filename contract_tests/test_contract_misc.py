"""Transactions, the program, authentication, the error envelope, contacts and OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from wixcontract import api
from wixcontract.checks import expect_error
from wixcontract.paths import ACCOUNTS, CONTACTS, PROGRAM, TRANSACTIONS
from wixcontract.targets import SITE_HEADER, Target

from emulator.rest.app import SERVICES
from emulator.rest.openapi import RESPONSES
from emulator.schemas import load_all


def test_transaction_types_by_operation(target: Target) -> None:
    account = api.new_account(target)
    earned = api.earn(target, account["id"], 20).expect(200)["transactionId"]
    balance_set = api.adjust(target, account["id"], balance=50).expect(200)["transactionId"]
    given = api.adjust(target, account["id"], amount=-5).expect(200)["transactionId"]
    expected = {earned: ("EARN", 20), balance_set: ("ADJUST", 30), given: ("ADJUST", -5)}
    for transaction_id, (kind, amount) in expected.items():
        body = api.get_transaction(target, transaction_id).expect(200)
        transaction = body["loyaltyTransaction"]
        assert transaction["transactionType"] == kind, "give-in-transactions-api"
        assert transaction["amount"] == amount, "adjust-amount-sign"
        assert transaction["accountId"] == account["id"]
    given_body = api.get_transaction(target, given).expect(200)["loyaltyTransaction"]
    assert given_body["adjustInfo"]["amountBefore"] == 50
    assert given_body["adjustInfo"]["amountAfter"] == 45


def test_query_transactions_of_account(target: Target) -> None:
    account = api.new_account(target)
    api.earn(target, account["id"], 5).expect(200)
    api.adjust(target, account["id"], amount=5).expect(200)
    query = {"filter": {"accountId": account["id"]}, "sort": [{"fieldName": "createdDate"}]}
    body = api.query_transactions(target, query).expect(200)
    assert len(body["loyaltyTransactions"]) == 2
    assert body["pagingMetadata"]["count"] == 2


def test_get_unknown_transaction_not_found(target: Target) -> None:
    response = api.get_transaction(target, target.unknown_id())
    expect_error(response, 404, "NOT_FOUND", guess="not-found-codes")


def test_query_transactions_without_query_rejected(target: Target) -> None:
    response = target.request("POST", f"{TRANSACTIONS}/query", json={})
    expect_error(response, 400, field="query")


def test_get_program_wraps_loyalty_program(target: Target) -> None:
    body = target.request("GET", PROGRAM).expect(200)
    assert body["loyaltyProgram"]["status"] in ("ACTIVE", "DRAFT", "PAUSED")


@pytest.mark.emulator_only
def test_paused_program_blocks_earning(target: Target) -> None:
    account = api.new_account(target)
    paused = target.request("POST", f"{PROGRAM}/pause", json={}).expect(200)
    assert paused["loyaltyProgram"]["status"] == "PAUSED"
    response = api.earn(target, account["id"], 5)
    expect_error(response, 428, "PROGRAM_NOT_ACTIVE", guess="program-not-active")
    api.adjust(target, account["id"], amount=5).expect(200)
    active = target.request("POST", f"{PROGRAM}/activate", json={}).expect(200)
    assert active["loyaltyProgram"]["status"] == "ACTIVE"
    api.earn(target, account["id"], 5).expect(200)


@pytest.mark.emulator_only
def test_update_program_changes_name(target: Target) -> None:
    changes = {
        "loyaltyProgram": {"name": "Coffee Club", "pointDefinition": {"customName": "Beans"}}
    }
    body = target.request("PATCH", PROGRAM, json=changes).expect(200)
    assert body["loyaltyProgram"]["name"] == "Coffee Club"
    assert body["loyaltyProgram"]["pointDefinition"]["customName"] == "Beans"


@pytest.mark.emulator_only
def test_update_program_rejects_short_name(target: Target) -> None:
    response = target.request("PATCH", PROGRAM, json={"loyaltyProgram": {"name": "C"}})
    expect_error(response, 400, field="loyaltyProgram.name")


def test_missing_authorization_unauthenticated(target: Target) -> None:
    response = target.request("GET", PROGRAM, authenticated=False)
    expect_error(response, 401, "UNAUTHENTICATED", guess="auth")


def test_missing_site_header_denied(target: Target) -> None:
    response = target.request("GET", PROGRAM, headers={SITE_HEADER: ""})
    expect_error(response, 403, "PERMISSION_DENIED", guess="auth")


def test_success_carries_request_id(target: Target) -> None:
    response = target.request("GET", PROGRAM)
    response.expect(200)
    assert response.headers.get("x-wix-request-id")


@pytest.mark.emulator_only
def test_unknown_route_not_found(target: Target) -> None:
    response = target.request("GET", "/loyalty-accounts/v1/nothing-here")
    expect_error(response, 404, "NOT_FOUND")


@pytest.mark.emulator_only
def test_api_prefix_serves_same_routes(target: Target) -> None:
    account = api.new_account(target)
    response = target.request("GET", f"/_api{ACCOUNTS}/{account['id']}")
    assert response.expect(200)["account"]["id"] == account["id"]


def test_body_not_an_object_rejected(target: Target) -> None:
    response = target.request("POST", f"{ACCOUNTS}/query", json="not an object")
    expect_error(response, 400)


def test_contact_create_and_delete(target: Target) -> None:
    first, last, email = target.contact_name()
    info = {"name": {"first": first, "last": last}, "emails": {"items": [{"email": email}]}}
    created = target.request("POST", CONTACTS, json={"info": info}).expect(200)["contact"]
    assert created["info"]["name"] == {"first": first, "last": last}
    assert created["primaryInfo"]["email"] == email
    account = api.create_account(target, created["id"]).expect(200)["account"]
    assert account["contactId"] == created["id"]
    assert target.request("DELETE", f"{CONTACTS}/{created['id']}").expect(200) == {}
    again = target.request("DELETE", f"{CONTACTS}/{created['id']}")
    expect_error(again, 404, "NOT_FOUND")


def test_contact_duplicate_email_conflicts(target: Target) -> None:
    _, _, email = target.contact_name()
    info = {"emails": {"items": [{"email": email}]}}
    first = target.request("POST", CONTACTS, json={"info": info}).expect(200)["contact"]
    second = target.request("POST", CONTACTS, json={"info": info})
    expect_error(second, 409, "DUPLICATE_CONTACT_EXISTS")
    assert second.body["details"]["applicationError"]["data"]["duplicateContactId"] == first["id"]


def test_contact_without_info_rejected(target: Target) -> None:
    response = target.request("POST", CONTACTS, json={"info": {}})
    expect_error(response, 400, field="info")


def test_schema_files_are_valid_json_schema() -> None:
    for name, schema in load_all().items():
        Draft202012Validator.check_schema(schema)
        assert schema.get("title"), f"{name} needs a title: it names the OpenAPI component"


def test_every_route_has_response_schema() -> None:
    missing = [
        f"{method} {prefixes[0]}{path} ({handler.__name__})"
        for prefixes, table in SERVICES
        for method, path, handler, _ in table
        if handler.__name__ not in RESPONSES
    ]
    assert not missing, f"add a schema to responses.json and openapi.RESPONSES for: {missing}"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.emulator_only
def test_openapi_document_describes_routes(target: Target) -> None:
    document = target.request("GET", "/_emulator/openapi.json").expect(200)
    assert document["openapi"] == "3.1.0"
    for prefixes, table in SERVICES:
        for method, path, _, wix_method in table:
            operation = document["paths"][prefixes[0] + path][method.lower()]
            assert operation["operationId"] == wix_method
            assert "200" in operation["responses"]
    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref
    for name, schema in document["components"]["schemas"].items():
        assert "$schema" not in schema, name
        Draft202012Validator.check_schema(schema)
