"""Sort parsing and the sort keys that order items.

A sort key is a tuple of numbers and strings that Python compares natively, so sorting
calls no Python code per comparison. Missing values (None) sort before every value in
ascending order and after every value in descending order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.errors import invalid

from .fields import EntitySpec, Field, SortKey, lookup_field
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
        raise invalid(
            name_path,
            "The sort entry has no fieldName. Add the name of the field to sort on.",
            "REQUIRED_FIELD",
        )
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
_NEGATIVE_INFINITY = float("-inf")
_POSITIVE_INFINITY = float("inf")


def _ascending_number(value: Any) -> Any:
    return _NEGATIVE_INFINITY if value is None else value


def _descending_number(value: Any) -> Any:
    return _POSITIVE_INFINITY if value is None else -value


def _ascending_string(value: Any) -> Any:
    return LOWEST if value is None else value


class _DescendingStrings:
    """Negated ranks of the distinct values of one string field, for a descending sort.

    Strings cannot be negated, so each value is replaced by minus its position among the
    sorted distinct values of the items being ordered. A boundary value from a cursor
    that no item has any more gets a rank halfway between its neighbours.
    """

    def __init__(self, values: Iterable[Any]) -> None:
        self.sorted_values = sorted({value for value in values if value is not None})
        self.negated_ranks: dict[Any, Any] = {
            value: -rank for rank, value in enumerate(self.sorted_values)
        }
        self.negated_ranks[None] = _POSITIVE_INFINITY

    def boundary_rank(self, value: Any) -> Any:
        if value is None:
            return _POSITIVE_INFINITY
        position = bisect_left(self.sorted_values, value)
        if position < len(self.sorted_values) and self.sorted_values[position] == value:
            return -position
        return -(position - 0.5)


@dataclass(frozen=True)
class BoundSort:
    """A sort key function for one set of items, and the matching key of a cursor boundary."""

    key: KeyFunction
    boundary_transforms: tuple[Transform, ...]

    def boundary_key(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """Return the sort key of an item whose raw sort values are ``values``."""
        pairs = zip(self.boundary_transforms, values, strict=True)
        return tuple(transform(value) for transform, value in pairs)


@dataclass(frozen=True)
class SortPlan:
    """A parsed sort with the fields it reads."""

    keys: tuple[SortKey, ...]
    fields: tuple[Field, ...]

    def values(self, item: Any) -> list[Any]:
        """Return the item's raw sort values, which are JSON-safe and rebuild its key."""
        return [field.get(item) for field in self.fields]

    def bind(self, items: Sequence[Any]) -> BoundSort:
        """Build the key function for ordering ``items``.

        When a string field sorts descending, the key function raises KeyError for an
        item outside ``items``, because its value has no rank.
        """
        item_transforms: list[Transform] = []
        boundary_transforms: list[Transform] = []
        for key, field in zip(self.keys, self.fields, strict=True):
            if field.kind == "string" and key.descending:
                ranks = _DescendingStrings(map(field.get, items))
                item_transforms.append(ranks.negated_ranks.__getitem__)
                boundary_transforms.append(ranks.boundary_rank)
                continue
            # Booleans and timestamps compare as numbers (False < True, epoch seconds).
            if field.kind == "string":
                transform = _ascending_string
            else:
                transform = _descending_number if key.descending else _ascending_number
            item_transforms.append(transform)
            boundary_transforms.append(transform)
        getters = [field.get for field in self.fields]
        key_function = _key_function(getters, item_transforms)
        return BoundSort(key_function, tuple(boundary_transforms))


def compile_sort(keys: Sequence[SortKey], spec: EntitySpec) -> SortPlan:
    """Look up the fields of sort keys that ``parse_sort`` returned."""
    return SortPlan(tuple(keys), tuple(spec.fields[key.field] for key in keys))


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
