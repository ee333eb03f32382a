"""Read request fields the way Wix's protobuf-JSON gateway does.

Unknown fields are ignored. Integer fields take JSON numbers, numeric strings (the
JSON form of int64) and whole floats. Every rejection is a ``ValidationError`` that
names the field by its dotted request path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import FieldViolation, ValidationError, WixError, invalid

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
INT64_TEXT = re.compile(r"^-?[0-9]{1,19}$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _parse_int64(text: str) -> int:
    # Wix's protobuf integers are at most 64 bits, and orjson, which encodes responses,
    # cannot write larger ones. A value that could not be returned is not stored.
    if len(text.lstrip("-")) > 19:
        raise ValueError(f"the integer {text[:30]}... does not fit in 64 bits")
    number = int(text)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"the integer {text} does not fit in 64 bits")
    return number


def _parse_finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text} is too large")
    return number


# Wix request bodies nest a few levels. Deeper JSON is rejected before anything stores
# it, because rendering or journaling a very deep value would exhaust the stack.
MAX_JSON_DEPTH = 64


def json_depth(value: Any) -> int:
    """Return how deeply ``value`` nests arrays and objects, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _decode_json(raw: bytes) -> Any:
    """Parse JSON, rejecting what a later JSON response could not carry.

    Python's parser accepts NaN, Infinity, numbers that overflow to infinity and
    escapes of lone UTF-16 surrogates such as "\\ud800". Stored in an account or the
    program, any of them would make every later response that renders it fail.
    """
    try:
        body = json.loads(
            raw,
            parse_constant=_reject_constant,
            parse_float=_parse_finite_float,
            parse_int=_parse_int64,
        )
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise WixError(f"the request body is not valid JSON: {exc}") from None
    except UnicodeError:
        raise WixError(
            "the request body is not valid UTF-8 JSON: it contains invalid bytes "
            "or an unpaired UTF-16 surrogate escape such as \\ud800"
        ) from None
    except RecursionError:
        raise WixError("the request body nests JSON arrays or objects too deeply") from None
    except ValueError as exc:
        # Raised by the hooks above and for integers longer than Python's digit limit.
        raise WixError(f"the request body contains an invalid number: {exc}") from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise WixError(
            f"the request body nests JSON arrays or objects more than {MAX_JSON_DEPTH} levels deep"
        )
    return body


def json_type(value: Any) -> str:
    """Name the JSON type of a decoded value: object, array, string, number, boolean, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a number"


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body; an empty body is ``{}``."""
    if not raw.strip():
        return {}
    body = _decode_json(raw)
    if not isinstance(body, dict):
        raise WixError(
            f"the request body must be a JSON object, not {json_type(body)}",
            code="INVALID_ARGUMENT",
        )
    return body


def to_int(value: Any, field: str) -> int:
    """Convert a JSON value to an int or raise a FORMAT violation on ``field``."""
    if isinstance(value, bool):
        raise invalid(field, f"must be an integer, got {json.dumps(value)}", "FORMAT")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and INT64_TEXT.match(value.strip()):
        return int(value.strip())
    raise invalid(field, f"must be an integer, got {json.dumps(value)}", "FORMAT")


def check_range(number: int, field: str, minimum: int | None, maximum: int | None) -> int:
    if minimum is not None and number < minimum:
        raise invalid(field, f"must be at least {minimum}, got {number}", "MIN")
    if maximum is not None and number > maximum:
        raise invalid(field, f"must be at most {maximum}, got {number}", "MAX")
    return number


def read_int(
    body: Mapping[str, Any],
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    required: bool = False,
    prefix: str = "",
) -> int | None:
    field = prefix + name
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(field, "is required", "REQUIRED_FIELD")
        return None
    return check_range(to_int(value, field), field, minimum, maximum)


def read_str(
    body: Mapping[str, Any],
    name: str,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    required: bool = False,
    guid: bool = False,
    prefix: str = "",
) -> str | None:
    field = prefix + name
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(field, "is required", "REQUIRED_FIELD")
        return None
    if not isinstance(value, str):
        raise invalid(field, f"must be a string, got {json.dumps(value)}", "FORMAT")
    return check_text(value, field, min_length=min_length, max_length=max_length, guid=guid)


def check_text(
    value: str,
    field: str,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    guid: bool = False,
) -> str:
    if guid and not GUID.match(value):
        raise invalid(field, f"must be a GUID, got {json.dumps(value)}", "FORMAT")
    if len(value) < min_length:
        if min_length == 1:
            raise invalid(field, "must not be empty", "MIN_LENGTH")
        raise invalid(field, f"must be at least {min_length} characters long", "MIN_LENGTH")
    if max_length is not None and len(value) > max_length:
        raise invalid(
            field,
            f"must be at most {max_length} characters long, got {len(value)}",
            "MAX_LENGTH",
        )
    return value.lower() if guid else value


def read_object(body: Mapping[str, Any], name: str, *, prefix: str = "") -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(prefix + name, f"must be an object, got {json.dumps(value)}", "FORMAT")
    return value


def collect(*checks: Any) -> None:
    """Run zero-argument callables and raise one ValidationError with every violation."""
    violations: list[FieldViolation] = []
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            violations.extend(exc.violations)
    if violations:
        raise ValidationError(violations)
