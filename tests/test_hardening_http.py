"""Hostile input over real HTTP: each case gets a 4xx Wix envelope and changes nothing."""

from __future__ import annotations

import base64
import json
import socket
import uuid
import zlib
from typing import Any

import httpx
import pytest

ACCOUNTS = "/loyalty-accounts/v1/accounts"
PROGRAM = "/loyalty-programs/v1/program"


@pytest.fixture
def control(control_client: httpx.Client) -> httpx.Client:
    return control_client


@pytest.fixture
def wix(client: httpx.Client) -> httpx.Client:
    return client


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["details"]["applicationError"]["code"]
    return code


def violation_field(response: httpx.Response) -> str:
    field: str = response.json()["details"]["validationError"]["fieldViolations"][0]["field"]
    return field


def site_ids(control: httpx.Client) -> list[str]:
    return [site["siteId"] for site in control.get("/_emulator/sites").json()["sites"]]


def seed_one(control: httpx.Client, site_id: str, balance: int = 10) -> str:
    body = {"siteId": site_id, "accounts": [{"balance": balance}]}
    account_id: str = control.post("/_emulator/seed", json=body).json()["accountIds"][0]
    return account_id


def test_clock_cannot_pass_year_9000(control: httpx.Client) -> None:
    before = control.get("/_emulator/clock").json()["now"]
    response = control.post("/_emulator/clock/set", json={"time": "9999-12-31T23:59:59Z"})
    assert response.status_code == 400
    assert control.get("/_emulator/clock").json()["now"] == before


def test_job_rate_above_maximum_rejected(control: httpx.Client) -> None:
    response = control.patch("/_emulator/settings", json={"job_rate": 1e306})
    assert response.status_code == 400
    assert violation_field(response) == "job_rate"


def test_job_profile_rate_bounded(control: httpx.Client, site_id: str) -> None:
    body = {"mode": "timed", "delay": 0, "rate": 1e308}
    response = control.put(f"/_emulator/sites/{site_id}/job-profile", json=body)
    assert response.status_code == 400
    assert violation_field(response) == "rate"


def test_job_profile_rejects_huge_integer(control: httpx.Client, site_id: str) -> None:
    body = '{"mode": "timed", "rate": ' + "9" * 400 + "}"
    response = control.put(f"/_emulator/sites/{site_id}/job-profile", content=body)
    assert response.status_code == 400


def test_rejected_job_profile_creates_no_site(control: httpx.Client, site_id: str) -> None:
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "bogus"})
    assert site_id not in site_ids(control)


def test_journal_size_above_maximum_rejected(control: httpx.Client) -> None:
    response = control.patch("/_emulator/settings", json={"journal_size": 1e19})
    assert response.status_code == 400


def test_settings_reject_overflowing_number(control: httpx.Client) -> None:
    body = '{"reward_threshold": ' + "9" * 400 + "}"
    response = control.patch("/_emulator/settings", content=body)
    assert response.status_code == 400


def test_deep_json_body_rejected(wix: httpx.Client) -> None:
    icon: dict[str, Any] = {}
    for _ in range(100):
        icon = {"a": icon}
    body = {"loyaltyProgram": {"pointDefinition": {"icon": icon}}}
    response = wix.patch(PROGRAM, json=body)
    assert response.status_code == 400
    assert "levels deep" in response.json()["message"]
    assert wix.get(PROGRAM).status_code == 200


def test_deep_not_filter_rejected(wix: httpx.Client) -> None:
    query: dict[str, Any] = {"id": "x"}
    for _ in range(300):
        query = {"$not": query}
    response = wix.post(f"{ACCOUNTS}/query", json={"query": {"filter": query}})
    assert response.status_code == 400


def test_deep_compressed_cursor_rejected(wix: httpx.Client) -> None:
    bomb = zlib.compress(b"[" * 200_000 + b"]" * 200_000)
    cursor = "z." + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    body = {"query": {"cursorPaging": {"cursor": cursor}}}
    response = wix.post(f"{ACCOUNTS}/query", json=body)
    assert response.status_code == 400


def test_deep_job_items_cursor_rejected(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_one(control, site_id)
    job_id = wix.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": 1}).json()["asyncJobId"]
    cursor = base64.urlsafe_b64encode(b"[" * 8000 + b"]" * 8000).decode()
    response = wix.get(
        f"/async-jobs/v1/async-jobs/{job_id}/items", params={"paging.cursor": cursor}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"query": {"filter": {"points.balance": "1" * 4301}}},
        {"query": {"cursorPaging": {"limit": "1" * 4301}}},
    ],
)
def test_oversized_numeric_strings_rejected(wix: httpx.Client, body: dict[str, Any]) -> None:
    response = wix.post(f"{ACCOUNTS}/query", json=body)
    assert response.status_code == 400


def test_non_ascii_digits_rejected(control: httpx.Client, wix: httpx.Client, site_id: str) -> None:
    account_id = seed_one(control, site_id)
    body = {"amount": "١٢٣", "appId": "app", "idempotencyKey": str(uuid.uuid4())}
    response = wix.post(f"{ACCOUNTS}/{account_id}/earn-points", json=body)
    assert response.status_code == 400
    assert violation_field(response) == "amount"


