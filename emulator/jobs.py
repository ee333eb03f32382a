"""The async job engine behind Bulk Adjust Points.

A job moves lazily: before a request reads or writes a site, ``advance_jobs`` applies
every item whose due time has passed on the emulator's clock. No thread or timer runs,
so under a manual clock a job moves exactly when the clock does.

Timing of a timed job with ``n`` accounts, delay ``d`` and rate ``r`` (accounts per
second), created at ``t``: INITIALIZED until ``t + d``, then PROCESSING, item ``i``
(from 0) applied at ``t + d + (i + 1) / r``, FINISHED at ``t + d + n / r``.
"""

from __future__ import annotations

import heapq
import logging
import math
from typing import Any

from .domain.accounts import apply_adjustment
from .errors import WixError, invalid
from .models import Job, JobItem, new_id
from .settings import MAX_JOB_DELAY, MAX_JOB_RATE, Settings
from .store import SiteState
from .validation import check_range, read_str, to_int

logger = logging.getLogger("emulator")

NEVER = math.inf
ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
# Epoch seconds near 2026 are floats with a spacing of about 2.4e-7 s, so a clock moved to
# exactly an item's due time can land a hair before it. Times this close count as reached.
TIME_TOLERANCE = 1e-6


JOB_PROFILE_MODES = ("timed", "immediate", "manual", "polls")


def _bounded_number(raw: Any, name: str, low: float, high: float, low_inclusive: bool) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise invalid(name, f"must be a number, got {raw!r}", "FORMAT")
    number = float(raw) if abs(raw) <= high else math.inf
    if number < low or (number == low and not low_inclusive):
        raise invalid(name, f"must be more than {low:g}", "MIN")
    if number > high:
        raise invalid(name, f"must be at most {high:g}", "MAX")
    return number


def parse_job_profile(raw: Any, settings: Settings) -> dict[str, Any]:
    """Check a site's job profile: {"mode"} plus "delay" and "rate" (timed) or "polls"."""
    if not isinstance(raw, dict):
        raise invalid("jobProfile", "must be an object", "FORMAT")
    mode = read_str(raw, "mode", required=True)
    if mode not in JOB_PROFILE_MODES:
        raise invalid("mode", f"must be one of {', '.join(JOB_PROFILE_MODES)}")
    profile: dict[str, Any] = {"mode": mode}
    if mode == "timed":
        delay = raw.get("delay", settings.job_start_delay)
        rate = raw.get("rate", settings.job_rate)
        profile["delay"] = _bounded_number(delay, "delay", 0, MAX_JOB_DELAY, True)
        profile["rate"] = _bounded_number(rate, "rate", 0, MAX_JOB_RATE, False)
    if mode == "polls":
        polls = raw.get("polls")
        if polls is None:
            raise invalid("polls", "is required for mode polls", "REQUIRED_FIELD")
        profile["polls"] = check_range(to_int(polls, "polls"), "polls", 1, 10_000)
    return profile


def job_timing(site: SiteState, settings: Settings) -> dict[str, Any]:
    """Return the job timing for ``site``: its own profile, else the global settings."""
    timing: dict[str, Any] = {
        "mode": settings.job_mode,
        "delay": settings.job_start_delay,
        "rate": settings.job_rate,
        "polls": None,
    }
    if site.job_profile:
        timing.update(site.job_profile)
    return timing


def start_bulk_adjust(
    site: SiteState,
    now: float,
    settings: Settings,
    account_ids: list[str],
    operation: str,
    value: int,
) -> Job:
    """Create a job over ``account_ids``; in immediate mode, run it to the end first."""
    timing = job_timing(site, settings)
    mode = timing["mode"]
    start_at: float
    rate: float | None
    if mode in ("manual", "polls"):
        start_at, rate = NEVER, None
    elif mode == "immediate":
        start_at, rate = now, None
    else:
        start_at, rate = now + float(timing["delay"]), float(timing["rate"])
    job = Job(
        id=new_id(),
        created=now,
        updated=now,
        account_ids=account_ids,
        operation=operation,
        value=value,
        start_at=start_at,
        rate=rate,
        polls_required=int(timing["polls"]) if mode == "polls" else None,
    )
    site.jobs[job.id] = job
    site.active_jobs.append(job)
    logger.info(
        "job %s created on site %s: %s=%d over %d accounts (%s mode)",
        job.id,
        site.site_id,
        operation,
        value,
        len(account_ids),
        mode,
    )
    if mode == "immediate":
        advance_job(site, job, now, settings)
    return job


def record_poll(site: SiteState, job: Job, settings: Settings, now: float) -> None:
    """Count one Get Async Job call; a "polls" job moves a share of its items on each."""
    job.polls_seen += 1
    if job.polls_required is None or job.held or job.finished:
        return
    total = len(job.account_ids)
    share = math.ceil(total * min(job.polls_seen, job.polls_required) / job.polls_required)
    if job.polls_seen >= job.polls_required:
        share = total
    process_items(site, job, share - len(job.items), settings, now)


def advance_jobs(site: SiteState, now: float, settings: Settings) -> None:
    """Apply every item of every unfinished job that is due by ``now``, in due-time order.

    Jobs whose accounts overlap must interleave as they would have in continuous time,
    or the outcome would depend on how far each clock move jumped.
    """
    if not site.active_jobs:
        return
    runnable = [job for job in site.active_jobs if _is_runnable(job, now)]
    if len(runnable) <= 1:
        for job in runnable:
            advance_job(site, job, now, settings)
        return
    # One item at a time, earliest due first and, at equal due times, the older job
    # first: the order the items would have had in continuous time.
    queue = [(_next_due(job), order, job) for order, job in enumerate(runnable)]
    heapq.heapify(queue)
    while queue:
        due, order, job = heapq.heappop(queue)
        if due > now + tolerance(now):
            break
        process_items(site, job, 1, settings, now)
        if not job.finished:
            heapq.heappush(queue, (_next_due(job), order, job))
    # Every due item is applied; this moves jobs that have started but have no item
    # due yet from INITIALIZED to PROCESSING.
    for job in runnable:
        advance_job(site, job, now, settings)


