"""Compilation of Wix filter objects into item predicates."""

from __future__ import annotations

from typing import Any

from emulator.errors import invalid

from .fields import EntitySpec, Field, lookup_field
from .operators import FIELD_OPERATORS, Predicate, build_equals, match_all, match_none, negate
from .values import describe_json

LOGICAL_OPERATORS = ("$and", "$or", "$not")


def compile_filter(raw: Any, spec: EntitySpec, path: str = "query.filter") -> Predicate:
    """Compile a filter object into a predicate, or raise ValidationError on an invalid part.

    None and ``{}`` match every item. Keys of one object are AND-ed. ``path`` is the
    request path of ``raw`` and prefixes the ``field`` of every violation.
    """
    if raw is None:
        return match_all
    if not isinstance(raw, dict):
        raise invalid(path, f"A filter must be a JSON object (got {describe_json(raw)}).", "FORMAT")
    predicates = [_compile_entry(key, value, spec, path) for key, value in raw.items()]
    return all_of(predicates)


def all_of(predicates: list[Predicate]) -> Predicate:
    """Combine predicates with AND, skipping the loop for zero, one or two of them."""
    checks = [predicate for predicate in predicates if predicate is not match_all]
    if not checks:
        return match_all
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda item: first(item) and second(item)

    def match(item: Any) -> bool:
        return all(check(item) for check in checks)

    return match


def _any_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return match_none
    if len(predicates) == 1:
        return predicates[0]

    def match(item: Any) -> bool:
        return any(check(item) for check in predicates)

    return match


def _compile_entry(key: str, value: Any, spec: EntitySpec, path: str) -> Predicate:
    if key in ("$and", "$or"):
        parts = _compile_filter_list(key, value, spec, f"{path}.{key}")
        return all_of(parts) if key == "$and" else _any_of(parts)
    if key == "$not":
        if not isinstance(value, dict):
            raise invalid(
                f"{path}.$not",
                f"$not needs a filter object (got {describe_json(value)}).",
                "FORMAT",
            )
        return negate(compile_filter(value, spec, f"{path}.$not"))
    if key.startswith("$"):
        raise invalid(
            f"{path}.{key}",
            f'Operator "{key}" is not supported at the top level of a filter. '
            f"Use one of {', '.join(LOGICAL_OPERATORS)} or a field name.",
        )
    field_path = f"{path}.{key}"
    field = lookup_field(spec, key, field_path)
    return _compile_condition(field, value, field_path)


def _compile_filter_list(key: str, value: Any, spec: EntitySpec, path: str) -> list[Predicate]:
    if not isinstance(value, list) or not all(isinstance(part, dict) for part in value):
        raise invalid(
            path, f"{key} needs a list of filter objects (got {describe_json(value)}).", "FORMAT"
        )
    return [compile_filter(part, spec, f"{path}[{index}]") for index, part in enumerate(value)]


def _is_operator_object(value: Any) -> bool:
    # {"$date": "..."} is a timestamp literal, not an operator.
    return isinstance(value, dict) and set(value) != {"$date"}


def _compile_condition(field: Field, value: Any, path: str) -> Predicate:
    if not _is_operator_object(value):
        return build_equals(field, value, path)
    if not value or not all(isinstance(name, str) and name.startswith("$") for name in value):
        raise invalid(
            path,
            f"A condition must be a value or an object of operators such as "
            f'{{"$gt": 1}} (got {describe_json(value)}).',
            "FORMAT",
        )
    predicates = []
    for name, argument in value.items():
        builder = FIELD_OPERATORS.get(name)
        if builder is None:
            supported = ", ".join(FIELD_OPERATORS)
            raise invalid(
                path,
                f'Operator "{name}" is not supported. Supported operators: {supported}.',
            )
        predicates.append(builder(field, argument, path, name))
    return all_of(predicates)
