"""Assertions shared by the example tests and the state machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.divergences import REGISTER

from .model import AccountModel
from .targets import Response

GUESSES = {entry.id for entry in REGISTER}
MAX_PAGES = 200


def expect_error(
    response: Response,
    status: int,
    code: str | None = None,
    *,
    field: str | None = None,
    guess: str | None = None,
) -> None:
    """Check an error response: its status, its code or its violated field.

    ``guess`` names the register entry behind an expectation that Wix does not
    document, so a failure on the live API reads as a finding about that guess.
    """
    if guess is not None and guess not in GUESSES:
        raise ValueError(f"{guess!r} is not an entry of emulator.divergences.REGISTER")
    note = f" (the emulator's guess {guess!r} in the register)" if guess else ""
    assert response.status == status, f"expected {status}{note}; {response.describe()}"
    if code is not None:
        assert response.error_code == code, f"expected code {code}{note}; {response.describe()}"
    if field is not None:
        assert field in response.violated_fields, (
            f"expected a violation of {field}{note}; {response.describe()}"
        )


def assert_points_formula(account: dict[str, Any]) -> None:
    points = account["points"]
    expected = points["earned"] + points["adjusted"] - points["redeemed"] - points.get("expired", 0)
    assert points["balance"] == expected, (
        f"balance is not earned+adjusted-redeemed-expired: {points}"
    )


def assert_matches_model(actual: dict[str, Any], model: AccountModel, *, exact: bool) -> None:
    """Compare an account body with its model. With ``exact``, the revision must match too."""
    points = actual["points"]
    expected = {"balance": model.balance, "earned": model.earned, "adjusted": model.adjusted}
    observed = {key: points[key] for key in expected}
    assert observed == expected, f"account {model.id}: points {observed}, model {expected}"
    assert_points_formula(actual)
    revision = int(actual["revision"])
    if exact:
        assert revision == model.revision, (
            f"account {model.id}: revision {revision}, model {model.revision}"
        )
    else:
        assert revision >= model.revision, (
            f"account {model.id}: revision {revision} went below {model.revision}"
        )
    if model.latest_type is not None:
        latest = actual.get("latestTransaction") or {}
        assert latest.get("type") == model.latest_type, (
            f"account {model.id}: latestTransaction {latest}, expected type {model.latest_type}"
        )


def collect_pages(
    first: Response,
    items_key: str,
    next_page: Callable[[str], Response],
    limit: int | None,
) -> list[dict[str, Any]]:
    """Follow ``cursors.next`` from ``first`` to the last page and return every item in order.

    Checks each page: ``count`` equals the page length, no page exceeds ``limit``, and
    ``hasNext`` agrees with the presence of ``cursors.next`` (the SDK iterator reads
    only the cursor).
    """
    items: list[dict[str, Any]] = []
    response = first
    for page_number in range(MAX_PAGES):
        body = response.expect(200)
        page = body[items_key]
        metadata = body["pagingMetadata"]
        assert metadata["count"] == len(page), f"count disagrees with the page: {metadata}"
        if limit is not None:
            assert len(page) <= limit, f"page {page_number} has {len(page)} > {limit} items"
        cursor = metadata["cursors"].get("next")
        if "hasNext" in metadata:
            assert metadata["hasNext"] == bool(cursor), f"hasNext disagrees: {metadata}"
        if page_number > 0:
            assert metadata["cursors"].get("prev"), f"page {page_number} has no prev cursor"
        items += page
        if not cursor:
            return items
        response = next_page(cursor)
    raise AssertionError(f"paging did not end within {MAX_PAGES} pages")
