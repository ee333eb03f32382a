"""The request journal: recent requests and responses of each site, in a bounded buffer.

Entries never hold the Authorization header or any other credential header.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

# Header and query parameter names that may carry a credential: any name containing one
# of these words, compared in lower case, has its value replaced.
SECRET_NAME_PARTS = (
    "auth",
    "key",
    "token",
    "secret",
    "cookie",
    "password",
    "signature",
    "session",
    "credential",
    "bearer",
    "jwt",
)
# Short names that carry credentials in common schemes but are too short to match as parts.
SECRET_NAMES = frozenset({"sig", "code"})
REDACTED = "<redacted>"


@functools.lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_NAME_PARTS)


def redact_query(query: str) -> str:
    """Replace the values of query parameters whose names look like credentials."""
    if not query:
        return query
    parts = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        parts.append(f"{name}={REDACTED}" if sep and is_secret_name(unquote(name)) else pair)
    return "&".join(parts)


# Requests without a wix-site-id header are kept under this key.
NO_SITE = "_no_site"


def redact_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Decode raw ASGI headers into a dict, with credential values replaced."""
    decoded = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        decoded[name] = REDACTED if is_secret_name(name) else raw_value.decode("latin-1")
    return decoded


# Bodies larger than this are kept as a note of their size only.
MAX_BODY_BYTES = 64 * 1024


def _kept(body: bytes | int) -> bytes | int:
    """Return the body to keep: the bytes, or only their count when the body is large."""
    if isinstance(body, int) or len(body) <= MAX_BODY_BYTES:
        return body
    return len(body)


def decode_body(raw: bytes | int) -> Any:
    """Return a kept body as JSON, or as text when it is not JSON."""
    if isinstance(raw, int):
        return {"omitted": f"a body of {raw} bytes, larger than the journal keeps"}
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


@dataclass(slots=True)
class JournalEntry:
    """One request and its response.

    Headers and bodies are kept raw, as the ASGI header list and bytes, and decoded and
    redacted only when the entry is read. Requests that no one reads then cost
    little, and bytes add no work for the garbage collector. Secrets never leave
    ``to_json``.
    """

    sequence: int
    time: float
    method: str
    path: str
    query: str
    site_id: str
    request_headers: list[tuple[bytes, bytes]]
    request_body: bytes | int = b""
    status: int = 0
    response_body: bytes | int = b""
    operation: str | None = None
    request_id: str | None = None
    reason: str | None = None
    fault: str | None = None

    def to_json(self, format_time: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sequence": self.sequence,
            "time": format_time(self.time),
            "siteId": self.site_id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operation": self.operation,
            "status": self.status,
            "requestId": self.request_id,
            "requestHeaders": redact_headers(self.request_headers),
            "requestBody": decode_body(self.request_body),
            "responseBody": decode_body(self.response_body),
        }
        if self.reason:
            body["reason"] = self.reason
        if self.fault:
            body["fault"] = self.fault
        return body


@dataclass
class Journal:
    """Per-site ring buffers of requests, each holding at most ``size`` of them.

    A finished entry is stored as a tuple of strings, bytes, numbers and tuples of
    those. CPython's garbage collector stops tracking such tuples, so a full journal
    adds no work to every collection, as a buffer of objects would.
    """

    size: int = 500
    sites: dict[str, deque[tuple[Any, ...]]] = field(default_factory=dict)
    _sequence: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def start(
        self,
        *,
        time: float,
        method: str,
        path: str,
        query: str,
        site_id: str | None,
        headers: list[tuple[bytes, bytes]],
    ) -> JournalEntry:
        """Begin an entry for a request; ``finish`` stores it once the response is known."""
        return JournalEntry(
            sequence=next(self._sequence),
            time=time,
            method=method,
            path=path,
            query=query,
            site_id=site_id or NO_SITE,
            request_headers=headers,
        )

    def finish(self, entry: JournalEntry) -> None:
        if self.size <= 0:
            return
        buffer = self.sites.get(entry.site_id)
        if buffer is None or buffer.maxlen != self.size:
            buffer = deque(buffer or (), maxlen=self.size)
            self.sites[entry.site_id] = buffer
        buffer.append(
            (
                entry.sequence,
                entry.time,
                entry.method,
                entry.path,
                redact_query(entry.query),
                entry.site_id,
                tuple(entry.request_headers),
                _kept(entry.request_body),
                entry.status,
                _kept(entry.response_body),
                entry.operation,
                entry.request_id,
                entry.reason,
                entry.fault,
            )
        )

    def entries(self, site_id: str | None = None) -> list[JournalEntry]:
        """Return the stored entries of one site, or of all, in order of arrival."""
        if site_id is not None:
            records = list(self.sites.get(site_id, ()))
        else:
            records = [record for buffer in self.sites.values() for record in buffer]
        records.sort(key=lambda record: record[0])
        return [_unpack(record) for record in records]

    def resize(self, size: int) -> None:
        """Keep at most ``size`` entries per site from now on, dropping the oldest."""
        self.size = size
        for site_id, buffer in list(self.sites.items()):
            if size <= 0:
                del self.sites[site_id]
            else:
                self.sites[site_id] = deque(buffer, maxlen=size)

    def clear(self, site_id: str | None = None) -> int:
        if site_id is None:
            count = sum(len(buffer) for buffer in self.sites.values())
            self.sites.clear()
            return count
        return len(self.sites.pop(site_id, ()))


def _unpack(record: tuple[Any, ...]) -> JournalEntry:
    (
        sequence,
        time,
        method,
        path,
        query,
        site_id,
        headers,
        request_body,
        status,
        response_body,
        operation,
        request_id,
        reason,
        fault,
    ) = record
    return JournalEntry(
        sequence=sequence,
        time=time,
        method=method,
        path=path,
        query=query,
        site_id=site_id,
        request_headers=list(headers),
        request_body=request_body,
        status=status,
        response_body=response_body,
        operation=operation,
        request_id=request_id,
        reason=reason,
        fault=fault,
    )


def matches(entry: JournalEntry, filters: Mapping[str, str]) -> bool:
    """Apply the journal's list filters: operation, method, status, path prefix, errors only."""
    if "operation" in filters and entry.operation != filters["operation"]:
        return False
    if "method" in filters and entry.method != filters["method"].upper():
        return False
    if "status" in filters and str(entry.status) != filters["status"]:
        return False
    if "pathPrefix" in filters and not entry.path.startswith(filters["pathPrefix"]):
        return False
    return not (filters.get("errorsOnly") in ("true", "1") and entry.status < 400)
