"""The /_emulator control plane: health, reset, seed, clock, settings and divergences."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from support import (
    ACCOUNTS,
    PROGRAM,
    Control,
    assert_error_envelope,
    get_account,
    get_job,
    start_bulk_adjust,
    violated_fields,
)

from emulator.clock import format_timestamp


def site_headers(site_id: str) -> dict[str, str]:
    return {"Authorization": "key", "wix-site-id": site_id}


def account_count(http: httpx.Client, site_id: str) -> int:
    response = http.post(f"{ACCOUNTS}/count", json={}, headers=site_headers(site_id))
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def clock_now(http: httpx.Client) -> float:
    seconds: float = http.get("/_emulator/clock").json()["epochSeconds"]
    return seconds


# Health


def test_health_reports_ok(bare_client: httpx.Client) -> None:
    response = bare_client.get("/_emulator/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["clock"] == "manual"


def test_health_counts_new_site(bare_client: httpx.Client, client: httpx.Client) -> None:
    before = bare_client.get("/_emulator/health").json()["sites"]

    client.get(PROGRAM)
    after = bare_client.get("/_emulator/health").json()["sites"]

    assert after == before + 1


# Reset


def test_reset_one_site(bare_client: httpx.Client) -> None:
    kept, dropped = str(uuid.uuid4()), str(uuid.uuid4())
    for site_id in (kept, dropped):
        seeded = bare_client.post("/_emulator/seed", json={"siteId": site_id, "accounts": [{}]})
        assert seeded.status_code == 200

    response = bare_client.post("/_emulator/reset", json={"siteId": dropped})

    assert response.json() == {"sitesReset": 1}
    assert account_count(bare_client, dropped) == 0
    assert account_count(bare_client, kept) == 1


def test_reset_site_by_query_string(bare_client: httpx.Client, control: Control) -> None:
    control.seed_balances(1)

    response = bare_client.post("/_emulator/reset", params={"siteId": control.site_id})

    assert response.json() == {"sitesReset": 1}
    assert account_count(bare_client, control.site_id) == 0


def test_reset_unknown_site(bare_client: httpx.Client) -> None:
    response = bare_client.post("/_emulator/reset", json={"siteId": str(uuid.uuid4())})

    assert response.status_code == 200
    assert response.json() == {"sitesReset": 0}


def test_reset_restores_program(client: httpx.Client, control: Control) -> None:
    client.post(f"{PROGRAM}/pause")
    client.patch(PROGRAM, json={"loyaltyProgram": {"name": "Old Name"}})

    client.post("/_emulator/reset", json={"siteId": control.site_id})
    program = client.get(PROGRAM).json()["loyaltyProgram"]

    assert program["status"] == "ACTIVE"
    assert program["name"] != "Old Name"


def test_reset_drops_jobs(client: httpx.Client, control: Control) -> None:
    control.seed_balances(1)
    job_id = start_bulk_adjust(client, {"amount": 1})

    client.post("/_emulator/reset", json={"siteId": control.site_id})
    response = client.get(f"/async-jobs/v1/async-jobs/{job_id}")

    assert response.status_code == 404


def test_reset_all_sites(bare_client: httpx.Client) -> None:
    sites = [str(uuid.uuid4()), str(uuid.uuid4())]
    for site_id in sites:
        bare_client.post("/_emulator/seed", json={"siteId": site_id, "accounts": [{}]})

    response = bare_client.post("/_emulator/reset")
    health = bare_client.get("/_emulator/health").json()

    assert response.json()["sitesReset"] >= 2
    assert health["sites"] == 0
    assert account_count(bare_client, sites[0]) == 0
    assert account_count(bare_client, sites[1]) == 0


# Seed


def test_seed_documented_format(client: httpx.Client, control: Control) -> None:
    contact_id, member_id, account_id = (str(uuid.uuid4()) for _ in range(3))
    seed = {
        "program": {"status": "PAUSED", "name": "Coffee Club", "pointsName": "Beans"},
        "contacts": [
            {
                "id": contact_id,
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "memberId": member_id,
            }
        ],
        "accounts": [
            {"id": account_id, "contactId": contact_id, "balance": 120},
            {
                "contact": {"name": "Alan Turing"},
                "points": {"earned": 50, "adjusted": 10, "redeemed": 5, "expired": 2},
            },
        ],
    }

    returned = control.seed(**seed)
    ada = get_account(client, account_id)
    alan = get_account(client, returned[1])
    program = client.get(PROGRAM).json()["loyaltyProgram"]

    assert returned[0] == account_id
    assert len(returned) == 2
    assert ada["contactId"] == contact_id
    assert ada["memberId"] == member_id
    assert ada["contact"]["email"] == "ada@example.com"
    assert ada["points"]["earned"] == 120
    assert ada["points"]["balance"] == 120
    assert alan["contact"]["name"] == "Alan Turing"
    assert alan["points"]["balance"] == 53
    assert alan["points"]["expired"] == 2
    assert "latestTransaction" not in alan
    assert program["status"] == "PAUSED"
    assert program["name"] == "Coffee Club"
    assert program["pointDefinition"]["customName"] == "Beans"


def test_seed_site_from_header(client: httpx.Client, site_id: str) -> None:
    response = client.post("/_emulator/seed", json={"accounts": [{"balance": 4}]})

    assert response.json()["siteId"] == site_id
    assert account_count(client, site_id) == 1


def test_seed_needs_site(bare_client: httpx.Client) -> None:
    response = bare_client.post("/_emulator/seed", json={"accounts": [{}]})

    assert response.status_code == 400
    assert violated_fields(response) == ["siteId"]


def test_seed_adds_to_site(client: httpx.Client, control: Control) -> None:
    control.seed_balances(1)
    control.seed_balances(2, 3)

    assert account_count(client, control.site_id) == 3


BAD_SEEDS = [
    ({"accounts": [{"balance": 5}, {"balance": -1}]}, "accounts[1].balance"),
    ({"accounts": [{"balance": 5}, {"contactId": "nope"}]}, "accounts[1].contactId"),
    ({"accounts": [{}, {"points": {"earned": 1, "redeemed": 2}}]}, "accounts[1].points"),
    ({"accounts": [{}], "program": {"status": "LIVE"}}, "program.status"),
    ({"accounts": [{}], "program": {"name": "X"}}, "program.name"),
    ({"contacts": [{"name": "Ok"}, "not an object"]}, "contacts[1]"),
    ({"accounts": {"balance": 5}}, "accounts"),
]


@pytest.mark.parametrize(("seed", "field"), BAD_SEEDS)
def test_bad_seed_changes_nothing(
    client: httpx.Client, control: Control, seed: dict[str, Any], field: str
) -> None:
    control.seed_balances(7)
    program_before = client.get(PROGRAM).json()["loyaltyProgram"]

    response = client.post("/_emulator/seed", json={"siteId": control.site_id, **seed})

    assert response.status_code == 400
    assert violated_fields(response) == [field]
    assert account_count(client, control.site_id) == 1
    assert client.get(PROGRAM).json()["loyaltyProgram"] == program_before


def test_seed_duplicate_contact_rejected(client: httpx.Client, control: Control) -> None:
    contact_id = str(uuid.uuid4())
    control.seed(accounts=[{"contactId": contact_id}])
    new_contact = str(uuid.uuid4())
    seed = {
        "siteId": control.site_id,
        "contacts": [{"id": new_contact, "name": "New"}],
        "accounts": [{"contactId": new_contact}, {"contactId": contact_id}],
    }

    response = client.post("/_emulator/seed", json=seed)
    lookup = client.get(f"{ACCOUNTS}/fetch-by", params={"contactId": new_contact})

    assert response.status_code == 409
    assert_error_envelope(response)
    assert account_count(client, control.site_id) == 1
    assert lookup.json() == {}


def test_seed_duplicate_account_id_rejected(client: httpx.Client, control: Control) -> None:
    account_id = str(uuid.uuid4())
    seed = {"siteId": control.site_id, "accounts": [{"id": account_id}, {"id": account_id}]}

    response = client.post("/_emulator/seed", json=seed)

    assert response.status_code == 409
    assert account_count(client, control.site_id) == 0


def test_seeded_account_usable(client: httpx.Client, control: Control) -> None:
    contact_id = str(uuid.uuid4())
    control.seed(accounts=[{"contactId": contact_id, "balance": 10}])

    duplicate = client.post(ACCOUNTS, json={"contactId": contact_id})

    assert duplicate.status_code == 409


# Clock


def test_clock_advance_moves_time(bare_client: httpx.Client) -> None:
    before = clock_now(bare_client)

    response = bare_client.post("/_emulator/clock/advance", json={"seconds": 90.5})
    body = response.json()

    assert response.status_code == 200
    assert body["epochSeconds"] == pytest.approx(before + 90.5)
    assert body["now"] == format_timestamp(before + 90.5)
    assert body["mode"] == "manual"


def test_clock_stands_still(bare_client: httpx.Client, client: httpx.Client) -> None:
    before = clock_now(bare_client)

    client.post(ACCOUNTS, json={"contactId": str(uuid.uuid4())})

    assert clock_now(bare_client) == before


def test_clock_stamps_changes(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(1)
    control.advance(3600)
    now = client.get("/_emulator/clock").json()["now"]

    account = client.post(f"{ACCOUNTS}/{account_id}/adjust-points", json={"amount": 1}).json()

    assert account["account"]["updatedDate"] == now
    assert account["account"]["lastActivityDate"] == now
    assert account["account"]["createdDate"] < now


@pytest.mark.parametrize("seconds", [-1, "5", True, None])
def test_clock_advance_rejects_bad_seconds(bare_client: httpx.Client, seconds: Any) -> None:
    before = clock_now(bare_client)

    response = bare_client.post("/_emulator/clock/advance", json={"seconds": seconds})

    assert response.status_code == 400
    assert violated_fields(response) == ["seconds"]
    assert clock_now(bare_client) == before


def test_clock_set_forward(bare_client: httpx.Client) -> None:
    target = format_timestamp(clock_now(bare_client) + 86400)

    response = bare_client.post("/_emulator/clock/set", json={"time": target})

    assert response.status_code == 200
    assert response.json()["now"] == target
    assert bare_client.get("/_emulator/clock").json()["now"] == target


def test_clock_set_backwards_rejected(bare_client: httpx.Client) -> None:
    before = clock_now(bare_client)
    target = format_timestamp(before - 60)

    response = bare_client.post("/_emulator/clock/set", json={"time": target})

    assert response.status_code == 400
    assert violated_fields(response) == ["time"]
    assert clock_now(bare_client) == before


@pytest.mark.parametrize("time", ["tomorrow", "", None, 5])
def test_clock_set_rejects_bad_time(bare_client: httpx.Client, time: Any) -> None:
    response = bare_client.post("/_emulator/clock/set", json={"time": time})

    assert response.status_code == 400
    assert violated_fields(response) == ["time"]


def test_clock_set_moves_jobs(client: httpx.Client, control: Control) -> None:
    control.seed_balances(1, 2)
    job_id = start_bulk_adjust(client, {"amount": 1})
    target = format_timestamp(clock_now(client) + 60)

    client.post("/_emulator/clock/set", json={"time": target})

    assert get_job(client, job_id)["status"] == "FINISHED"


# Settings


def test_settings_lists_every_setting(bare_client: httpx.Client) -> None:
    settings = bare_client.get("/_emulator/settings").json()["settings"]

    assert settings["clock"] == "manual"
    assert settings["job_mode"] == "timed"
    assert settings["job_start_delay"] == 1.0
    assert settings["job_rate"] == 10.0


@pytest.mark.parametrize("wrapped", [True, False])
def test_settings_patch_applies(bare_client: httpx.Client, control: Control, wrapped: bool) -> None:
    # Registers the current value, so the fixture restores it after the direct PATCH below.
    control.change_settings(reward_threshold=0)
    changes = {"reward_threshold": 25}

    response = bare_client.patch(
        "/_emulator/settings", json={"settings": changes} if wrapped else changes
    )
    settings = bare_client.get("/_emulator/settings").json()["settings"]

    assert response.status_code == 200
    assert response.json()["settings"]["reward_threshold"] == 25
    assert settings["reward_threshold"] == 25


def test_reward_threshold_sets_flag(client: httpx.Client, control: Control) -> None:
    control.change_settings(reward_threshold=20)
    low, high = control.seed_balances(19, 20)

    assert get_account(client, low)["rewardAvailable"] is False
    assert get_account(client, high)["rewardAvailable"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"no_such_setting": 1}, "no_such_setting"),
        ({"job_mode": "fast"}, "job_mode"),
        ({"job_rate": 0}, "job_rate"),
        ({"job_start_delay": "soon"}, "job_start_delay"),
        ({"require_revision": "maybe"}, "require_revision"),
        ({"negative_balance_status": 500}, "negative_balance_status"),
        ({"clock": "system"}, "clock"),
        ({"reward_threshold": 5, "give_transaction_type": "TAKE"}, "give_transaction_type"),
    ],
)
def test_settings_patch_rejects_bad_change(
    bare_client: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    before = bare_client.get("/_emulator/settings").json()["settings"]

    response = bare_client.patch("/_emulator/settings", json=changes)

    assert response.status_code == 400
    assert violated_fields(response) == [field]
    assert bare_client.get("/_emulator/settings").json()["settings"] == before


# Divergences


@pytest.fixture
def divergences(bare_client: httpx.Client) -> list[dict[str, Any]]:
    response = bare_client.get("/_emulator/divergences")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["divergences"]
    return entries


def test_divergences_have_required_fields(divergences: list[dict[str, Any]]) -> None:
    assert divergences
    for entry in divergences:
        for key in ("id", "endpoint", "behaviour", "evidence"):
            assert isinstance(entry.get(key), str), (entry, key)
            assert entry[key].strip(), (entry, key)


def test_divergence_ids_unique(divergences: list[dict[str, Any]]) -> None:
    ids = [entry["id"] for entry in divergences]

    assert len(ids) == len(set(ids))


def test_divergence_settings_exist(
    bare_client: httpx.Client, divergences: list[dict[str, Any]]
) -> None:
    settings = bare_client.get("/_emulator/settings").json()["settings"]

    for entry in divergences:
        if "setting" in entry:
            name = entry["setting"].split("=")[0]
            assert name in settings, entry


def test_divergence_setting_values_apply(
    control: Control, divergences: list[dict[str, Any]]
) -> None:
    for entry in divergences:
        name, _, value = entry.get("setting", "").partition("=")
        if name and value != "N":
            control.change_settings(**{name: value})


def test_job_run_control_finishes(client: httpx.Client, control: Control) -> None:
    control.seed_balances(1, 2)
    job_id = start_bulk_adjust(client, {"amount": 1})

    response = client.post("/_emulator/jobs/run", json={"siteId": control.site_id})

    assert response.json() == {"jobsRun": 1}
    assert get_job(client, job_id)["status"] == "FINISHED"
