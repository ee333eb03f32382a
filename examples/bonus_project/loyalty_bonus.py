"""Give a points bonus to every loyalty account that matches a filter, and report failures.

::

    wix = httpx.Client(
        base_url="https://www.wixapis.com",
        headers={"Authorization": API_KEY, "wix-site-id": SITE_ID},
    )
    report = give_bonus(wix, {"points.balance": {"$lt": 200}}, 25)

The bonus runs as one Bulk Adjust Points job. ``give_bonus`` polls Get Async Job until the
job is FINISHED or FAILED and then reads the failed items with List Async Job Items.
``sleep`` and ``clock`` are parameters, so a test can move an emulator's clock instead of
waiting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

BULK_ADJUST = "/loyalty-accounts/v1/accounts/bulk-adjust"
ASYNC_JOBS = "/async-jobs/v1/async-jobs"
END_STATUSES = ("FINISHED", "FAILED")
# List Async Job Items returns at most 100 items a page.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class FailedItem:
    """An account that the job did not adjust, with the error code Wix gave."""

    account_id: str
    code: str
    description: str


@dataclass(frozen=True)
class BonusReport:
    job_id: str
    # FINISHED, or FAILED when the job as a whole failed.
    status: str
    total: int
    succeeded: int
    failed_items: list[FailedItem] = field(default_factory=list)
    # Get Async Job calls made while waiting.
    polls: int = 0

    @property
    def not_processed(self) -> int:
        """Accounts the job never reached, which happens only when the job FAILED."""
        return self.total - self.succeeded - len(self.failed_items)


class BonusTimeoutError(Exception):
    """The job did not reach FINISHED or FAILED within the timeout."""

    def __init__(self, job_id: str, status: str, polls: int, timeout: float) -> None:
        super().__init__(
            f"bulk adjust job {job_id} is still {status} after {polls} polls and {timeout} s; "
            "poll Get Async Job again later, or raise the timeout"
        )
        self.job_id = job_id
        self.status = status
        self.polls = polls


def give_bonus(
    client: httpx.Client,
    account_filter: dict[str, Any],
    amount: int,
    *,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    page_size: int = MAX_PAGE_SIZE,
) -> BonusReport:
    """Add ``amount`` points (negative to take points away) to every matching account."""
    job_id = start_bonus(client, account_filter, amount)
    return wait_for_report(
        client,
        job_id,
        timeout=timeout,
        poll_interval=poll_interval,
        sleep=sleep,
        clock=clock,
        page_size=page_size,
    )


def start_bonus(client: httpx.Client, account_filter: dict[str, Any], amount: int) -> str:
    """Start the Bulk Adjust Points job and return its ID."""
    body = {"search": {"filter": account_filter}, "amount": amount}
    response = client.post(BULK_ADJUST, json=body)
    response.raise_for_status()
    job_id: str = response.json()["asyncJobId"]
    return job_id


def wait_for_report(
    client: httpx.Client,
    job_id: str,
    *,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    page_size: int = MAX_PAGE_SIZE,
) -> BonusReport:
    """Poll the job until it ends, then list its failed items; raise on timeout.

    The loop makes at most ``timeout / poll_interval + 1`` polls, even when ``clock``
    does not move.
    """
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be more than 0 seconds, got {poll_interval}")
    deadline = clock() + timeout
    max_polls = math.floor(timeout / poll_interval) + 1
    job: dict[str, Any] = {}
    for poll in range(1, max_polls + 1):
        job = get_job(client, job_id)
        if job["status"] in END_STATUSES:
            counts = job["counts"]
            return BonusReport(
                job_id=job_id,
                status=job["status"],
                total=counts["total"],
                succeeded=counts["successCount"],
                failed_items=list_failed_items(client, job_id, page_size, counts["failCount"]),
                polls=poll,
            )
        if poll == max_polls or clock() >= deadline:
            raise BonusTimeoutError(job_id, job["status"], poll, timeout)
        sleep(poll_interval)
    raise BonusTimeoutError(job_id, job.get("status", "unknown"), max_polls, timeout)


def get_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    response = client.get(f"{ASYNC_JOBS}/{job_id}")
    response.raise_for_status()
    job: dict[str, Any] = response.json()["job"]
    return job


def list_failed_items(
    client: httpx.Client, job_id: str, page_size: int, fail_count: int
) -> list[FailedItem]:
    """Read every failed item of the job, following the cursor page by page.

    ``fail_count`` is the job's ``counts.failCount``; it bounds the number of pages read.
    """
    params: dict[str, Any] = {"statusFilter": "FAILED_ONLY", "paging.limit": page_size}
    failed: list[FailedItem] = []
    for _ in range(fail_count // page_size + 2):
        response = client.get(f"{ASYNC_JOBS}/{job_id}/items", params=params)
        response.raise_for_status()
        body = response.json()
        for item in body["results"]:
            error = item.get("error", {})
            code, description = error.get("code", ""), error.get("description", "")
            failed.append(FailedItem(item["entityId"], code, description))
        next_cursor = body["pagingMetadata"]["cursors"].get("next")
        if not next_cursor:
            return failed
        # The cursor encodes the first request's filter and page size, so it is sent alone.
        params = {"paging.cursor": next_cursor}
    raise RuntimeError(
        f"job {job_id} reports {fail_count} failed items, but List Async Job Items "
        f"still had more pages after {len(failed)} items"
    )