def test_long_filter_cursor_is_usable(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    accounts = [{"balance": index} for index in range(3)]
    seeded = control.post("/_emulator/seed", json={"siteId": site_id, "accounts": accounts})
    wanted = seeded.json()["accountIds"] + [str(uuid.uuid4()) for _ in range(1500)]
    body = {"query": {"filter": {"id": {"$in": wanted}}, "cursorPaging": {"limit": 2}}}
    first = wix.post(f"{ACCOUNTS}/query", json=body).json()
    cursor = first["pagingMetadata"]["cursors"]["next"]
    assert len(cursor) <= 16000
    second = wix.post(f"{ACCOUNTS}/query", json={"query": {"cursorPaging": {"cursor": cursor}}})
    assert second.status_code == 200
    assert len(second.json()["loyaltyAccounts"]) == 1


def test_journal_redacts_key_like_headers(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    headers = {"X-Api-Key": "SECRET-1", "Proxy-Authorization": "SECRET-2"}
    wix.get(PROGRAM, headers=headers, params={"apiKey": "SECRET-3"})
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    text = json.dumps(entries)
    assert "SECRET" not in text
    assert entries[-1]["requestHeaders"]["x-api-key"] == "<redacted>"


def test_journal_request_id_matches_header(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    response = wix.get(PROGRAM)
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert entries[-1]["requestId"] == response.headers["x-wix-request-id"]


def test_fault_success_status_rejected(control: httpx.Client) -> None:
    response = control.post(
        "/_emulator/faults", json={"operation": "getLoyaltyProgram", "status": 204}
    )
    assert response.status_code == 400
    assert violation_field(response) == "status"


def test_fault_rules_field_names_index(control: httpx.Client) -> None:
    response = control.post("/_emulator/faults", json={"rules": [1]})
    assert response.status_code == 400
    assert violation_field(response) == "rules[0]"


def test_fault_unknown_operation_rejected(control: httpx.Client) -> None:
    response = control.post(
        "/_emulator/faults", json={"operation": "countLoyaltyAccounts", "status": 503}
    )
    assert response.status_code == 400
    assert "countAccounts" in response.json()["message"]


def test_body_over_limit_is_413(wix: httpx.Client) -> None:
    padding = "x" * (1 << 20)
    response = wix.post(f"{ACCOUNTS}/query", json={"query": {}, "padding": padding})
    assert response.status_code == 413
    assert error_code(response) == "PAYLOAD_TOO_LARGE"


def test_rejected_request_creates_no_site(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    response = wix.post(ACCOUNTS, json={"contactId": "not-a-guid"})
    assert response.status_code == 400
    assert site_id not in site_ids(control)


def test_trailing_slash_is_404_envelope(wix: httpx.Client) -> None:
    response = wix.post(f"{ACCOUNTS}/query/", json={"query": {}})
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_finished_job_rejects_actions(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_one(control, site_id)
    job_id = wix.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": 1}).json()["asyncJobId"]
    control.post(f"/_emulator/jobs/{job_id}/finish")
    response = control.post(f"/_emulator/jobs/{job_id}/fail")
    assert response.status_code == 409
    assert error_code(response) == "JOB_ALREADY_FINISHED"


def test_fail_items_reports_processed_accounts(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    accounts = [{"balance": 5} for _ in range(3)]
    seeded = control.post("/_emulator/seed", json={"siteId": site_id, "accounts": accounts})
    account_ids = sorted(seeded.json()["accountIds"])
    control.put(f"/_emulator/sites/{site_id}/job-profile", json={"mode": "manual"})
    body = {"amount": 1, "search": {"sort": [{"fieldName": "id"}]}}
    job_id = wix.post(f"{ACCOUNTS}/bulk-adjust", json=body).json()["asyncJobId"]
    control.post(f"/_emulator/jobs/{job_id}/step", json={"items": 1})
    response = control.post(
        f"/_emulator/jobs/{job_id}/fail-items", json={"accountIds": account_ids, "code": "X"}
    )
    assert response.status_code == 200
    assert response.json()["alreadyProcessed"] == account_ids[:1]


def test_clock_advance_wrong_type_is_format(control: httpx.Client) -> None:
    response = control.post("/_emulator/clock/advance", json={"seconds": "5"})
    assert response.status_code == 400
    violation = response.json()["details"]["validationError"]["fieldViolations"][0]
    assert violation["violatedRule"] == "FORMAT"


def test_null_body_message_names_json_type(wix: httpx.Client) -> None:
    response = wix.post(f"{ACCOUNTS}/query", content=b"null")
    assert response.status_code == 400
    assert "not null" in response.json()["message"]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda site: site["accounts"][0].update(earned="5"), "earned"),
        (lambda site: site["accounts"][0].update(earned=-1000), "earned"),
        (lambda site: site["program"].update(created=None), "created"),
        (lambda site: site["program"].update(status="BOGUS"), "status"),
        (lambda site: site.update(jobProfile={"mode": "timed", "rate": "fast"}), "rate"),
        (lambda site: site["accounts"].append(dict(site["accounts"][0])), "accounts[1]"),
    ],
)
def test_snapshot_import_checks_values(
    control: httpx.Client, wix: httpx.Client, site_id: str, edit: Any, field: str
) -> None:
    account_id = seed_one(control, site_id, 40)
    document = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    edit(document["sites"][site_id])
    response = control.post("/_emulator/snapshot", params={"siteId": site_id}, json=document)
    assert response.status_code == 400
    assert field in violation_field(response)
    account = wix.get(f"{ACCOUNTS}/{account_id}").json()["account"]
    assert account["points"]["balance"] == 40


def test_snapshot_clock_beyond_range_rejected(control: httpx.Client) -> None:
    document = control.get("/_emulator/snapshot").json()
    document["clock"]["now"] = 1e300
    response = control.post("/_emulator/snapshot", json=document)
    assert response.status_code == 400
    assert violation_field(response) == "clock.now"


def test_integer_beyond_64_bits_rejected(wix: httpx.Client) -> None:
    body = '{"loyaltyProgram": {"pointDefinition": {"icon": {"n": 100000000000000000000}}}}'
    response = wix.patch(PROGRAM, content=body)
    assert response.status_code == 400
    assert "64 bits" in response.json()["message"]
    assert wix.get(PROGRAM).status_code == 200


def test_fault_rule_huge_nth_rejected(control: httpx.Client) -> None:
    body = '{"operation": "getAsyncJob", "status": 503, "nth": 100000000000000000000}'
    response = control.post("/_emulator/faults", content=body)
    assert response.status_code == 400
    assert control.get("/_emulator/faults").status_code == 200


def test_rejected_seed_creates_no_site(control: httpx.Client, site_id: str) -> None:
    response = control.post(
        "/_emulator/seed", json={"siteId": site_id, "accounts": [{"balance": -1}]}
    )
    assert response.status_code == 400
    assert site_id not in site_ids(control)


def test_deleted_contact_survives_snapshot(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    contact = wix.post(
        "/contacts/v4/contacts", json={"info": {"name": {"first": "Ada", "last": "Lovelace"}}}
    ).json()["contact"]
    account = wix.post(ACCOUNTS, json={"contactId": contact["id"]}).json()["account"]
    assert wix.delete(f"/contacts/v4/contacts/{contact['id']}").status_code == 200
    document = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    response = control.post("/_emulator/snapshot", params={"siteId": site_id}, json=document)
    assert response.status_code == 200
    again = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    assert again["sites"] == document["sites"]
    restored = wix.get(f"{ACCOUNTS}/{account['id']}").json()["account"]
    assert restored["contact"]["name"] == "Ada Lovelace"


def test_snapshot_job_counts_must_match_items(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    seed_one(control, site_id)
    job_id = wix.post(f"{ACCOUNTS}/bulk-adjust", json={"amount": 1}).json()["asyncJobId"]
    control.post(f"/_emulator/jobs/{job_id}/finish")
    document = control.get("/_emulator/snapshot", params={"siteId": site_id}).json()
    document["sites"][site_id]["jobs"][0]["success_count"] = 2
    response = control.post("/_emulator/snapshot", params={"siteId": site_id}, json=document)
    assert response.status_code == 400


def test_head_runs_get_route(wix: httpx.Client) -> None:
    response = wix.head(PROGRAM)
    assert response.status_code == 200
    assert response.content == b""


def test_method_not_allowed_lists_allow(wix: httpx.Client) -> None:
    response = wix.delete(PROGRAM)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def test_utf8_site_header_matches_control_plane(control: httpx.Client) -> None:
    site = f"café-{uuid.uuid4()}"
    seed_one(control, site)
    headers = {"Authorization": b"k", "wix-site-id": site.encode()}
    response = httpx.post(
        f"{control.base_url}{ACCOUNTS}/query", json={"query": {}}, headers=headers
    )
    assert len(response.json()["loyaltyAccounts"]) == 1


def test_journal_size_change_trims_buffers(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    for _ in range(5):
        wix.get(PROGRAM)
    control.patch("/_emulator/settings", json={"journal_size": 2})
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert len(entries) == 2


def test_journal_keeps_rejected_body(
    control: httpx.Client, wix: httpx.Client, site_id: str
) -> None:
    wix.post(f"{ACCOUNTS}/query", content=b"{not json")
    entries = control.get("/_emulator/journal", params={"siteId": site_id}).json()["entries"]
    assert entries[-1]["requestBody"] == "{not json"


def test_control_body_limit_is_413(control: httpx.Client) -> None:
    # Declare a body just over the limit and send none: the server must respond at once.
    host, port = str(control.base_url.host), control.base_url.port
    request = (
        f"POST /_emulator/reset HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Length: {(256 << 20) + 1}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(request)
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
