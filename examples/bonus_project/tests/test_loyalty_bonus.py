"""Tests of ``loyalty_bonus`` against the Wix Loyalty emulator's pytest plugin.

Each test gets ``wix_site``: a fresh site on an emulator with a manual clock, where a bulk
job stays INITIALIZED for 1 s and then applies 10 accounts per second (set in this
project's pyproject.toml). The tests hand ``give_bonus`` the emulator's clock, so its
polling loop moves time on the emulator instead of sleeping.
"""

from __future__ import annotations

import pytest
from loyalty_bonus import (
    BonusTimeoutError,
    FailedItem,
    give_bonus,
    start_bonus,
    wait_for_report,
)

from emulator.pytest_plugin import WixSite

ACCOUNTS = "/loyalty-accounts/v1/accounts"


def emulator_time(wix_site: WixSite) -> float:
    seconds: float = wix_site.control.clock()["epochSeconds"]
    return seconds


def balances(wix_site: WixSite, account_ids: list[str]) -> list[int]:
    result = []
    for account_id in account_ids:
        response = wix_site.client.get(f"{ACCOUNTS}/{account_id}")
        assert response.status_code == 200, response.text
        result.append(response.json()["account"]["points"]["balance"])
    return result


def test_bonus_reaches_matching_accounts(wix_site: WixSite) -> None:
    account_ids = wix_site.seed_balances(50, 150, 300)

    report = give_bonus(
        wix_site.client,
        {"points.balance": {"$lt": 200}},
        25,
        poll_interval=0.5,
        sleep=wix_site.advance,
        clock=lambda: emulator_time(wix_site),
    )

    assert report.status == "FINISHED"
    assert report.total == 2
    assert report.succeeded == 2
    assert report.failed_items == []
    # 1 s INITIALIZED plus 0.2 s for two accounts: polls at 0, 0.5, 1.0 and 1.5 s.
    assert report.polls == 4
    assert balances(wix_site, account_ids) == [75, 175, 300]


def test_negative_bonus_fails_low_accounts(wix_site: WixSite) -> None:
    low, high = wix_site.seed_balances(10, 100)

    report = give_bonus(
        wix_site.client, {}, -50, sleep=wix_site.advance, clock=lambda: emulator_time(wix_site)
    )

    assert report.status == "FINISHED"
    assert report.succeeded == 1
    [failed] = report.failed_items
    assert failed.account_id == low
    assert failed.code == "NEGATIVE_BALANCE"
    assert "below zero" in failed.description
    assert balances(wix_site, [low, high]) == [10, 50]


def test_failed_items_read_every_page(wix_site: WixSite) -> None:
    account_ids = wix_site.seed_balances(*[0] * 7)

    report = give_bonus(
        wix_site.client,
        {},
        -1,
        page_size=3,
        sleep=wix_site.advance,
        clock=lambda: emulator_time(wix_site),
    )

    assert report.succeeded == 0
    assert sorted(item.account_id for item in report.failed_items) == sorted(account_ids)
    assert {item.code for item in report.failed_items} == {"NEGATIVE_BALANCE"}


def test_injected_item_failure_is_reported(wix_site: WixSite) -> None:
    first, second = wix_site.seed_balances(0, 0)
    job_id = start_bonus(wix_site.client, {}, 5)

    wix_site.control.fail_items(job_id, [second], code="INTERNAL", description="injected")
    wix_site.wait_for_job(job_id)
    report = wait_for_report(wix_site.client, job_id, sleep=wix_site.advance)

    assert report.failed_items == [FailedItem(second, "INTERNAL", "injected")]
    assert balances(wix_site, [first, second]) == [5, 0]


def test_failed_job_reports_unprocessed(wix_site: WixSite) -> None:
    wix_site.seed_balances(0, 0, 0)
    job_id = start_bonus(wix_site.client, {}, 5)

    wix_site.control.step(job_id, items=1)
    wix_site.control.fail(job_id)
    report = wait_for_report(wix_site.client, job_id, sleep=wix_site.advance)

    assert report.status == "FAILED"
    assert report.succeeded == 1
    assert report.failed_items == []
    assert report.not_processed == 2


def test_job_that_never_ends_times_out(wix_site: WixSite) -> None:
    account_ids = wix_site.seed_balances(0)
    wix_site.set_job_profile("manual")

    with pytest.raises(BonusTimeoutError) as caught:
        give_bonus(
            wix_site.client,
            {},
            5,
            timeout=10,
            poll_interval=1,
            sleep=wix_site.advance,
            clock=lambda: emulator_time(wix_site),
        )

    assert caught.value.status == "INITIALIZED"
    assert caught.value.polls == 11
    assert balances(wix_site, account_ids) == [0]


def test_frozen_clock_still_bounded(wix_site: WixSite) -> None:
    wix_site.seed_balances(0)
    wix_site.set_job_profile("manual")
    sleeps: list[float] = []

    with pytest.raises(BonusTimeoutError) as caught:
        give_bonus(wix_site.client, {}, 5, timeout=3, poll_interval=1, sleep=sleeps.append)

    assert caught.value.polls == 4
    assert sleeps == [1, 1, 1]


def test_in_process_client_without_socket(wix_site: WixSite) -> None:
    account_ids = wix_site.seed_balances(1, 2)
    wix_site.set_job_profile("immediate")

    report = give_bonus(wix_site.asgi_client(), {}, 10, sleep=wix_site.advance)

    assert report.status == "FINISHED"
    assert report.polls == 1
    assert balances(wix_site, account_ids) == [11, 12]
