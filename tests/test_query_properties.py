"""Hypothesis properties of the query engine: paging agrees with select, and select agrees
with a plain reference interpretation of filters and sorts."""

from __future__ import annotations

import functools
import operator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.clock import format_timestamp
from emulator.query import EntitySpec, Field, SortKey, run_page, select


def make_field(name: str, kind: str) -> Field:
    return Field(name, kind, lambda item: item.get(name))


SPEC = EntitySpec(
    name="record",
    fields={
        "id": make_field("id", "string"),
        "balance": make_field("balance", "number"),
        "name": make_field("name", "string"),
        "created": make_field("created", "timestamp"),
        "active": make_field("active", "boolean"),
    },
    default_sort=(SortKey("created", descending=True),),
    default_limit=4,
    max_limit=10,
    text_fields=("name",),
)

NAMES = [None, "", "a", "ab", "A", "b", "Ab", "ba"]
TIMES = [None, 0.0, 1.5, 2.0, 1767225600.0]
NUMBERS = st.integers(-3, 3)


@st.composite
def item_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.text("abc", min_size=1, max_size=3), unique=True, max_size=20))
    return [
        {
            "id": item_id,
            "balance": draw(st.none() | NUMBERS),
            "name": draw(st.sampled_from(NAMES)),
            "created": draw(st.sampled_from(TIMES)),
            "active": draw(st.none() | st.booleans()),
        }
        for item_id in ids
    ]


def _condition(field: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    comparison = st.tuples(st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]), values)
    membership = st.tuples(
        st.sampled_from(["$in", "$nin", "$hasSome", "$any", "$hasAll"]),
        st.lists(st.none() | values, max_size=3),
    )
    flags = st.tuples(st.sampled_from(["$exists", "$isEmpty"]), st.booleans())
    with_operator = st.one_of(comparison, membership, flags).map(lambda pair: {pair[0]: pair[1]})
    equality = st.none() | values
    return st.one_of(with_operator, equality).map(lambda condition: {field: condition})


LEAVES = st.one_of(
    _condition("balance", NUMBERS),
    _condition("created", st.sampled_from(TIMES[1:]).map(format_timestamp)),
    _condition("active", st.booleans()),
    _condition("name", st.sampled_from(NAMES[1:])),
    st.tuples(
        st.sampled_from(["$startsWith", "$begins"]), st.sampled_from(["", "a", "A", "b"])
    ).map(lambda pair: {"name": {pair[0]: pair[1]}}),
)

FILTERS = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda parts: {"$and": parts}),
        st.lists(children, max_size=3).map(lambda parts: {"$or": parts}),
        children.map(lambda part: {"$not": part}),
    ),
    max_leaves=5,
)

SORTS = st.lists(
    st.fixed_dictionaries(
        {"fieldName": st.sampled_from(["balance", "name", "created", "active", "id"])},
        optional={"order": st.sampled_from(["ASC", "DESC"])},
    ),
    max_size=3,
)

SEARCHES = st.none() | st.fixed_dictionaries(
    {"expression": st.sampled_from(["a", "b", "A b", ""])},
    optional={"mode": st.sampled_from(["OR", "AND"])},
)


RANGE_OPERATORS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _parse_value(field: str, value: Any) -> Any:
    if field == "created" and isinstance(value, str):
        return next(time for time in TIMES if time is not None and format_timestamp(time) == value)
    return value


def _reference_condition(field: str, condition: Any, item: dict[str, Any]) -> bool:
    value = item[field]
    if not isinstance(condition, dict):
        return bool(value == _parse_value(field, condition))
    results = []
    for name, raw in condition.items():
        argument = (
            [_parse_value(field, v) for v in raw]
            if isinstance(raw, list)
            else _parse_value(field, raw)
        )
        if name == "$eq":
            results.append(value == argument)
        elif name == "$ne":
            results.append(value != argument)
        elif name in ("$gt", "$gte", "$lt", "$lte"):
            compare = RANGE_OPERATORS[name]
            results.append(value is not None and compare(value, argument))
        elif name in ("$in", "$hasSome", "$any"):
            results.append(value in argument)
        elif name == "$nin":
            results.append(value not in argument)
        elif name == "$hasAll":
            results.append(bool(argument) and all(value == member for member in argument))
        elif name == "$exists":
            results.append((value is not None) == argument)
        elif name == "$isEmpty":
            results.append((value is None or value == "") == argument)
        else:
            results.append(value is not None and value.lower().startswith(argument.lower()))
    return all(results)


