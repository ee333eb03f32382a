"""Selection of matching items and cursor paging over them."""

from __future__ import annotations

import dataclasses
import heapq
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from emulator.errors import ValidationError, invalid

from .cursor import CursorState, decode_cursor, encode_cursor, invalid_cursor
from .fields import EntitySpec, join_path
from .filters import all_of, compile_filter
from .operators import Predicate, match_all
from .sorting import SortPlan, compile_sort, parse_sort
from .text_search import compile_text_search
from .values import describe_json

T = TypeVar("T")

_INTEGER_STRING = re.compile(r"-?[0-9]{1,20}")


@dataclass
class Page(Generic[T]):
    """One page of items and the cursors that lead to the pages around it."""

    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None

    def paging_metadata(self) -> dict[str, Any]:
        """Build a Wix ``CursorPagingMetadata`` object for this page.

        ``cursors.next`` is present only when another page follows, because the Wix SDK
        iterator reads ``hasNext()`` from it. ``cursors.prev`` is present only when
        matching items come before this page.
        """
        cursors: dict[str, str] = {}
        if self.next_cursor is not None:
            cursors["next"] = self.next_cursor
        if self.prev_cursor is not None:
            cursors["prev"] = self.prev_cursor
        return {
            "count": len(self.items),
            "cursors": cursors,
            "hasNext": self.next_cursor is not None,
        }


def select(
    items: Iterable[T],
    spec: EntitySpec,
    *,
    filter: Any = None,
    search: Any = None,
    sort: Any = None,
    path: str = "query",
) -> list[T]:
    """Return every item that matches the filter and search, sorted, without paging.

    An empty or missing sort applies ``spec.default_sort``. ``path`` is the request path
    of the object that contains ``filter``, ``search`` and ``sort``.
    """
    plan = compile_sort(parse_sort(sort, spec, join_path(path, "sort")), spec)
    matched = _matching(items, _compile_predicate(filter, search, spec, path))
    matched.sort(key=plan.bind(matched).key)
    return matched


def run_page(
    items: Iterable[T],
    spec: EntitySpec,
    *,
    filter: Any = None,
    search: Any = None,
    sort: Any = None,
    limit: Any = None,
    cursor: Any = None,
    path: str = "query",
) -> Page[T]:
    """Return one page of the matching items, sorted, with cursors to the next and previous pages.

    ``limit`` and ``cursor`` are the raw JSON values of ``cursorPaging``. With a cursor,
    the filter, search and sort of the request are ignored in favour of the cursor's,
    and ``limit`` overrides the cursor's page size only when it is given.
    """
    paging_path = join_path(path, "cursorPaging")
    limit_path = f"{paging_path}.limit"
    if cursor is None or cursor == "":
        keys = parse_sort(sort, spec, join_path(path, "sort"))
        predicate = _compile_predicate(filter, search, spec, path)
        page_limit = parse_limit(limit, spec, limit_path, spec.default_limit)
        state = CursorState(filter, search, keys, None, "next", page_limit)
    else:
        cursor_path = f"{paging_path}.cursor"
        state = decode_cursor(cursor, spec, cursor_path)
        try:
            predicate = _compile_predicate(state.filter, state.search, spec, path)
        except ValidationError:
            raise invalid_cursor(cursor_path) from None
        page_limit = parse_limit(limit, spec, limit_path, state.limit)
        state = dataclasses.replace(state, limit=page_limit)
    return _cut_page(_matching(items, predicate), compile_sort(state.sort, spec), state)


def parse_limit(raw: Any, spec: EntitySpec, path: str, default: int) -> int:
    """Parse ``cursorPaging.limit`` into an integer from 1 to ``spec.max_limit``.

    An absent limit gives ``default``. JSON numbers with an integral value and numeric
    strings (protobuf JSON) are accepted.
    """
    if raw is None:
        return default
    value = _to_integer(raw)
    if value is None:
        raise invalid(path, f"The limit must be an integer (got {describe_json(raw)}).", "FORMAT")
    if value > spec.max_limit:
        raise invalid(path, f"The limit is {value}, but the maximum is {spec.max_limit}.", "MAX")
    # NOTE: Wix documents only the maximum. A limit of 0 is rejected because a page of
    # zero items never moves the cursor, so a client that follows cursors.next would loop.
    if value < 1:
        raise invalid(path, f"The limit is {value}, but the minimum is 1.", "MIN")
    return value


def _to_integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INTEGER_STRING.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def _compile_predicate(filter: Any, search: Any, spec: EntitySpec, path: str) -> Predicate:
    predicates = [compile_filter(filter, spec, join_path(path, "filter"))]
    text_predicate = compile_text_search(search, spec, join_path(path, "search"))
    if text_predicate is not None:
        predicates.append(text_predicate)
    return all_of(predicates)


def _matching(items: Iterable[T], predicate: Predicate) -> list[T]:
    if predicate is match_all:
        return list(items)
    return [item for item in items if predicate(item)]


def _cut_page(matched: list[T], plan: SortPlan, state: CursorState) -> Page[T]:
    """Take the page that ``state`` points at from the matching items."""
    limit = state.limit
    bound_sort = plan.bind(matched)
    keys = list(map(bound_sort.key, matched))
    bound = None if state.boundary is None else bound_sort.boundary_key(state.boundary)
    if state.direction == "next":
        candidates = _indexes_beyond(keys, bound, after=True)
        chosen = heapq.nsmallest(limit + 1, candidates, key=keys.__getitem__)
        has_after = len(chosen) > limit
        chosen = chosen[:limit]
        has_before = len(candidates) < len(keys)
    else:
        candidates = _indexes_beyond(keys, bound, after=False)
        chosen = heapq.nlargest(limit + 1, candidates, key=keys.__getitem__)
        has_before = len(chosen) > limit
        chosen = chosen[:limit]
        chosen.reverse()
        has_after = len(candidates) < len(keys)
    page_items = [matched[index] for index in chosen]

    def cursor_from(direction: str, boundary_item: list[T]) -> str:
        # An empty page has no item to start from, so its cursor points at the open
        # end: the first page for "next", the last page for "prev".
        boundary = plan.values(boundary_item[0]) if boundary_item else None
        return encode_cursor(dataclasses.replace(state, boundary=boundary, direction=direction))

    next_cursor = cursor_from("next", page_items[-1:]) if has_after else None
    prev_cursor = cursor_from("prev", page_items[:1]) if has_before else None
    return Page(page_items, next_cursor, prev_cursor)


def _indexes_beyond(
    keys: list[tuple[Any, ...]], bound: tuple[Any, ...] | None, *, after: bool
) -> range | list[int]:
    if bound is None:
        return range(len(keys))
    if after:
        return [index for index, key in enumerate(keys) if key > bound]
    return [index for index, key in enumerate(keys) if key < bound]