def tolerance(moment: float) -> float:
    """Return how close to ``moment`` a due time must be to count as reached.

    A clock moved to exactly an item's due time can land a few float steps before it.
    The spacing of floats grows with the number, so the tolerance does too.
    """
    return max(TIME_TOLERANCE, abs(moment) * 1e-15)


def _is_runnable(job: Job, now: float) -> bool:
    return not job.held and not job.finished and now + tolerance(now) >= job.start_at


def _next_due(job: Job) -> float:
    """Return when the job's next item is due (its start when nothing is left to apply)."""
    if job.rate is None or len(job.items) >= len(job.account_ids):
        return job.start_at
    return job.start_at + (len(job.items) + 1) / job.rate


def advance_job(site: SiteState, job: Job, now: float, settings: Settings) -> None:
    if job.held or job.finished or now + tolerance(now) < job.start_at:
        return
    total = len(job.account_ids)
    if job.rate is None:
        due = total
    else:
        due = min(total, math.floor((now - job.start_at + tolerance(now)) * job.rate))
    process_items(site, job, due - len(job.items), settings, now)


def process_items(site: SiteState, job: Job, count: int, settings: Settings, now: float) -> None:
    """Move ``job`` to PROCESSING and apply its next ``count`` items."""
    if job.finished:
        return
    if job.status == "INITIALIZED":
        job.status = "PROCESSING"
        job.updated = min(job.start_at, now)
        logger.info("job %s on site %s is PROCESSING", job.id, site.site_id)
    total = len(job.account_ids)
    end = min(total, len(job.items) + max(0, count))
    for index in range(len(job.items), end):
        _apply_item(site, job, index, settings, _item_time(job, index, now))
    if end > 0:
        job.updated = _item_time(job, end - 1, now)
    if len(job.items) == total:
        finish_job(site, job, "FINISHED", job.updated)


def finish_job(site: SiteState, job: Job, status: str, when: float) -> None:
    job.status = status
    job.updated = when
    if job in site.active_jobs:
        site.active_jobs.remove(job)
    logger.info(
        "job %s on site %s is %s: %d succeeded, %d failed",
        job.id,
        site.site_id,
        status,
        job.success_count,
        job.fail_count,
    )


def _item_time(job: Job, index: int, now: float) -> float:
    if job.rate is None or job.start_at == NEVER:
        return now
    return min(now, job.start_at + (index + 1) / job.rate)


def _apply_item(site: SiteState, job: Job, index: int, settings: Settings, when: float) -> None:
    account_id = job.account_ids[index]
    forced = job.forced_failures.get(account_id)
    account = site.accounts.get(account_id)
    error: tuple[str, str] | None = None
    if forced is not None:
        error = forced
    elif account is None:
        error = (ACCOUNT_NOT_FOUND, f"loyalty account {account_id} no longer exists")
    else:
        try:
            apply_adjustment(site, when, settings, account, job.operation, job.value)
        except WixError as exc:
            error = (exc.code, exc.description)
    if error is None:
        job.items.append(JobItem(id=new_id(), entity_id=account_id, success=True))
        job.success_count += 1
        return
    code, description = error
    job.items.append(
        JobItem(
            id=new_id(),
            entity_id=account_id,
            success=False,
            error_code=code,
            error_description=description,
        )
    )
    job.fail_count += 1
    job.errors_by_code[code] = job.errors_by_code.get(code, 0) + 1


def find_job(sites: dict[str, SiteState], job_id: str) -> tuple[SiteState, Job] | None:
    """Find a job by ID across every site (job IDs are GUIDs, unique across sites)."""
    for site in sites.values():
        job = site.jobs.get(job_id)
        if job is not None:
            return site, job
    return None


def step_job(site: SiteState, job: Job, items: int, settings: Settings, now: float) -> None:
    """Apply the next ``items`` items now, whatever the job's timing or hold."""
    process_items(site, job, items, settings, now)


def run_job(site: SiteState, job: Job, settings: Settings, now: float) -> None:
    """Apply every remaining item now, so the job ends FINISHED."""
    process_items(site, job, len(job.account_ids), settings, now)


def hold_job(job: Job, now: float) -> None:
    """Stop a job where it is; ``release_job`` resumes it."""
    if not job.held:
        job.held = True
        job.held_since = now


def release_job(job: Job, now: float) -> None:
    """Resume a held job as if the hold had not taken time.

    The remaining items are due the same span after the release as they were after
    the hold, so they get release-time timestamps, not back-dated ones.
    """
    if not job.held:
        return
    job.held = False
    if job.held_since is not None and job.start_at != NEVER:
        job.start_at += max(0.0, now - job.held_since)
    job.held_since = None


def fail_job(site: SiteState, job: Job, now: float) -> None:
    """End the job as a whole with status FAILED; items not yet applied never are."""
    if not job.finished:
        finish_job(site, job, "FAILED", now)


def run_site_jobs(site: SiteState, settings: Settings, now: float) -> int:
    """Run every unfinished job of ``site`` to the end; return how many were run."""
    pending = list(site.active_jobs)
    for job in pending:
        release_job(job, now)
        run_job(site, job, settings, now)
    return len(pending)
