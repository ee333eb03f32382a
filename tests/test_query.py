"""Tests of the query engine against plain dicts and a small entity spec."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from emulator.clock import parse_timestamp
from emulator.errors import FieldViolation, ValidationError
from emulator.query import (
    EntitySpec,
    Field,
    Page,
    SortKey,
    compile_filter,
    compile_text_search,
    parse_sort,
    run_page,
    select,
)


def dotted(path: str) -> Any:
    """Build a getter that walks nested dicts and returns None where a key is missing."""
    parts = path.split(".")

    def get(item: dict[str, Any]) -> Any:
        value: Any = item
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def timestamp_getter(item: dict[str, Any]) -> float | None:
    text = item.get("createdDate")
    return None if text is None else parse_timestamp(text)


def make_field(name: str, kind: str, sortable: bool = True) -> Field:
    return Field(name, kind, dotted(name), sortable)


SPEC = EntitySpec(
    name="loyalty account",
    fields={
        "id": make_field("id", "string"),
        "contactId": make_field("contactId", "string"),
        "points.balance": make_field("points.balance", "number"),
        "points.earned": make_field("points.earned", "number"),
        "createdDate": Field("createdDate", "timestamp", timestamp_getter),
        "contact.name": make_field("contact.name", "string"),
        "contact.email": make_field("contact.email", "string"),
        "active": make_field("active", "boolean"),
        "notes": make_field("notes", "string", sortable=False),
    },
    default_sort=(SortKey("createdDate"),),
    default_limit=3,
    max_limit=10,
    max_sort=3,
    text_fields=("contact.name", "contact.email"),
)

ITEMS: list[dict[str, Any]] = [
    {
        "id": "a1",
        "contactId": "c1",
        "points": {"balance": 10, "earned": 20},
        "createdDate": "2026-01-01T00:00:00Z",
        "contact": {"name": "Alice Smith", "email": "alice@example.com"},
        "active": True,
    },
    {
        "id": "a2",
        "contactId": "c2",
        "points": {"balance": 0, "earned": 5},
        "createdDate": "2026-01-02T00:00:00Z",
        "contact": {"name": "Bob Stone", "email": "bob@example.com"},
        "active": False,
    },
    {
        "id": "a3",
        "contactId": "c3",
        "points": {"balance": 10},
        "createdDate": "2026-01-03T00:00:00Z",
        "contact": {"name": "carol", "email": ""},
        "active": True,
    },
    {
        "id": "a4",
        "contactId": "c4",
        "createdDate": "2026-01-04T00:00:00Z",
    },
    {
        "id": "a5",
        "contactId": "c5",
        "points": {"balance": 25, "earned": 25},
        "createdDate": "2026-01-05T00:00:00Z",
        "contact": {"name": "Alfred", "email": "alfred@example.org"},
        "active": False,
    },
]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def matching_ids(filter: Any) -> list[str]:
    return ids(select(ITEMS, SPEC, filter=filter))


def case_ids(cases: list[Any]) -> list[str]:
    return [json.dumps(case[0]) for case in cases]


def only_violation(error: pytest.ExceptionInfo[ValidationError]) -> FieldViolation:
    assert len(error.value.violations) == 1
    return error.value.violations[0]


# --- filters ---------------------------------------------------------------------------

FILTER_CASES = [
    ({"contactId": "c2"}, ["a2"]),
    ({"points.balance": {"$eq": 10}}, ["a1", "a3"]),
    ({"points.balance": None}, ["a4"]),
    ({"points.balance": {"$eq": None}}, ["a4"]),
    ({"points.balance": {"$ne": 10}}, ["a2", "a4", "a5"]),
    ({"points.balance": {"$ne": None}}, ["a1", "a2", "a3", "a5"]),
    ({"points.balance": {"$gt": 0}}, ["a1", "a3", "a5"]),
    ({"points.balance": {"$gte": 10}}, ["a1", "a3", "a5"]),
    ({"points.balance": {"$lt": 10}}, ["a2"]),
    ({"points.balance": {"$lte": 10}}, ["a1", "a2", "a3"]),
    ({"points.balance": {"$in": [0, 25]}}, ["a2", "a5"]),
    ({"points.balance": {"$in": [None, 0]}}, ["a2", "a4"]),
    ({"points.balance": {"$in": []}}, []),
    ({"points.balance": {"$nin": [0, 25]}}, ["a1", "a3", "a4"]),
    ({"points.balance": {"$hasSome": [0, 25]}}, ["a2", "a5"]),
    ({"points.balance": {"$any": [0, 25]}}, ["a2", "a5"]),
    ({"points.balance": {"$hasAll": [10]}}, ["a1", "a3"]),
    ({"points.balance": {"$hasAll": [10, 10]}}, ["a1", "a3"]),
    ({"points.balance": {"$hasAll": [10, 0]}}, []),
    ({"points.balance": {"$hasAll": []}}, []),
    ({"points.earned": {"$exists": True}}, ["a1", "a2", "a5"]),
    ({"points.earned": {"$exists": False}}, ["a3", "a4"]),
    ({"contact.email": {"$isEmpty": True}}, ["a3", "a4"]),
    ({"contact.email": {"$isEmpty": False}}, ["a1", "a2", "a5"]),
    ({"contact.name": {"$startsWith": "al"}}, ["a1", "a5"]),
    ({"contact.name": {"$startsWith": "AL"}}, ["a1", "a5"]),
    ({"contact.name": {"$begins": "al"}}, ["a1", "a5"]),
    ({"contact.name": {"$startsWith": ""}}, ["a1", "a2", "a3", "a5"]),
    ({"contact.name": "alice smith"}, []),
    ({"contact.name": {"$gt": "B"}}, ["a2", "a3"]),
    ({"active": True}, ["a1", "a3"]),
    ({"active": {"$ne": True}}, ["a2", "a4", "a5"]),
    ({"createdDate": {"$gte": "2026-01-03T00:00:00Z"}}, ["a3", "a4", "a5"]),
    ({"createdDate": {"$lt": {"$date": "2026-01-02T00:00:00.000Z"}}}, ["a1"]),
    ({"createdDate": "2026-01-02T01:00:00+01:00"}, ["a2"]),
    ({"createdDate": {"$date": "2026-01-02T00:00:00Z"}}, ["a2"]),
    ({"points.balance": {"$gt": "9"}}, ["a1", "a3", "a5"]),
    ({"points.balance": {"$lt": 9.5}}, ["a2"]),
    ({"points.balance": {"$in": ["0", 25.0]}}, ["a2", "a5"]),
    ({"points.balance": {"$gte": 1, "$lt": 20}}, ["a1", "a3"]),
    ({"points.balance": 10, "active": True}, ["a1", "a3"]),
    ({"points.balance": 10, "contactId": "c3"}, ["a3"]),
    ({"$and": [{"points.balance": {"$gte": 10}}, {"active": False}]}, ["a5"]),
    ({"$and": []}, ["a1", "a2", "a3", "a4", "a5"]),
    ({"$or": [{"contactId": "c1"}, {"points.balance": 0}]}, ["a1", "a2"]),
    ({"$or": []}, []),
    ({"$not": {"points.balance": 10}}, ["a2", "a4", "a5"]),
    ({"$not": {}}, []),
    (
        {
            "$or": [
                {"$and": [{"active": True}, {"contactId": "c3"}]},
                {"$not": {"active": {"$exists": True}}},
            ]
        },
        ["a3", "a4"],
    ),
    (
        {"contactId": {"$startsWith": "c"}, "$not": {"$or": [{"active": True}, {"active": None}]}},
        ["a2", "a5"],
    ),
    ({}, ["a1", "a2", "a3", "a4", "a5"]),
    (None, ["a1", "a2", "a3", "a4", "a5"]),
]


@pytest.mark.parametrize(("filter", "expected"), FILTER_CASES, ids=case_ids(FILTER_CASES))
def test_filter_matches_expected_items(filter: Any, expected: list[str]) -> None:
    assert matching_ids(filter) == expected


def test_compiled_filter_is_a_predicate() -> None:
    predicate = compile_filter({"points.balance": {"$gt": 5}}, SPEC)
    assert [predicate(item) for item in ITEMS] == [True, False, True, False, True]


FILTER_ERROR_CASES = [
    # (filter, violation field, texts the description must contain)
    ({"nope": 1}, "query.filter.nope", ["nope", "points.balance", "contactId"]),
    (
        {"points.balance": {"$regex": "x"}},
        "query.filter.points.balance",
        ["$regex", "$startsWith", "$hasAll"],
    ),
    ({"points.balance": {"$contains": 1}}, "query.filter.points.balance", ["$contains"]),
    ({"$nor": []}, "query.filter.$nor", ["$nor", "$and"]),
    ({"$and": [{"nope": 1}]}, "query.filter.$and[0].nope", ["nope"]),
    (
        {"$or": [{}, {"points.balance": {"$in": 3}}]},
        "query.filter.$or[1].points.balance",
        ["$in", "list"],
    ),
    ({"$not": {"$not": {"nope": 1}}}, "query.filter.$not.$not.nope", ["nope"]),
    ({"points.balance": {"$in": 0}}, "query.filter.points.balance", ["$in", "list"]),
    ({"points.balance": {"$nin": "0"}}, "query.filter.points.balance", ["$nin", "list"]),
    ({"points.balance": {"$hasAll": 10}}, "query.filter.points.balance", ["$hasAll", "list"]),
    ({"$and": {"active": True}}, "query.filter.$and", ["$and", "list of filter objects"]),
    ({"$or": [1]}, "query.filter.$or", ["$or", "list of filter objects"]),
    ({"$not": [{"active": True}]}, "query.filter.$not", ["$not", "filter object"]),
    ({"active": {"$exists": "yes"}}, "query.filter.active", ["$exists", "true or false"]),
    ({"active": {"$isEmpty": 1}}, "query.filter.active", ["$isEmpty", "true or false"]),
    ([], "query.filter", ["JSON object"]),
    ("points.balance > 1", "query.filter", ["JSON object"]),
    (
        {"points.balance": "abc"},
        "query.filter.points.balance",
        ["points.balance", "number", '"abc"'],
    ),
    ({"points.balance": True}, "query.filter.points.balance", ["number"]),
    ({"points.balance": {"$gt": "1_000"}}, "query.filter.points.balance", ["number"]),
    ({"points.balance": {"$in": [1, "x"]}}, "query.filter.points.balance", ["number", '"x"']),
    ({"contactId": 5}, "query.filter.contactId", ["contactId", "string"]),
    (
        {"createdDate": "yesterday"},
        "query.filter.createdDate",
        ["createdDate", "timestamp", "RFC 3339"],
    ),
    ({"createdDate": 1767225600}, "query.filter.createdDate", ["timestamp"]),
    ({"createdDate": {"$gt": {"$date": 5}}}, "query.filter.createdDate", ["timestamp"]),
    ({"active": "true"}, "query.filter.active", ["boolean", "true or false"]),
    ({"points.balance": {"$gt": None}}, "query.filter.points.balance", ["$gt", "null"]),
    (
        {"points.balance": {"$startsWith": "1"}},
        "query.filter.points.balance",
        ["$startsWith", "string fields"],
    ),
    ({"contact.name": {"$begins": 1}}, "query.filter.contact.name", ["$begins", "string prefix"]),
    ({"points.balance": {}}, "query.filter.points.balance", ["operators"]),
    ({"points.balance": {"$gt": 1, "max": 2}}, "query.filter.points.balance", ["operators"]),
    ({"points": {"balance": 1}}, "query.filter.points", ["points"]),
]


@pytest.mark.parametrize(
    ("filter", "path", "texts"),
    FILTER_ERROR_CASES,
    ids=case_ids(FILTER_ERROR_CASES),
)
def test_filter_error_names_field_and_problem(filter: Any, path: str, texts: list[str]) -> None:
    with pytest.raises(ValidationError) as error:
        compile_filter(filter, SPEC)
    violation = only_violation(error)
    assert violation.field == path
    for text in texts:
        assert text in violation.description


def test_filter_error_uses_request_prefix() -> None:
    with pytest.raises(ValidationError) as error:
        select(ITEMS, SPEC, filter={"nope": 1}, path="search")
    assert only_violation(error).field == "search.filter.nope"


def test_filter_error_without_prefix() -> None:
    with pytest.raises(ValidationError) as error:
        select(ITEMS, SPEC, filter={"nope": 1}, path="")
    assert only_violation(error).field == "filter.nope"


def test_wrong_value_type_rule_is_format() -> None:
    with pytest.raises(ValidationError) as error:
        compile_filter({"points.balance": "abc"}, SPEC)
    assert only_violation(error).violated_rule == "FORMAT"


def test_filter_error_is_http_400() -> None:
    with pytest.raises(ValidationError) as error:
        compile_filter({"nope": 1}, SPEC)
    assert error.value.status == 400


# --- free-text search ------------------------------------------------------------------

SEARCH_CASES = [
    ({"expression": "alice"}, ["a1"]),
    ({"expression": "ALICE"}, ["a1"]),
    ({"expression": "example.org"}, ["a5"]),
    ({"expression": "bob carol"}, ["a2", "a3"]),
    ({"mode": "OR", "expression": "bob carol"}, ["a2", "a3"]),
    ({"mode": "AND", "expression": "alice smith"}, ["a1"]),
    ({"mode": "AND", "expression": "alice bob"}, []),
    ({"mode": "AND", "expression": "alice example"}, ["a1"]),
    ({"expression": "smith", "fields": ["contact.email"]}, []),
    ({"expression": "smith", "fields": ["contact.name"]}, ["a1"]),
    ({"expression": "al", "fields": []}, ["a1", "a5"]),
    ({"expression": "alice", "fuzzy": True}, ["a1"]),
    ({"expression": ""}, ["a1", "a2", "a3", "a4", "a5"]),
    ({"expression": "   "}, ["a1", "a2", "a3", "a4", "a5"]),
    ({"mode": "AND"}, ["a1", "a2", "a3", "a4", "a5"]),
]


@pytest.mark.parametrize(("search", "expected"), SEARCH_CASES, ids=case_ids(SEARCH_CASES))
def test_text_search_matches_expected_items(search: Any, expected: list[str]) -> None:
    assert ids(select(ITEMS, SPEC, search=search, path="search")) == expected


def test_text_search_without_expression_is_none() -> None:
    assert compile_text_search({"mode": "OR", "fields": ["contact.name"]}, SPEC) is None


def test_text_search_combines_with_filter() -> None:
    found = select(
        ITEMS, SPEC, filter={"active": False}, search={"expression": "al"}, path="search"
    )
    assert ids(found) == ["a5"]


SEARCH_ERROR_CASES = [
    ("alice", "search.search", ["JSON object"]),
    ({"expression": "x" * 101}, "search.search.expression", ["101", "100"]),
    ({"expression": 5}, "search.search.expression", ["string"]),
    ({"mode": "XOR", "expression": "a"}, "search.search.mode", ["OR", "AND", "XOR"]),
    ({"fuzzy": "yes", "expression": "a"}, "search.search.fuzzy", ["true or false"]),
    (
        {"fields": ["contactId"], "expression": "a"},
        "search.search.fields[0]",
        ["contactId", "contact.email"],
    ),
    ({"fields": "contact.name", "expression": "a"}, "search.search.fields", ["list"]),
    ({"fields": ["contact.name"] * 21, "expression": "a"}, "search.search.fields", ["20"]),
]


@pytest.mark.parametrize(
    ("search", "path", "texts"),
    SEARCH_ERROR_CASES,
    ids=case_ids(SEARCH_ERROR_CASES),
)
def test_text_search_error_names_field(search: Any, path: str, texts: list[str]) -> None:
    with pytest.raises(ValidationError) as error:
        compile_text_search(search, SPEC)
    violation = only_violation(error)
    assert violation.field == path
    for text in texts:
        assert text in violation.description


def test_text_search_needs_searchable_fields() -> None:
    spec = EntitySpec("transaction", {"id": make_field("id", "string")}, (), 10)
    with pytest.raises(ValidationError) as error:
        compile_text_search({"expression": "a"}, spec)
    assert "transaction" in only_violation(error).description


# --- sort ------------------------------------------------------------------------------

SORT_CASES = [
    (None, ["a1", "a2", "a3", "a4", "a5"]),
    ([], ["a1", "a2", "a3", "a4", "a5"]),
    ([{"fieldName": "createdDate", "order": "DESC"}], ["a5", "a4", "a3", "a2", "a1"]),
    ([{"fieldName": "points.balance"}], ["a4", "a2", "a1", "a3", "a5"]),
    ([{"fieldName": "points.balance", "order": "ASC"}], ["a4", "a2", "a1", "a3", "a5"]),
    ([{"fieldName": "points.balance", "order": "DESC"}], ["a5", "a1", "a3", "a2", "a4"]),
    ([{"fieldName": "contact.name"}], ["a4", "a5", "a1", "a2", "a3"]),
    ([{"fieldName": "contact.name", "order": "DESC"}], ["a3", "a2", "a1", "a5", "a4"]),
    ([{"fieldName": "active"}], ["a4", "a2", "a5", "a1", "a3"]),
    ([{"fieldName": "active", "order": "DESC"}], ["a1", "a3", "a2", "a5", "a4"]),
    (
        [
            {"fieldName": "points.balance", "order": "DESC"},
            {"fieldName": "contact.name", "order": "DESC"},
        ],
        ["a5", "a3", "a1", "a2", "a4"],
    ),
    (
        [{"fieldName": "active", "order": "ASC"}, {"fieldName": "points.earned", "order": "DESC"}],
        ["a4", "a5", "a2", "a1", "a3"],
    ),
    ([{"fieldName": "id", "order": "DESC"}], ["a5", "a4", "a3", "a2", "a1"]),
    (
        [{"fieldName": "points.earned"}, {"fieldName": "id", "order": "DESC"}],
        ["a4", "a3", "a2", "a1", "a5"],
    ),
]


@pytest.mark.parametrize(("sort", "expected"), SORT_CASES, ids=case_ids(SORT_CASES))
def test_sort_orders_items(sort: Any, expected: list[str]) -> None:
    assert ids(select(ITEMS, SPEC, sort=sort)) == expected


def test_parse_sort_appends_id_tiebreak() -> None:
    keys = parse_sort([{"fieldName": "points.balance", "order": "DESC"}], SPEC)
    assert keys == (SortKey("points.balance", descending=True), SortKey("id"))


def test_parse_sort_keeps_explicit_id() -> None:
    keys = parse_sort([{"fieldName": "id", "order": "DESC"}, {"fieldName": "active"}], SPEC)
    assert keys == (SortKey("id", descending=True), SortKey("active"))


def test_parse_sort_default_gets_tiebreak() -> None:
    assert parse_sort(None, SPEC) == (SortKey("createdDate"), SortKey("id"))


def test_parse_sort_max_entries_override() -> None:
    raw = [{"fieldName": "active"}] * 4
    assert len(parse_sort(raw, SPEC, max_entries=4)) == 5


SORT_ERROR_CASES = [
    ([{"fieldName": "active"}] * 4, "query.sort", "MAX_SIZE", ["4", "3"]),
    ({"fieldName": "active"}, "query.sort", "FORMAT", ["list"]),
    (["active"], "query.sort[0]", "FORMAT", ["fieldName"]),
    ([{"order": "ASC"}], "query.sort[0].fieldName", "REQUIRED_FIELD", ["fieldName"]),
    ([{"fieldName": 3}], "query.sort[0].fieldName", "FORMAT", ["string"]),
    (
        [{"fieldName": "active"}, {"fieldName": "nope"}],
        "query.sort[1].fieldName",
        "OTHER",
        ["nope", "contactId"],
    ),
    ([{"fieldName": "notes"}], "query.sort[0].fieldName", "OTHER", ["notes", "points.balance"]),
    (
        [{"fieldName": "active", "order": "UP"}],
        "query.sort[0].order",
        "FORMAT",
        ["ASC", "DESC", "UP"],
    ),
    ([{"fieldName": "active", "order": "desc"}], "query.sort[0].order", "FORMAT", ["desc"]),
]


@pytest.mark.parametrize(
    ("sort", "path", "rule", "texts"),
    SORT_ERROR_CASES,
    ids=case_ids(SORT_ERROR_CASES),
)
def test_sort_error_names_field(sort: Any, path: str, rule: str, texts: list[str]) -> None:
    with pytest.raises(ValidationError) as error:
        parse_sort(sort, SPEC)
    violation = only_violation(error)
    assert violation.field == path
    assert violation.violated_rule == rule
    for text in texts:
        assert text in violation.description


def test_unsortable_field_is_still_filterable() -> None:
    assert matching_ids({"notes": {"$exists": False}}) == ["a1", "a2", "a3", "a4", "a5"]


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "expected"), [(None, 3), (2, 2), ("2", 2), (2.0, 2), (1, 1), (10, 5)]
)
def test_limit_sets_page_size(limit: Any, expected: int) -> None:
    assert len(run_page(ITEMS, SPEC, limit=limit).items) == expected


LIMIT_ERROR_CASES = [
    (0, "MIN"),
    (-1, "MIN"),
    ("-5", "MIN"),
    (11, "MAX"),
    ("1000", "MAX"),
    ("abc", "FORMAT"),
    (2.5, "FORMAT"),
    (True, "FORMAT"),
    ([2], "FORMAT"),
    ("", "FORMAT"),
]


@pytest.mark.parametrize(("limit", "rule"), LIMIT_ERROR_CASES, ids=case_ids(LIMIT_ERROR_CASES))
def test_limit_error_names_field_and_rule(limit: Any, rule: str) -> None:
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, limit=limit)
    violation = only_violation(error)
    assert violation.field == "query.cursorPaging.limit"
    assert violation.violated_rule == rule


def test_limit_error_uses_request_prefix() -> None:
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, limit=11, path="search")
    assert only_violation(error).field == "search.cursorPaging.limit"


# --- cursor paging ---------------------------------------------------------------------


def follow_next(items: list[dict[str, Any]], first: Page[dict[str, Any]]) -> list[list[str]]:
    pages = [ids(first.items)]
    page = first
    while page.next_cursor is not None:
        page = run_page(items, SPEC, cursor=page.next_cursor)
        pages.append(ids(page.items))
    return pages


def test_next_cursors_visit_every_item_once() -> None:
    first = run_page(ITEMS, SPEC, limit=2)
    assert follow_next(ITEMS, first) == [["a1", "a2"], ["a3", "a4"], ["a5"]]


def test_prev_cursors_walk_back_to_first_page() -> None:
    page = run_page(ITEMS, SPEC, limit=2)
    while page.next_cursor is not None:
        page = run_page(ITEMS, SPEC, cursor=page.next_cursor)
    pages = [ids(page.items)]
    while page.prev_cursor is not None:
        page = run_page(ITEMS, SPEC, cursor=page.prev_cursor)
        pages.append(ids(page.items))
    assert pages == [["a5"], ["a3", "a4"], ["a1", "a2"]]


def test_prev_page_next_cursor_goes_forward() -> None:
    second = run_page(ITEMS, SPEC, cursor=run_page(ITEMS, SPEC, limit=2).next_cursor)
    first_again = run_page(ITEMS, SPEC, cursor=second.prev_cursor)
    again = run_page(ITEMS, SPEC, cursor=first_again.next_cursor)
    assert ids(again.items) == ["a3", "a4"]


def test_first_page_metadata() -> None:
    metadata = run_page(ITEMS, SPEC, limit=2).paging_metadata()
    assert metadata["count"] == 2
    assert metadata["hasNext"] is True
    assert set(metadata["cursors"]) == {"next"}


def test_middle_page_metadata() -> None:
    first = run_page(ITEMS, SPEC, limit=2)
    metadata = run_page(ITEMS, SPEC, cursor=first.next_cursor).paging_metadata()
    assert metadata["hasNext"] is True
    assert set(metadata["cursors"]) == {"next", "prev"}


def test_last_page_metadata() -> None:
    first = run_page(ITEMS, SPEC, limit=3)
    metadata = run_page(ITEMS, SPEC, cursor=first.next_cursor).paging_metadata()
    assert metadata["count"] == 2
    assert metadata["hasNext"] is False
    assert set(metadata["cursors"]) == {"prev"}


def test_single_page_metadata() -> None:
    metadata = run_page(ITEMS, SPEC, limit=10).paging_metadata()
    assert metadata == {"count": 5, "cursors": {}, "hasNext": False}


def test_empty_result_metadata() -> None:
    metadata = run_page(ITEMS, SPEC, filter={"contactId": "none"}).paging_metadata()
    assert metadata == {"count": 0, "cursors": {}, "hasNext": False}


def test_cursor_alone_carries_filter_and_sort() -> None:
    filter = {"points.balance": {"$gte": 10}}
    sort = [{"fieldName": "points.balance", "order": "DESC"}]
    first = run_page(ITEMS, SPEC, filter=filter, sort=sort, limit=1)
    assert follow_next(ITEMS, first) == [["a5"], ["a1"], ["a3"]]


def test_cursor_alone_carries_text_search() -> None:
    first = run_page(ITEMS, SPEC, search={"expression": "example.com"}, limit=1, path="search")
    assert follow_next(ITEMS, first) == [["a1"], ["a2"]]


def test_cursor_overrides_request_query() -> None:
    first = run_page(ITEMS, SPEC, filter={"active": True}, limit=1)
    page = run_page(
        ITEMS,
        SPEC,
        filter={"active": False},
        sort=[{"fieldName": "id", "order": "DESC"}],
        cursor=first.next_cursor,
    )
    assert ids(page.items) == ["a3"]


def test_request_limit_overrides_cursor_limit() -> None:
    first = run_page(ITEMS, SPEC, limit=1)
    page = run_page(ITEMS, SPEC, cursor=first.next_cursor, limit=3)
    assert ids(page.items) == ["a2", "a3", "a4"]


def test_overridden_limit_carries_to_next_cursor() -> None:
    first = run_page(ITEMS, SPEC, limit=1)
    second = run_page(ITEMS, SPEC, cursor=first.next_cursor, limit=3)
    third = run_page(ITEMS, SPEC, cursor=second.next_cursor)
    assert ids(third.items) == ["a5"]


def test_cursor_limit_is_checked() -> None:
    first = run_page(ITEMS, SPEC, limit=1)
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, cursor=first.next_cursor, limit=11)
    assert only_violation(error).field == "query.cursorPaging.limit"


def test_empty_cursor_string_means_first_page() -> None:
    assert ids(run_page(ITEMS, SPEC, limit=2, cursor="").items) == ["a1", "a2"]


def test_cursor_is_base64url_text() -> None:
    cursor = run_page(ITEMS, SPEC, limit=2).next_cursor
    assert cursor is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)


def test_cursor_survives_json_round_trip() -> None:
    first = run_page(ITEMS, SPEC, limit=2)
    cursor = json.loads(json.dumps({"cursor": first.next_cursor}))["cursor"]
    assert ids(run_page(ITEMS, SPEC, cursor=cursor).items) == ["a3", "a4"]


def test_insert_before_boundary_keeps_next_page() -> None:
    items = list(ITEMS)
    first = run_page(items, SPEC, limit=2)
    items.insert(0, {"id": "a0", "contactId": "c0", "createdDate": "2025-12-31T00:00:00Z"})
    assert ids(run_page(items, SPEC, cursor=first.next_cursor).items) == ["a3", "a4"]


def test_insert_after_boundary_appears_on_next_page() -> None:
    items = list(ITEMS)
    first = run_page(items, SPEC, limit=2)
    items.append({"id": "a25", "contactId": "c9", "createdDate": "2026-01-02T12:00:00Z"})
    assert ids(run_page(items, SPEC, cursor=first.next_cursor).items) == ["a25", "a3"]


def test_deleted_boundary_item_keeps_position() -> None:
    first = run_page(ITEMS, SPEC, limit=2)
    remaining = [item for item in ITEMS if item["id"] != "a2"]
    assert ids(run_page(remaining, SPEC, cursor=first.next_cursor).items) == ["a3", "a4"]


def test_deleted_boundary_keeps_descending_string_position() -> None:
    sort = [{"fieldName": "contact.name", "order": "DESC"}]
    first = run_page(ITEMS, SPEC, sort=sort, limit=2)
    remaining = [item for item in ITEMS if item["id"] != "a2"]
    assert ids(run_page(remaining, SPEC, cursor=first.next_cursor).items) == ["a1", "a5"]


def test_empty_page_prev_cursor_reaches_last_page() -> None:
    first = run_page(ITEMS, SPEC, limit=2)
    page = run_page(ITEMS[:2], SPEC, cursor=first.next_cursor)
    assert page.items == []
    assert page.next_cursor is None
    assert page.prev_cursor is not None
    assert ids(run_page(ITEMS[:2], SPEC, cursor=page.prev_cursor).items) == ["a1", "a2"]


def test_empty_prev_page_next_cursor_reaches_first_page() -> None:
    second = run_page(ITEMS, SPEC, cursor=run_page(ITEMS, SPEC, limit=2).next_cursor)
    later_items = ITEMS[2:]
    page = run_page(later_items, SPEC, cursor=second.prev_cursor)
    assert page.items == []
    assert page.prev_cursor is None
    assert page.next_cursor is not None
    assert ids(run_page(later_items, SPEC, cursor=page.next_cursor).items) == ["a3", "a4"]


def encode(body: Any) -> str:
    text = json.dumps(body, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def real_cursor_body() -> dict[str, Any]:
    cursor = run_page(ITEMS, SPEC, limit=2).next_cursor
    assert cursor is not None
    return dict(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))


def tampered(**changes: Any) -> str:
    return encode(real_cursor_body() | changes)


BAD_CURSORS = {
    "garbage": "not a cursor!",
    "number": 123,
    "list": ["abc"],
    "base64 of text": encode("hello")[:-1] + "x",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe{").decode().rstrip("="),
    "json array": encode([1, 2]),
    "too long": "A" * 16001,
    "version": tampered(v=2),
    "unknown sort field": tampered(s=[["nope", False], ["id", False]]),
    "unsortable sort field": tampered(s=[["notes", False], ["id", False]]),
    "sort without tiebreak": tampered(s=[["createdDate", False]], k=[1.0]),
    "sort entry shape": tampered(s=[["createdDate"], ["id", False]]),
    "boundary length": tampered(k=[1.0]),
    "boundary type": tampered(k=["yesterday", "a2"]),
    "boolean as number": tampered(k=[True, "a2"]),
    "direction": tampered(d="sideways"),
    "limit zero": tampered(l=0),
    "limit too big": tampered(l=11),
    "limit type": tampered(l="2"),
    "bad filter": tampered(f={"nope": 1}),
    "bad search": tampered(q={"mode": "XOR"}),
}


@pytest.mark.parametrize("cursor", list(BAD_CURSORS.values()), ids=list(BAD_CURSORS))
def test_invalid_cursor_names_cursor_field(cursor: Any) -> None:
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, cursor=cursor)
    violation = only_violation(error)
    assert violation.field == "query.cursorPaging.cursor"
    assert "cursor is invalid" in violation.description
    assert "without a cursor" in violation.description


def test_truncated_cursor_is_rejected() -> None:
    cursor = run_page(ITEMS, SPEC, limit=2).next_cursor
    assert cursor is not None
    with pytest.raises(ValidationError):
        run_page(ITEMS, SPEC, cursor=cursor[: len(cursor) // 2])


def test_invalid_cursor_uses_request_prefix() -> None:
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, cursor="garbage!", path="search")
    assert only_violation(error).field == "search.cursorPaging.cursor"


def test_hand_built_cursor_is_accepted() -> None:
    assert ids(run_page(ITEMS, SPEC, cursor=tampered(l=1)).items) == ["a3"]


# --- spec checks -----------------------------------------------------------------------


def test_field_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        Field("x", "integer", dotted("x"))


def test_spec_rejects_missing_id_field() -> None:
    with pytest.raises(ValueError, match="id field"):
        EntitySpec("thing", {"name": make_field("name", "string")}, (), 10)


def test_spec_rejects_non_string_text_field() -> None:
    fields = {"id": make_field("id", "string"), "count": make_field("count", "number")}
    with pytest.raises(ValueError, match="text field"):
        EntitySpec("thing", fields, (), 10, text_fields=("count",))


def test_long_filter_cursor_is_compressed() -> None:
    many_ids = [f"{index:08d}-0000-4000-8000-000000000000" for index in range(400)]
    wanted = {"id": {"$in": [*many_ids, *[item["id"] for item in ITEMS]]}}
    first = run_page(ITEMS, SPEC, filter=wanted, limit=2)
    assert first.next_cursor is not None
    assert first.next_cursor.startswith("z.")
    second = run_page(ITEMS, SPEC, cursor=first.next_cursor)
    assert ids(second.items) == ids(select(ITEMS, SPEC, filter=wanted))[2:4]


def test_compressed_cursor_garbage_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        run_page(ITEMS, SPEC, cursor="z." + base64.urlsafe_b64encode(b"not zlib").decode())
    assert only_violation(error).field == "query.cursorPaging.cursor"
