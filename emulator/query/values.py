"""Conversion of JSON filter arguments to the Python types that field getters return."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from emulator.clock import parse_timestamp
from emulator.errors import invalid

from .fields import Field

# Protobuf JSON sends int64 values as strings, so number fields also take numeric strings.
# ASCII digits only, and short enough that int() and float() cannot fail on them.
_NUMERIC_STRING = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?")

_EXPECTED = {
    "string": "a string",
    "number": "a number or a numeric string",
    "timestamp": 'an RFC 3339 timestamp string or {"$date": "<RFC 3339 timestamp>"}',
    "boolean": "true or false",
}


def describe_json(value: Any) -> str:
    """Render a request value for an error message, shortened to 80 characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def coerce_value(value: Any, field: Field, path: str) -> Any:
    """Convert a non-null filter argument to the field's type or raise ValidationError."""
    converted: Any
    if field.kind == "number":
        converted = _to_number(value)
    elif field.kind == "timestamp":
        converted = _to_timestamp(value)
    elif field.kind == "boolean":
        converted = value if isinstance(value, bool) else None
    else:
        converted = value if isinstance(value, str) else None
    if converted is None:
        raise invalid(
            path,
            f'"{field.name}" is a {field.kind} field, so the value must be '
            f"{_EXPECTED[field.kind]} (got {describe_json(value)}).",
            "FORMAT",
        )
    return converted


def coerce_optional(value: Any, field: Field, path: str) -> Any:
    """Convert a filter argument like ``coerce_value`` but pass null through as None."""
    return None if value is None else coerce_value(value, field, path)


def _to_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMERIC_STRING.fullmatch(value.strip()):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        number = float(text)
        return number if math.isfinite(number) else None
    return None


def _to_timestamp(value: Any) -> float | None:
    if isinstance(value, dict) and set(value) == {"$date"}:
        value = value["$date"]
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
