"""Bulk Adjust Points and the Async Job API, driven by the manual clock over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import (
    ACCOUNTS,
    JOB_START_DELAY,
    JOBS,
    TRANSACTIONS,
    Control,
    assert_error_envelope,
    assert_points_invariant,
    create_account,
    earn,
    error_code,
    get_account,
    get_job,
    list_all_job_items,
    seconds_until_items_done,
    start_bulk_adjust,
    violated_fields,
)


def finish_job(control: Control, item_count: int) -> None:
    """Advance the clock from the job's creation to the moment its last item is due."""
    control.advance(seconds_until_items_done(item_count))


def balances(client: httpx.Client, account_ids: list[str]) -> list[int]:
    return [get_account(client, account_id)["points"]["balance"] for account_id in account_ids]


def selected_ids(client: httpx.Client, job_id: str) -> set[str]:
    return {item["entityId"] for item in list_all_job_items(client, job_id, limit=100)}


def transactions_of(client: httpx.Client, account_id: str) -> list[dict[str, Any]]:
    body = {"query": {"filter": {"accountId": account_id}}}
    response = client.post(f"{TRANSACTIONS}/query", json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["loyaltyTransactions"]
    return found


def test_bulk_flow_end_to_end(client: httpx.Client, control: Control) -> None:
    account_ids = []
    for amount in (10, 20, 30):
        account_id = create_account(client)["id"]
        assert earn(client, account_id, amount).status_code == 200
        account_ids.append(account_id)
        # Distinct creation times fix the default processing order: createdDate ascending.
        control.advance(1)
    body = {"search": {"filter": {"points.balance": {"$gte": 20}}}, "amount": 100}

    job_id = start_bulk_adjust(client, body)
    statuses = [get_job(client, job_id)["status"]]
    control.advance(seconds_until_items_done(1))
    statuses.append(get_job(client, job_id)["status"])
    control.advance(seconds_until_items_done(2) - seconds_until_items_done(1))
    job = get_job(client, job_id)
    statuses.append(job["status"])
    items = list_all_job_items(client, job_id, limit=1)

    assert statuses == ["INITIALIZED", "PROCESSING", "FINISHED"]
    assert job["counts"]["total"] == 2
    assert job["counts"]["successCount"] == 2
    assert [item["entityId"] for item in items] == account_ids[1:]
    assert balances(client, account_ids) == [10, 120, 130]
    assert get_account(client, account_ids[0])["revision"] == "2"
    assert get_account(client, account_ids[1])["revision"] == "3"
    assert len(transactions_of(client, account_ids[1])) == 2


def test_job_starts_initialized(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(10, 20, 30)
    job_id = start_bulk_adjust(client, {"amount": 5})

    job = get_job(client, job_id)

    assert job["status"] == "INITIALIZED"
    assert job["counts"]["total"] == 3
    assert job["counts"]["successCount"] == 0
    assert job["counts"]["failCount"] == 0
    assert balances(client, account_ids) == [10, 20, 30]


def test_job_waits_out_start_delay(client: httpx.Client, control: Control) -> None:
    control.seed_balances(10, 20)
    job_id = start_bulk_adjust(client, {"amount": 5})

    control.advance(JOB_START_DELAY - 0.01)
    job = get_job(client, job_id)

    assert job["status"] == "INITIALIZED"
    assert job["counts"]["successCount"] == 0


def test_job_processing_changes_reached_accounts(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(10, 20, 30, 40)
    job_id = start_bulk_adjust(client, {"amount": 5})

    control.advance(seconds_until_items_done(2))
    job = get_job(client, job_id)
    reached = selected_ids(client, job_id)

    assert job["status"] == "PROCESSING"
    assert job["counts"]["successCount"] == 2
    assert len(reached) == 2
    before = dict(zip(account_ids, [10, 20, 30, 40], strict=True))
    for account_id in account_ids:
        account = get_account(client, account_id)
        if account_id in reached:
            assert account["points"]["balance"] == before[account_id] + 5
            assert account["revision"] == "2"
        else:
            assert account["points"]["balance"] == before[account_id]
            assert account["revision"] == "1"


def test_job_applies_rate_per_second(client: httpx.Client, control: Control) -> None:
    control.seed_balances(1, 2, 3, 4, 5)
    job_id = start_bulk_adjust(client, {"amount": 1})
    done_counts = []

    control.advance(JOB_START_DELAY)
    done_counts.append(get_job(client, job_id)["counts"]["successCount"])
    for _ in range(5):
        control.advance(seconds_until_items_done(1) - JOB_START_DELAY)
        done_counts.append(get_job(client, job_id)["counts"]["successCount"])

    assert done_counts == [0, 1, 2, 3, 4, 5]


def test_job_finishes_after_last_item(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(10, 20, 30, 40)
    job_id = start_bulk_adjust(client, {"amount": 5})

    control.advance(seconds_until_items_done(4) - 0.05)
    unfinished = get_job(client, job_id)
    control.advance(0.05)
    finished = get_job(client, job_id)

    assert unfinished["status"] == "PROCESSING"
    assert finished["status"] == "FINISHED"
    assert finished["counts"]["successCount"] == 4
    assert finished["counts"]["failCount"] == 0
    assert balances(client, account_ids) == [15, 25, 35, 45]


def test_bulk_amount_records_give(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)
    job_id = start_bulk_adjust(client, {"amount": 7})

    finish_job(control, 1)
    account = get_account(client, account_id)
    [transaction] = transactions_of(client, account_id)

    assert get_job(client, job_id)["status"] == "FINISHED"
    assert account["revision"] == "2"
    assert account["points"]["adjusted"] == 7
    assert account["points"]["earned"] == 10
    assert account["latestTransaction"]["type"] == "GIVE"
    assert account["latestTransaction"]["amount"] == 7
    assert transaction["transactionType"] == "ADJUST"
    assert transaction["amount"] == 7
    assert transaction["adjustInfo"]["amountBefore"] == 10
    assert transaction["adjustInfo"]["amountAfter"] == 17


def test_bulk_amount_with_give_setting(client: httpx.Client, control: Control) -> None:
    control.change_settings(give_transaction_type="GIVE")
    [account_id] = control.seed_balances(10)
    start_bulk_adjust(client, {"amount": 7})

    finish_job(control, 1)
    [transaction] = transactions_of(client, account_id)

    assert transaction["transactionType"] == "GIVE"


def test_bulk_balance_records_adjust(client: httpx.Client, control: Control) -> None:
    first, second, untouched = control.seed_balances(10, 250, 40)
    body = {"search": {"filter": {"id": {"$in": [first, second]}}}, "balance": 100}
    job_id = start_bulk_adjust(client, body)

    finish_job(control, 2)
    lowered = get_account(client, second)
    [transaction] = transactions_of(client, second)

    assert get_job(client, job_id)["counts"]["total"] == 2
    assert balances(client, [first, second, untouched]) == [100, 100, 40]
    assert lowered["points"]["adjusted"] == -150
    assert lowered["revision"] == "2"
    assert lowered["latestTransaction"]["type"] == "ADJUST"
    assert get_account(client, untouched)["revision"] == "1"
    assert transaction["transactionType"] == "ADJUST"
    assert transaction["amount"] == -150


def test_bulk_balance_wins_over_amount(client: httpx.Client, control: Control) -> None:
    [account_id] = control.seed_balances(10)
    start_bulk_adjust(client, {"balance": 3, "amount": 500})

    finish_job(control, 1)

    assert balances(client, [account_id]) == [3]


@pytest.mark.parametrize("operator", ["$in", "$hasSome", "$any"])
def test_bulk_selects_id_list(client: httpx.Client, control: Control, operator: str) -> None:
    first, _, third = control.seed_balances(1, 2, 3)
    body = {"search": {"filter": {"id": {operator: [first, third]}}}, "amount": 10}
    job_id = start_bulk_adjust(client, body)

    finish_job(control, 2)

    assert get_job(client, job_id)["counts"]["total"] == 2
    assert selected_ids(client, job_id) == {first, third}


def test_bulk_selects_balance_range(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(10, 20, 30, 40)
    filter_ = {"points.balance": {"$gte": 20, "$lt": 40}}
    job_id = start_bulk_adjust(client, {"search": {"filter": filter_}, "amount": 1})

    finish_job(control, 2)

    assert selected_ids(client, job_id) == {account_ids[1], account_ids[2]}
    assert balances(client, account_ids) == [10, 21, 31, 40]


def test_bulk_selects_or_filter(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(10, 20, 30, 40)
    filter_ = {"$or": [{"id": account_ids[0]}, {"points.balance": {"$gt": 35}}]}
    job_id = start_bulk_adjust(client, {"search": {"filter": filter_}, "amount": 1})

    finish_job(control, 2)

    assert selected_ids(client, job_id) == {account_ids[0], account_ids[3]}


def test_bulk_selects_by_text_search(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed(
        accounts=[
            {"contact": {"name": "Ada Lovelace", "email": "ada@example.com"}, "balance": 1},
            {"contact": {"name": "Alan Turing", "email": "alan@example.com"}, "balance": 1},
        ]
    )
    body = {"search": {"search": {"expression": "lovelace"}}, "amount": 1}
    job_id = start_bulk_adjust(client, body)

    finish_job(control, 1)

    assert selected_ids(client, job_id) == {account_ids[0]}


def test_bulk_sort_sets_processing_order(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed_balances(30, 10, 40, 20)
    sort = [{"fieldName": "points.balance", "order": "DESC"}]
    job_id = start_bulk_adjust(client, {"search": {"sort": sort}, "amount": 1})

    finish_job(control, 4)
    order = [item["entityId"] for item in list_all_job_items(client, job_id, limit=100)]

    assert order == [account_ids[2], account_ids[0], account_ids[3], account_ids[1]]


def test_empty_selection_job_finishes(client: httpx.Client, control: Control) -> None:
    control.seed_balances(10, 20)
    body = {"search": {"filter": {"points.balance": {"$gt": 1000}}}, "amount": 1}
    job_id = start_bulk_adjust(client, body)

    initial = get_job(client, job_id)
    control.advance(JOB_START_DELAY)
    final = get_job(client, job_id)
    items = client.get(f"{JOBS}/{job_id}/items").json()

    assert initial["status"] == "INITIALIZED"
    assert initial["counts"]["total"] == 0
    assert final["status"] == "FINISHED"
    assert final["counts"]["total"] == 0
    assert items["results"] == []


def test_bulk_selection_fixed_at_creation(client: httpx.Client, control: Control) -> None:
    control.seed_balances(10)
    job_id = start_bulk_adjust(client, {"amount": 1})
    late = control.seed_balances(10)

    finish_job(control, 2)

    assert get_job(client, job_id)["counts"]["total"] == 1
    assert balances(client, late) == [10]


class TestPartialFailure:
    """Seeded balances 5, 50, 3, 80 and 100 adjusted by -10: two items fail."""

    @pytest.fixture
    def job(self, client: httpx.Client, control: Control) -> dict[str, Any]:
        account_ids = control.seed_balances(5, 50, 3, 80, 100)
        job_id = start_bulk_adjust(client, {"amount": -10})
        finish_job(control, 5)
        return {"id": job_id, "accounts": account_ids}

    def test_job_finished_with_counts(self, client: httpx.Client, job: dict[str, Any]) -> None:
        body = get_job(client, job["id"])

        assert body["status"] == "FINISHED"
        assert body["counts"]["total"] == 5
        assert body["counts"]["successCount"] == 3
        assert body["counts"]["failCount"] == 2
        assert body["counts"]["errorByCodeCount"] == {"NEGATIVE_BALANCE": 2}

    def test_counters_mirror_counts(self, client: httpx.Client, job: dict[str, Any]) -> None:
        body = get_job(client, job["id"])

        assert body["counters"]["itemsToProcess"] == 5
        assert body["counters"]["itemsSucceeded"] == 3
        assert body["counters"]["itemsFailed"] == 2
        assert body["counters"]["errorCountByCode"] == {"NEGATIVE_BALANCE": 2}

    def test_failed_accounts_keep_points(self, client: httpx.Client, job: dict[str, Any]) -> None:
        low_five, _, low_three, _, _ = job["accounts"]

        assert balances(client, job["accounts"]) == [5, 40, 3, 70, 90]
        assert get_account(client, low_five)["revision"] == "1"
        assert get_account(client, low_three)["revision"] == "1"

    def test_failed_only_items(self, client: httpx.Client, job: dict[str, Any]) -> None:
        low_five, _, low_three, _, _ = job["accounts"]

        items = list_all_job_items(client, job["id"], limit=100, status_filter="FAILED_ONLY")

        assert {item["entityId"] for item in items} == {low_five, low_three}
        for item in items:
            assert item["success"] is False
            assert item["error"]["code"] == "NEGATIVE_BALANCE"

    def test_successful_only_items(self, client: httpx.Client, job: dict[str, Any]) -> None:
        _, fifty, _, eighty, hundred = job["accounts"]

        items = list_all_job_items(client, job["id"], limit=100, status_filter="SUCCESSFUL_ONLY")

        assert {item["entityId"] for item in items} == {fifty, eighty, hundred}
        for item in items:
            assert item["success"] is True
            assert "error" not in item

    def test_all_items_listed(self, client: httpx.Client, job: dict[str, Any]) -> None:
        items = list_all_job_items(client, job["id"], limit=100, status_filter="ALL")
        default = client.get(f"{JOBS}/{job['id']}/items").json()["results"]

        assert {item["entityId"] for item in items} == set(job["accounts"])
        assert default == items


class TestJobItemPaging:
    """Seven accounts, two of which fail, read in pages of three."""

    @pytest.fixture
    def job(self, client: httpx.Client, control: Control) -> dict[str, Any]:
        account_ids = control.seed_balances(50, 1, 60, 70, 2, 80, 90)
        job_id = start_bulk_adjust(client, {"amount": -10})
        finish_job(control, 7)
        return {"id": job_id, "accounts": account_ids}

    def test_cursor_pages_cover_all(self, client: httpx.Client, job: dict[str, Any]) -> None:
        items = list_all_job_items(client, job["id"], limit=3)
        ids = [item["entityId"] for item in items]

        assert len(ids) == 7
        assert set(ids) == set(job["accounts"])

    def test_cursor_keeps_status_filter(self, client: httpx.Client, job: dict[str, Any]) -> None:
        items = list_all_job_items(client, job["id"], limit=2, status_filter="SUCCESSFUL_ONLY")
        ids = [item["entityId"] for item in items]

        assert len(ids) == 5
        assert set(ids) == {job["accounts"][i] for i in (0, 2, 3, 5, 6)}

    def test_first_page_metadata(self, client: httpx.Client, job: dict[str, Any]) -> None:
        response = client.get(f"{JOBS}/{job['id']}/items", params={"paging.limit": 3})
        metadata = response.json()["pagingMetadata"]

        assert metadata["count"] == 3
        assert metadata["hasNext"] is True
        assert "next" in metadata["cursors"]
        assert "prev" not in metadata["cursors"]

    def test_last_page_metadata(self, client: httpx.Client, job: dict[str, Any]) -> None:
        first = client.get(f"{JOBS}/{job['id']}/items", params={"paging.limit": 5}).json()
        cursor = first["pagingMetadata"]["cursors"]["next"]
        last = client.get(f"{JOBS}/{job['id']}/items", params={"paging.cursor": cursor})
        metadata = last.json()["pagingMetadata"]

        assert metadata["count"] == 2
        assert metadata["hasNext"] is False
        assert "next" not in metadata["cursors"]
        assert "prev" in metadata["cursors"]

    @pytest.mark.parametrize("limit", ["0", "101", "abc"])
    def test_bad_limit_rejected(
        self, client: httpx.Client, job: dict[str, Any], limit: str
    ) -> None:
        response = client.get(f"{JOBS}/{job['id']}/items", params={"paging.limit": limit})

        assert response.status_code == 400
        assert violated_fields(response) == ["paging.limit"]

    def test_bad_status_filter_rejected(self, client: httpx.Client, job: dict[str, Any]) -> None:
        response = client.get(f"{JOBS}/{job['id']}/items", params={"statusFilter": "SOME"})

        assert response.status_code == 400
        assert violated_fields(response) == ["statusFilter"]

    def test_forged_cursor_rejected(self, client: httpx.Client, job: dict[str, Any]) -> None:
        response = client.get(f"{JOBS}/{job['id']}/items", params={"paging.cursor": "!!"})

        assert response.status_code == 400
        assert violated_fields(response) == ["paging.cursor"]


def test_immediate_job_finished_at_once(client: httpx.Client, control: Control) -> None:
    control.change_settings(job_mode="immediate")
    account_ids = control.seed_balances(10, 20)

    job_id = start_bulk_adjust(client, {"amount": 5})
    job = get_job(client, job_id)

    assert job["status"] == "FINISHED"
    assert job["counts"]["successCount"] == 2
    assert balances(client, account_ids) == [15, 25]


def test_manual_job_waits_for_clock(client: httpx.Client, control: Control) -> None:
    control.change_settings(job_mode="manual")
    [account_id] = control.seed_balances(10)
    job_id = start_bulk_adjust(client, {"amount": 5})

    control.advance(3600)

    assert get_job(client, job_id)["status"] == "INITIALIZED"
    assert balances(client, [account_id]) == [10]


@pytest.mark.parametrize("prefix", ["/async-jobs/v1", "/_api/async-jobs/v1", "/v1"])
def test_job_paths_serve_same_job(client: httpx.Client, control: Control, prefix: str) -> None:
    control.seed_balances(10)
    job_id = start_bulk_adjust(client, {"amount": 5})
    finish_job(control, 1)

    job = get_job(client, job_id, prefix=f"{prefix}/async-jobs")
    items = client.get(f"{prefix}/async-jobs/{job_id}/items")

    assert job["id"] == job_id
    assert job["status"] == "FINISHED"
    assert items.status_code == 200
    assert len(items.json()["results"]) == 1


def test_unknown_job_not_found(client: httpx.Client) -> None:
    unknown = "0f0e0d0c-0b0a-4909-8807-060504030201"

    response = client.get(f"{JOBS}/{unknown}")
    items = client.get(f"{JOBS}/{unknown}/items")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"
    assert items.status_code == 404
    assert error_code(items) == "NOT_FOUND"


def test_job_of_other_site_hidden(
    client: httpx.Client, control: Control, bare_client: httpx.Client
) -> None:
    control.seed_balances(10)
    job_id = start_bulk_adjust(client, {"amount": 5})
    headers = {"Authorization": "key", "wix-site-id": "another-site"}

    response = bare_client.get(f"{JOBS}/{job_id}", headers=headers)

    assert response.status_code == 404


def test_job_shape_and_dates(client: httpx.Client, control: Control) -> None:
    control.seed_balances(10)
    created_at = client.get("/_emulator/clock").json()["now"]
    job_id = start_bulk_adjust(client, {"amount": 5})

    finish_job(control, 1)
    job = get_job(client, job_id)

    assert job["createdDate"] == created_at
    assert job["updatedDate"] > job["createdDate"]
    assert job["createdBy"]["type"] == "APP_ID"
    assert job["metadata"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "balance"),
        ({"amount": 0}, "amount"),
        ({"amount": 10_000_000}, "amount"),
        ({"balance": -1}, "balance"),
        ({"amount": 1, "search": {"filter": {"nope": 1}}}, "search.filter.nope"),
    ],
)
def test_bulk_adjust_rejects_bad_body(
    client: httpx.Client, control: Control, body: dict[str, Any], field: str
) -> None:
    [account_id] = control.seed_balances(10)

    response = client.post(f"{ACCOUNTS}/bulk-adjust", json=body)
    control.advance(seconds_until_items_done(1))

    assert response.status_code == 400
    assert_error_envelope(response)
    assert violated_fields(response) == [field]
    assert get_account(client, account_id)["revision"] == "1"


def test_bulk_keeps_points_invariant(client: httpx.Client, control: Control) -> None:
    account_ids = control.seed(
        accounts=[
            {"points": {"earned": 50, "adjusted": -5, "redeemed": 10, "expired": 3}},
            {"points": {"earned": 0, "adjusted": 7, "redeemed": 0, "expired": 0}},
        ]
    )
    start_bulk_adjust(client, {"amount": -4})
    finish_job(control, 2)
    start_bulk_adjust(client, {"balance": 9})
    finish_job(control, 2)

    for account_id in account_ids:
        account = get_account(client, account_id)
        assert_points_invariant(account)
        assert account["points"]["balance"] == 9
        assert account["revision"] == "3"
