"""Sort parsing and the sort keys that order items.

A sort key is a tuple that Python compares natively, so sorting calls no Python code per
comparison unless a string field sorts descending. Missing values (None) sort before
every value in ascending order and after every value in descending order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.errors import invalid

from .fields import EntitySpec, SortKey, lookup_field
from .values import describe_json

SORT_ORDERS = ("ASC", "DESC")

KeyFunction = Callable[[Any], tuple[Any, ...]]
Transform = Callable[[Any], Any]


def parse_sort(
    raw: Any, spec: EntitySpec, path: str = "query.sort", max_entries: int | None = None
) -> tuple[SortKey, ...]:
    """Parse a Wix sort list into sort keys that end with the id tiebreak.

    None or ``[]`` gives ``spec.default_sort``. The id field is appended in ascending
    order unless the sort already contains it, so the order of items is total.
    ``max_entries`` defaults to ``spec.max_sort``.
    """
    maximum = spec.max_sort if max_entries is None else max_entries
    if raw is None or raw == []:
        return with_tiebreak(spec.default_sort, spec)
    if not isinstance(raw, list):
        raise invalid(
            path, f"Sort must be a list of sort objects (got {describe_json(raw)}).", "FORMAT"
        )
    if len(raw) > maximum:
        raise invalid(
            path, f"Sort has {len(raw)} entries, but the maximum is {maximum}.", "MAX_SIZE"
        )
    keys = tuple(_parse_entry(entry, spec, f"{path}[{index}]") for index, entry in enumerate(raw))
    return with_tiebreak(keys, spec)


def with_tiebreak(keys: Sequence[SortKey], spec: EntitySpec) -> tuple[SortKey, ...]:
    """Append an ascending sort on ``spec.id_field`` unless ``keys`` already sort on it."""
    if any(key.field == spec.id_field for key in keys):
        return tuple(keys)
    return (*keys, SortKey(spec.id_field))


def _parse_entry(entry: Any, spec: EntitySpec, path: str) -> SortKey:
    if not isinstance(entry, dict):
        raise invalid(
            path,
            f'A sort entry must be an object like {{"fieldName": "id", "order": "ASC"}} '
            f"(got {describe_json(entry)}).",
            "FORMAT",
        )
    name = entry.get("fieldName")
    name_path = f"{path}.fieldName"
    if name is None:
        raise invalid(name_path, "The sort field name is missing.", "REQUIRED_FIELD")
    if not isinstance(name, str):
        raise invalid(
            name_path,
            f"The sort field name must be a string (got {describe_json(name)}).",
            "FORMAT",
        )
    if not lookup_field(spec, name, name_path).sortable:
        sortable = ", ".join(sorted(field.name for field in spec.fields.values() if field.sortable))
        raise invalid(
            name_path, f'Field "{name}" cannot be sorted on. Sortable fields: {sortable}.'
        )
    order = entry.get("order")
    if order is not None and order not in SORT_ORDERS:
        raise invalid(
            f"{path}.order", f"Order must be ASC or DESC (got {describe_json(order)}).", "FORMAT"
        )
    return SortKey(name, order == "DESC")


class _Lowest:
    """A sentinel that compares below every string, used for missing strings."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return other is not self

    def __le__(self, other: object) -> bool:
        return True

    def __gt__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return other is self

    def __repr__(self) -> str:
        return "LOWEST"


LOWEST = _Lowest()


class Descending:
    """A wrapper that reverses the order of a string (or LOWEST) inside a sort key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Descending) -> bool:
        return bool(other.value < self.value)

    def __le__(self, other: Descending) -> bool:
        return bool(other.value <= self.value)

    def __gt__(self, other: Descending) -> bool:
        return bool(other.value > self.value)

    def __ge__(self, other: Descending) -> bool:
        return bool(other.value >= self.value)


_NEGATIVE_INFINITY = float("-inf")
_POSITIVE_INFINITY = float("inf")


def _ascending_number(value: Any) -> Any:
    return _NEGATIVE_INFINITY if value is None else value


def _descending_number(value: Any) -> Any:
    return _POSITIVE_INFINITY if value is None else -value


def _ascending_string(value: Any) -> Any:
    return LOWEST if value is None else value


def _descending_string(value: Any) -> Any:
    return Descending(LOWEST if value is None else value)


def _transform(kind: str, descending: bool) -> Transform:
    # Booleans and timestamps compare as numbers (False < True, epoch seconds).
    if kind == "string":
        return _descending_string if descending else _ascending_string
    return _descending_number if descending else _ascending_number


@dataclass(frozen=True)
class SortPlan:
    """A compiled sort: the key function for items and the raw values a cursor stores."""

    keys: tuple[SortKey, ...]
    getters: tuple[Callable[[Any], Any], ...]
    transforms: tuple[Transform, ...]
    key: KeyFunction

    def values(self, item: Any) -> list[Any]:
        """Return the item's raw sort values, which are JSON-safe and rebuild its key."""
        return [get(item) for get in self.getters]

    def key_from_values(self, values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            transform(value) for transform, value in zip(self.transforms, values, strict=True)
        )


def compile_sort(keys: Sequence[SortKey], spec: EntitySpec) -> SortPlan:
    """Build the key function for sort keys that ``parse_sort`` returned."""
    fields = [spec.fields[key.field] for key in keys]
    getters = tuple(field.get for field in fields)
    transforms = tuple(
        _transform(field.kind, key.descending) for field, key in zip(fields, keys, strict=True)
    )
    return SortPlan(tuple(keys), getters, transforms, _key_function(getters, transforms))


def _key_function(
    getters: Sequence[Callable[[Any], Any]], transforms: Sequence[Transform]
) -> KeyFunction:
    # Fixed-size tuples for the usual one or two sort fields plus the id avoid the
    # slower generic loop, which matters when a page is cut from 100,000 items.
    parts = list(zip(getters, transforms, strict=True))
    if len(parts) == 1:
        ((get0, to0),) = parts
        return lambda item: (to0(get0(item)),)
    if len(parts) == 2:
        (get0, to0), (get1, to1) = parts
        return lambda item: (to0(get0(item)), to1(get1(item)))
    if len(parts) == 3:
        (get0, to0), (get1, to1), (get2, to2) = parts
        return lambda item: (to0(get0(item)), to1(get1(item)), to2(get2(item)))
    return lambda item: tuple([to(get(item)) for get, to in parts])
