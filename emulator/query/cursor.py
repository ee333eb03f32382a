"""Paging cursors: base64url-encoded compact JSON that carries a whole query.

The Wix SDK sends only ``{"cursorPaging": {"cursor", "limit"}}`` for follow-up pages,
so a cursor stores the filter, the free-text search, the sort and the page size. Its
position is a keyset: the raw sort values of the item that the page starts after
(direction "next") or ends before (direction "prev"). Inserted or deleted items
therefore never shift a page the way an offset would. A cursor is encoded, not signed,
so every part is checked again when it comes back.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from emulator.errors import ValidationError, invalid
from emulator.validation import MAX_JSON_DEPTH, json_depth

from .fields import EntitySpec, Field, SortKey
from .sorting import with_tiebreak

CURSOR_VERSION = 1
# The documented maximum length of CursorPaging.cursor.
MAX_CURSOR_LENGTH = 16000
DIRECTIONS = ("next", "prev")

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# Cursors whose JSON is longer than this many bytes are zlib-compressed and carry the
# prefix, which cannot start a base64url string because "." is not in its alphabet.
COMPRESS_ABOVE = 1024
COMPRESSED_PREFIX = "z."
# A cursor that is still longer than MAX_CURSOR_LENGTH after compression (a filter with
# thousands of IDs) is kept in memory and handed out as this prefix plus a random ID.
# The newest MAX_STORED_CURSORS are kept, in this process only, so such a cursor does
# not survive a restart.
STORED_PREFIX = "r."
MAX_STORED_CURSORS = 100
_stored: OrderedDict[str, str] = OrderedDict()
_stored_lock = threading.Lock()
# The largest decompressed cursor accepted, against a compressed bomb.
MAX_CURSOR_JSON = 1_000_000


@dataclass(frozen=True)
class CursorState:
    """The decoded content of a cursor.

    ``boundary`` contains the raw sort values (id included) of the item the page starts
    after or ends before. None means the open end: the first page for direction "next",
    the last page for direction "prev".
    """

    filter: Any
    search: Any
    sort: tuple[SortKey, ...]
    boundary: list[Any] | None
    direction: str
    limit: int


def encode_cursor(state: CursorState) -> str:
    """Encode a cursor as unpadded base64url of compact JSON."""
    body = {
        "v": CURSOR_VERSION,
        "f": state.filter,
        "q": state.search,
        "s": [[key.field, key.descending] for key in state.sort],
        "k": state.boundary,
        "d": state.direction,
        "l": state.limit,
    }
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    prefix = ""
    if len(data) > COMPRESS_ABOVE:
        # Long filters (an $in over hundreds of GUIDs) compress well, which keeps the
        # cursor under MAX_CURSOR_LENGTH.
        data, prefix = zlib.compress(data, 9), COMPRESSED_PREFIX
    cursor = prefix + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    if len(cursor) > MAX_CURSOR_LENGTH:
        cursor = _store_cursor(cursor)
    return cursor


def _store_cursor(cursor: str) -> str:
    """Keep a cursor that is too long to hand out, and return a short reference to it."""
    reference = STORED_PREFIX + uuid.uuid4().hex
    with _stored_lock:
        _stored[reference] = cursor
        while len(_stored) > MAX_STORED_CURSORS:
            _stored.popitem(last=False)
    return reference


def invalid_cursor(path: str) -> ValidationError:
    """Build the error for a cursor that cannot be used."""
    return invalid(
        path,
        "The cursor is invalid or expired. Send the request again without a cursor "
        "to start from the first page.",
        "FORMAT",
    )


def decode_cursor(raw: Any, spec: EntitySpec, path: str) -> CursorState:
    """Decode and check a cursor, or raise ValidationError on ``path`` if it is unusable.

    The filter and search inside are not compiled here. The caller compiles them and
    reports their errors with ``invalid_cursor`` too.
    """
    if not isinstance(raw, str) or len(raw) > MAX_CURSOR_LENGTH:
        raise invalid_cursor(path)
    if raw.startswith(STORED_PREFIX):
        with _stored_lock:
            stored = _stored.get(raw)
        if stored is None:
            raise invalid_cursor(path)
        raw = stored
    compressed = raw.startswith(COMPRESSED_PREFIX)
    encoded = raw[len(COMPRESSED_PREFIX) :] if compressed else raw
    if not _BASE64URL.fullmatch(encoded):
        raise invalid_cursor(path)
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if compressed:
            inflater = zlib.decompressobj()
            data = inflater.decompress(data, MAX_CURSOR_JSON)
            if inflater.unconsumed_tail or not inflater.eof:
                raise ValueError("compressed cursor is truncated or too large")
        body = json.loads(data.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError, zlib.error):
        raise invalid_cursor(path) from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise invalid_cursor(path)
    state = _parse_body(body, spec)
    if state is None:
        raise invalid_cursor(path)
    return state


def _parse_body(body: Any, spec: EntitySpec) -> CursorState | None:
    if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
        return None
    sort = _parse_sort(body.get("s"), spec)
    boundary = body.get("k")
    direction = body.get("d")
    limit = body.get("l")
    if sort is None or direction not in DIRECTIONS:
        return None
    if not _is_valid_boundary(boundary, sort, spec):
        return None
    if type(limit) is not int or not 1 <= limit <= spec.max_limit:
        return None
    return CursorState(body.get("f"), body.get("q"), sort, boundary, direction, limit)


def _parse_sort(raw: Any, spec: EntitySpec) -> tuple[SortKey, ...] | None:
    if not isinstance(raw, list):
        return None
    keys = []
    for entry in raw:
        if not isinstance(entry, list) or len(entry) != 2:
            return None
        name, descending = entry
        if not isinstance(name, str) or not isinstance(descending, bool):
            return None
        field = spec.fields.get(name)
        if field is None or not (field.sortable or name == spec.id_field):
            return None
        keys.append(SortKey(name, descending))
    if with_tiebreak(keys, spec) != tuple(keys):
        return None
    return tuple(keys)


def _is_valid_boundary(boundary: Any, sort: tuple[SortKey, ...], spec: EntitySpec) -> bool:
    if boundary is None:
        return True
    if not isinstance(boundary, list) or len(boundary) != len(sort):
        return False
    return all(
        _has_kind(value, spec.fields[key.field]) for key, value in zip(sort, boundary, strict=True)
    )


def _has_kind(value: Any, field: Field) -> bool:
    if value is None:
        return True
    if field.kind == "string":
        return isinstance(value, str)
    if field.kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)
