"""The request journal: recent requests and responses of each site, in a bounded buffer.

Entries never hold the Authorization header or any other credential header.
"""

from __future__ import annotations

import functools
import itertools
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
)
REDACTED = "<redacted>"


@functools.lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


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


@dataclass
class JournalEntry:
    sequence: int
    time: float
    method: str
    path: str
    query: str
    site_id: str
    # The raw ASGI header list: decoding and redaction wait until the entry is read, so
    # requests that nobody inspects pay nothing for them. Secrets never leave to_json.
    request_headers: list[tuple[bytes, bytes]]
    request_body: Any
    status: int = 0
    response_body: Any = None
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
            "requestBody": self.request_body,
            "responseBody": self.response_body,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.fault:
            body["fault"] = self.fault
        return body


@dataclass
class Journal:
    """Per-site ring buffers of ``JournalEntry``, each holding at most ``size`` entries."""

    size: int = 500
    sites: dict[str, deque[JournalEntry]] = field(default_factory=dict)
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
        entry = JournalEntry(
            sequence=next(self._sequence),
            time=time,
            method=method,
            path=path,
            query=redact_query(query),
            site_id=site_id or NO_SITE,
            request_headers=headers,
            request_body=None,
        )
        if self.size > 0:
            buffer = self.sites.get(entry.site_id)
            if buffer is None or buffer.maxlen != self.size:
                buffer = deque(buffer or (), maxlen=self.size)
                self.sites[entry.site_id] = buffer
            buffer.append(entry)
        return entry

    def entries(self, site_id: str | None = None) -> list[JournalEntry]:
        if site_id is not None:
            return list(self.sites.get(site_id, ()))
        merged = [entry for buffer in self.sites.values() for entry in buffer]
        return sorted(merged, key=lambda entry: entry.sequence)

    def clear(self, site_id: str | None = None) -> int:
        if site_id is None:
            count = sum(len(buffer) for buffer in self.sites.values())
            self.sites.clear()
            return count
        return len(self.sites.pop(site_id, ()))


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
