"""Field operators of the Wix query language, each compiled to a predicate over items.

Every builder checks the operator's argument once and returns a closure, so matching an
item never parses the filter again. Fields hold scalars: ``$hasSome`` on a field is the
same test as ``$in``, and ``$hasAll`` matches when every listed value equals the field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from emulator.errors import invalid

from .fields import Field
from .values import coerce_optional, coerce_value, describe_json

Predicate = Callable[[Any], bool]
OperatorBuilder = Callable[[Field, Any, str, str], Predicate]


def match_all(item: Any) -> bool:
    return True


def match_none(item: Any) -> bool:
    return False


def negate(predicate: Predicate) -> Predicate:
    def match(item: Any) -> bool:
        return not predicate(item)

    return match


def build_equals(field: Field, argument: Any, path: str, name: str = "$eq") -> Predicate:
    """Compile equality. A null argument matches items without a value."""
    expected = coerce_optional(argument, field, path)
    get = field.get
    if expected is None:
        return lambda item: get(item) is None
    return lambda item: get(item) == expected


def _build_not_equals(field: Field, argument: Any, path: str, name: str) -> Predicate:
    return negate(build_equals(field, argument, path, name))


def _range_builder(compare: Callable[[Any, Any], bool]) -> OperatorBuilder:
    def build(field: Field, argument: Any, path: str, name: str) -> Predicate:
        if argument is None:
            raise invalid(path, f"{name} needs a value to compare with, not null.", "FORMAT")
        bound = coerce_value(argument, field, path)
        get = field.get

        def match(item: Any) -> bool:
            value = get(item)
            return value is not None and compare(value, bound)

        return match

    return build


def _members(field: Field, argument: Any, path: str, name: str) -> frozenset[Any]:
    if not isinstance(argument, list):
        raise invalid(
            path,
            f"{name} needs a list of values (got {describe_json(argument)}).",
            "FORMAT",
        )
    return frozenset(coerce_optional(value, field, path) for value in argument)


def _build_in(field: Field, argument: Any, path: str, name: str) -> Predicate:
    members = _members(field, argument, path, name)
    get = field.get
    return lambda item: get(item) in members


def _build_not_in(field: Field, argument: Any, path: str, name: str) -> Predicate:
    return negate(_build_in(field, argument, path, name))


def _build_has_all(field: Field, argument: Any, path: str, name: str) -> Predicate:
    members = _members(field, argument, path, name)
    # A scalar equals every listed value only when the list has one distinct value.
    # An empty list matches nothing, as MongoDB's $all does.
    if len(members) != 1:
        return match_none
    (only,) = members
    get = field.get
    return lambda item: get(item) == only


def _flag(argument: Any, path: str, name: str) -> bool:
    if not isinstance(argument, bool):
        raise invalid(
            path, f"{name} needs true or false (got {describe_json(argument)}).", "FORMAT"
        )
    return argument


def _build_exists(field: Field, argument: Any, path: str, name: str) -> Predicate:
    expected = _flag(argument, path, name)
    get = field.get
    return lambda item: (get(item) is not None) == expected


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _build_is_empty(field: Field, argument: Any, path: str, name: str) -> Predicate:
    expected = _flag(argument, path, name)
    get = field.get
    return lambda item: _is_empty(get(item)) == expected


def _build_starts_with(field: Field, argument: Any, path: str, name: str) -> Predicate:
    if field.kind != "string":
        raise invalid(
            path, f'{name} works only on string fields, and "{field.name}" is a {field.kind} field.'
        )
    if not isinstance(argument, str):
        raise invalid(
            path, f"{name} needs a string prefix (got {describe_json(argument)}).", "FORMAT"
        )
    prefix = argument.casefold()
    get = field.get

    def match(item: Any) -> bool:
        value = get(item)
        return value is not None and value.casefold().startswith(prefix)

    return match


FIELD_OPERATORS: dict[str, OperatorBuilder] = {
    "$eq": build_equals,
    "$ne": _build_not_equals,
    "$gt": _range_builder(operator.gt),
    "$gte": _range_builder(operator.ge),
    "$lt": _range_builder(operator.lt),
    "$lte": _range_builder(operator.le),
    "$in": _build_in,
    "$nin": _build_not_in,
    "$hasSome": _build_in,
    "$any": _build_in,
    "$hasAll": _build_has_all,
    "$exists": _build_exists,
    "$isEmpty": _build_is_empty,
    "$startsWith": _build_starts_with,
    "$begins": _build_starts_with,
}
