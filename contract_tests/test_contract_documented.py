"""The emulator's responses have the shape of the documented examples in fixtures/documented.

Shape means the same keys and JSON value types at every level. Keys the docs call
optional may be missing (``mayOmit``), and keys the example leaves out may be added
(``mayAdd``). Each fixture names its source and how it was converted to REST naming.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wixcontract import api
from wixcontract.paths import ACCOUNTS, PROGRAM
from wixcontract.targets import Target

DOCUMENTED = Path(__file__).resolve().parent.parent / "fixtures" / "documented"
FIXTURES = sorted(DOCUMENTED.glob("*.json"))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape_differences(
    example: Any,
    actual: Any,
    may_omit: set[str],
    may_add: set[str],
    path: str = "",
) -> list[str]:
    """List where ``actual`` has other keys or value types than ``example``."""
    where = path or "<root>"
    if json_type(example) != json_type(actual):
        return [f"{where}: documented {json_type(example)}, emulator {json_type(actual)}"]
    if isinstance(example, list):
        if example and actual:
            return shape_differences(example[0], actual[0], may_omit, may_add, f"{path}[]")
        return []
    if not isinstance(example, dict):
        return []
    differences = []
    for key, value in example.items():
        child = f"{path}.{key}" if path else key
        if key in actual:
            differences += shape_differences(value, actual[key], may_omit, may_add, child)
        elif child not in may_omit:
            differences.append(f"{child}: documented, missing from the emulator's response")
    for key in actual:
        child = f"{path}.{key}" if path else key
        if key not in example and child not in may_add:
            differences.append(f"{child}: sent by the emulator, not in the documented example")
    return differences


def member_account(target: Target) -> dict[str, Any]:
    """Seed a contact who is a site member and create an account for it."""
    contact_id = str(uuid.uuid4())
    contact = {"id": contact_id, "name": "Ada Lovelace", "memberId": str(uuid.uuid4())}
    seed = {"siteId": target.site_id, "contacts": [contact]}
    target.request("POST", "/_emulator/seed", json=seed).expect(200)
    account: dict[str, Any] = api.create_account(target, contact_id).expect(200)["account"]
    return account


def account_object(target: Target) -> Any:
    account = member_account(target)
    api.earn(target, account["id"], 10).expect(200)
    api.adjust(target, account["id"], amount=5).expect(200)
    return api.get_account(target, account["id"]).expect(200)


def create_account(target: Target) -> Any:
    return api.create_account(target).expect(200)


def earn_points(target: Target) -> Any:
    account = member_account(target)
    return api.earn(target, account["id"], 50, description="Subscribed to newsletter.").expect(200)


def adjust_balance(target: Target) -> Any:
    account = member_account(target)
    description = "Sync from external program."
    return api.adjust(target, account["id"], balance=715, description=description).expect(200)


def adjust_amount(target: Target) -> Any:
    account = member_account(target)
    api.earn(target, account["id"], 45).expect(200)
    description = "Shared on social media."
    return api.adjust(target, account["id"], amount=50, description=description).expect(200)


def program_totals(target: Target) -> Any:
    account = api.new_account(target)
    api.earn(target, account["id"], 20).expect(200)
    return target.request("GET", f"{ACCOUNTS}/program-totals").expect(200)


def program(target: Target) -> Any:
    icon = {"url": "shapes/8de38e8fe76f4e9f937ae23e9ba1eb04.svg"}
    changes = {
        "name": "Frequent Flower Program",
        "pointDefinition": {"customName": "Petals", "icon": icon},
    }
    target.request("PATCH", PROGRAM, json={"loyaltyProgram": changes}).expect(200)
    return target.request("GET", PROGRAM).expect(200)


def cursor_paging(target: Target) -> Any:
    ids = [api.new_account(target)["id"] for _ in range(2)]
    query = {"filter": {"id": {"$in": ids}}, "cursorPaging": {"limit": 1}}
    return api.query_accounts(target, query).expect(200)


PRODUCERS: dict[str, Callable[[Target], Any]] = {
    "account-object": account_object,
    "create-account": create_account,
    "earn-points": earn_points,
    "adjust-points-balance": adjust_balance,
    "adjust-points-amount": adjust_amount,
    "program-totals": program_totals,
    "program": program,
    "cursor-paging": cursor_paging,
}


def test_every_fixture_has_a_producer() -> None:
    assert sorted(PRODUCERS) == sorted(path.stem for path in FIXTURES)


@pytest.mark.emulator_only
@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_response_has_documented_shape(target: Target, fixture: Path) -> None:
    document = json.loads(fixture.read_text())
    assert document["source"].startswith("https://"), "each example names its source"
    actual = PRODUCERS[fixture.stem](target)
    differences = shape_differences(
        document["example"], actual, set(document["mayOmit"]), set(document["mayAdd"])
    )
    assert not differences, f"{fixture.name} ({document['source']}):\n" + "\n".join(differences)


def test_shape_differences_finds_keys_and_types() -> None:
    example = {"a": {"b": 1, "c": "x"}, "list": [{"d": True}]}
    actual = {"a": {"b": "1", "e": 2}, "list": [{"d": False, "f": None}]}
    assert shape_differences(example, actual, {"a.c"}, {"list[].f"}) == [
        "a.b: documented number, emulator string",
        "a.e: sent by the emulator, not in the documented example",
    ]
