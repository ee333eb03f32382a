"""Async Job API handlers (``/async-jobs/v1/async-jobs/...``)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import NotFoundError, invalid
from ..jobs import record_poll
from ..models import Job, JobItem
from ..validation import check_range, to_int
from . import render
from .base import ApiCall

STATUS_FILTERS = ("ALL", "FAILED_ONLY", "SUCCESSFUL_ONLY")
MAX_ITEMS_PAGE = 100
# The documented maximum length of a paging cursor.
MAX_CURSOR_LENGTH = 16000


def _job(call: ApiCall) -> Job:
    job_id = call.path["jobId"].lower()
    job = call.site.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"async job {job_id} not found", data={"jobId": job_id})
    return job


def get_job(call: ApiCall) -> dict[str, Any]:
    job = _job(call)
    record_poll(call.site, job, call.settings, call.now)
    return {"job": render.job(job)}


def _encode_cursor(offset: int, status_filter: str, limit: int) -> str:
    state = {"o": offset, "s": status_filter, "l": limit}
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str, int]:
    """Return the offset, status filter and page size that ``cursor`` carries."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset, status_filter, limit = state["o"], state["s"], state["l"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        offset, status_filter, limit = None, None, None
    if (
        type(offset) is int
        and type(limit) is int
        and offset >= 0
        and status_filter in STATUS_FILTERS
        and 1 <= limit <= MAX_ITEMS_PAGE
    ):
        return offset, str(status_filter), limit
    raise invalid(
        "paging.cursor",
        "is not a cursor this endpoint returned; start again without a cursor",
        "FORMAT",
    )


def _matches(item: JobItem, status_filter: str) -> bool:
    if status_filter == "FAILED_ONLY":
        return not item.success
    if status_filter == "SUCCESSFUL_ONLY":
        return item.success
    return True


def list_job_items(call: ApiCall) -> dict[str, Any]:
    job = _job(call)
    status_filter = call.query.get("statusFilter", "ALL") or "ALL"
    if status_filter not in STATUS_FILTERS:
        raise invalid("statusFilter", f"must be one of {', '.join(STATUS_FILTERS)}")
    limit_text = call.query.get("paging.limit")
    limit = MAX_ITEMS_PAGE
    if limit_text:
        limit = check_range(to_int(limit_text, "paging.limit"), "paging.limit", 1, MAX_ITEMS_PAGE)
    offset = 0
    cursor = call.query.get("paging.cursor")
    if cursor:
        # The cursor carries the filter and page size, so a follow-up request may send the
        # cursor alone. A paging.limit sent with the cursor overrides its page size.
        offset, status_filter, cursor_limit = _decode_cursor(cursor)
        limit = limit if limit_text else cursor_limit
    matching = [item for item in job.items if _matches(item, status_filter)]
    page = matching[offset : offset + limit]
    cursors: dict[str, str] = {}
    has_next = offset + limit < len(matching)
    if has_next:
        cursors["next"] = _encode_cursor(offset + limit, status_filter, limit)
    if offset > 0:
        cursors["prev"] = _encode_cursor(max(0, offset - limit), status_filter, limit)
    return {
        "results": [render.job_item(item) for item in page],
        "pagingMetadata": {"count": len(page), "cursors": cursors, "hasNext": has_next},
    }
