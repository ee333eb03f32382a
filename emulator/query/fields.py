"""Field descriptions that tell the query engine how to read and compare one kind of entity."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.errors import invalid

FIELD_KINDS = ("string", "number", "timestamp", "boolean")


@dataclass(frozen=True)
class Field:
    """A filterable field of an entity.

    ``get`` returns the field's value for one item, or None when the item has no value.
    Timestamps are epoch seconds as floats.
    """

    name: str
    kind: str
    get: Callable[[Any], Any]
    sortable: bool = True

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(
                f"field {self.name!r} has kind {self.kind!r}, expected one of {FIELD_KINDS}"
            )


@dataclass(frozen=True)
class SortKey:
    """One sort criterion: a field path and its direction."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class EntitySpec:
    """The fields, defaults and limits that one list-like endpoint applies to its entity."""

    name: str
    fields: Mapping[str, Field]
    default_sort: tuple[SortKey, ...]
    default_limit: int
    max_limit: int = 100
    max_sort: int = 5
    text_fields: tuple[str, ...] = ()
    id_field: str = "id"

    def __post_init__(self) -> None:
        # A spec is written by the emulator's own code, so a wrong one is a programming error.
        if self.id_field not in self.fields:
            raise ValueError(f"id field {self.id_field!r} is not among the fields of {self.name}")
        for key in self.default_sort:
            if key.field not in self.fields:
                raise ValueError(f"default sort field {key.field!r} is not a field of {self.name}")
        for name in self.text_fields:
            if name not in self.fields or self.fields[name].kind != "string":
                raise ValueError(f"text field {name!r} is not a string field of {self.name}")
        if not 1 <= self.default_limit <= self.max_limit:
            raise ValueError(f"default limit {self.default_limit} is outside 1..{self.max_limit}")


def join_path(prefix: str, name: str) -> str:
    """Append ``name`` to a dotted request path. An empty prefix gives ``name`` alone."""
    return f"{prefix}.{name}" if prefix else name


def lookup_field(spec: EntitySpec, name: str, path: str) -> Field:
    """Return the field named ``name``, or raise ValidationError on ``path`` if there is none."""
    field = spec.fields.get(name)
    if field is None:
        supported = ", ".join(sorted(spec.fields))
        raise invalid(
            path,
            f'Field "{name}" is not supported for a {spec.name}. Supported fields: {supported}.',
        )
    return field