def reference_match(filter: dict[str, Any], item: dict[str, Any]) -> bool:
    for key, value in filter.items():
        if key == "$and":
            matched = all(reference_match(part, item) for part in value)
        elif key == "$or":
            matched = any(reference_match(part, item) for part in value)
        elif key == "$not":
            matched = not reference_match(value, item)
        else:
            matched = _reference_condition(key, value, item)
        if not matched:
            return False
    return True


def reference_order(sort: list[dict[str, Any]]) -> functools.partial[int]:
    keys = [(entry["fieldName"], entry.get("order") == "DESC") for entry in sort]
    if not keys:
        keys = [("created", True)]
    if "id" not in [name for name, _ in keys]:
        keys.append(("id", False))
    return functools.partial(_compare_items, keys)


def _compare_items(
    keys: list[tuple[str, bool]], left: dict[str, Any], right: dict[str, Any]
) -> int:
    for name, descending in keys:
        a, b = left[name], right[name]
        if a == b and (a is None) == (b is None):
            continue
        # None is the lowest value.
        if a is None:
            result = -1
        elif b is None:
            result = 1
        else:
            result = -1 if a < b else 1
        return -result if descending else result
    return 0


@settings(max_examples=300, deadline=None)
@given(items=item_lists(), filter=FILTERS, sort=SORTS)
def test_select_matches_reference(items: list[dict[str, Any]], filter: Any, sort: Any) -> None:
    expected = sorted(
        (item for item in items if reference_match(filter, item)),
        key=functools.cmp_to_key(reference_order(sort)),
    )
    assert select(items, SPEC, filter=filter, sort=sort) == expected


@settings(max_examples=300, deadline=None)
@given(items=item_lists(), filter=FILTERS, search=SEARCHES, sort=SORTS, limit=st.integers(1, 6))
def test_next_cursors_yield_select(
    items: Any, filter: Any, search: Any, sort: Any, limit: int
) -> None:
    page = run_page(items, SPEC, filter=filter, search=search, sort=sort, limit=limit)
    collected = list(page.items)
    while page.next_cursor is not None:
        assert len(page.items) == limit
        page = run_page(items, SPEC, cursor=page.next_cursor)
        collected.extend(page.items)
    assert collected == select(items, SPEC, filter=filter, search=search, sort=sort)


@settings(max_examples=200, deadline=None)
@given(items=item_lists(), filter=FILTERS, sort=SORTS, limit=st.integers(1, 6))
def test_prev_cursors_walk_back_through_select(
    items: Any, filter: Any, sort: Any, limit: int
) -> None:
    page = run_page(items, SPEC, filter=filter, sort=sort, limit=limit)
    while page.next_cursor is not None:
        page = run_page(items, SPEC, cursor=page.next_cursor)
    pages = [page.items]
    while page.prev_cursor is not None:
        page = run_page(items, SPEC, cursor=page.prev_cursor)
        pages.append(page.items)
    collected = [item for items_of_page in reversed(pages) for item in items_of_page]
    assert collected == select(items, SPEC, filter=filter, sort=sort)


@settings(max_examples=200, deadline=None)
@given(items=item_lists(), extra=item_lists(), sort=SORTS, limit=st.integers(1, 4))
def test_insert_before_boundary_keeps_next_page(
    items: Any, extra: Any, sort: Any, limit: int
) -> None:
    first = run_page(items, SPEC, sort=sort, limit=limit)
    known = {item["id"] for item in items}
    inserted = [item for item in extra if item["id"] not in known]
    if first.next_cursor is None or not first.items:
        return
    boundary = functools.cmp_to_key(reference_order(sort))(first.items[-1])
    later = [
        item for item in inserted if functools.cmp_to_key(reference_order(sort))(item) > boundary
    ]
    expected = select(items + later, SPEC, sort=sort)
    start = expected.index(first.items[-1]) + 1
    page = run_page(items + inserted, SPEC, cursor=first.next_cursor)
    assert page.items == expected[start : start + limit]
