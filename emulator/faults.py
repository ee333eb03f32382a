"""Fault rules: make chosen calls fail, slow down or lose their connection on purpose.

A rule matches calls by operation name (e.g. ``bulkAdjustPoints``) or by method and
path (``fnmatch`` patterns such as ``/loyalty-accounts/v1/accounts/*``), optionally on
one site only. It fires on every match, only from the ``nth`` match on, or with a
``probability``, and expires after ``times`` firings. When it fires it adds a delay,
returns a chosen status and Wix error body, or drops the connection.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid
from .models import new_id
from .validation import read_int, read_object, read_str


@dataclass
class FaultRule:
    id: str
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    site_id: str | None = None
    nth: int | None = None
    probability: float | None = None
    times: int | None = None
    status: int | None = None
    body: dict[str, Any] | None = None
    delay: float = 0.0
    drop: bool = False
    seed: int | None = None
    matched: int = 0
    fired: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, operation: str | None, method: str, path: str, site_id: str | None) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.site_id is None or self.site_id == site_id

    @property
    def expired(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def should_fire(self) -> bool:
        """Count one matching call and decide whether the rule fires on it."""
        self.matched += 1
        if self.expired:
            return False
        if self.nth is not None and self.matched < self.nth:
            return False
        if self.probability is not None and self._random.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def error_body(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        return {
            "message": f"fault injected by emulator rule {self.id}",
            "details": {
                "applicationError": {
                    "code": _default_code(self.status or 500),
                    "description": "injected fault",
                    "data": {},
                }
            },
        }

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "matched": self.matched,
            "fired": self.fired,
            "expired": self.expired,
        }
        for name in (
            "operation",
            "method",
            "path",
            "nth",
            "probability",
            "times",
            "status",
            "body",
            "seed",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.site_id is not None:
            body["siteId"] = self.site_id
        if self.delay:
            body["delay"] = self.delay
        if self.drop:
            body["drop"] = True
        return body


def _default_code(status: int) -> str:
    codes = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        428: "FAILED_PRECONDITION",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        501: "UNIMPLEMENTED",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }
    return codes.get(status, "INTERNAL")


def parse_rule(raw: Any, field_prefix: str = "", operations: Collection[str] = ()) -> FaultRule:
    """Build a rule from its JSON form; raise ``ValidationError`` naming a bad field.

    ``operations`` lists the operation names a rule may match; empty accepts any name.
    """
    if not isinstance(raw, dict):
        raise invalid(field_prefix or "rule", "must be an object", "FORMAT")
    p = field_prefix + "." if field_prefix else ""
    operation = read_str(raw, "operation", min_length=1, max_length=100, prefix=p)
    if operation is not None and operations and operation not in operations:
        raise invalid(
            p + "operation",
            f"{operation!r} is not an operation of the emulator; use one of "
            f"{', '.join(sorted(operations))}",
        )
    method = read_str(raw, "method", min_length=1, max_length=10, prefix=p)
    path = read_str(raw, "path", min_length=1, max_length=500, prefix=p)
    if operation is None and path is None:
        raise invalid(
            p + "operation", "send operation or path to choose the calls to match", "REQUIRED_FIELD"
        )
    probability = raw.get("probability")
    if probability is not None and (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not 0 < probability <= 1
    ):
        raise invalid(p + "probability", "must be a number in (0, 1]", "OTHER")
    delay = raw.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 300:
        raise invalid(p + "delay", "must be between 0 and 300 seconds", "OTHER")
    drop = raw.get("drop", False)
    if not isinstance(drop, bool):
        raise invalid(p + "drop", "must be true or false", "FORMAT")
    status = read_int(raw, "status", minimum=400, maximum=599, prefix=p)
    body = read_object(raw, "body", prefix=p)
    if status is None and body is None and not drop and not delay:
        raise invalid(
            p + "status", "send status, body, delay or drop: what the rule does", "REQUIRED_FIELD"
        )
    seed = read_int(raw, "seed", prefix=p)
    if status is None and body is not None:
        # A custom body without a status is sent as a server error.
        status = 500
    rule = FaultRule(
        id=read_str(raw, "id", min_length=1, max_length=100, prefix=p) or new_id(),
        operation=operation,
        method=method.upper() if method else None,
        path=path,
        site_id=read_str(raw, "siteId", min_length=1, prefix=p),
        nth=read_int(raw, "nth", minimum=1, prefix=p),
        probability=float(probability) if probability is not None else None,
        times=read_int(raw, "times", minimum=1, prefix=p),
        status=status,
        body=body,
        delay=float(delay),
        drop=drop,
        seed=seed,
    )
    rule._random = random.Random(seed)
    return rule


@dataclass
class FaultRules:
    rules: dict[str, FaultRule] = field(default_factory=dict)

    def add(self, rule: FaultRule) -> None:
        self.rules[rule.id] = rule

    def fire(
        self, operation: str | None, method: str, path: str, site_id: str | None
    ) -> FaultRule | None:
        """Return the first live rule that fires on this call, counting every match."""
        chosen = None
        for rule in self.rules.values():
            if not rule.matches(operation, method, path, site_id):
                continue
            if chosen is None and rule.should_fire():
                chosen = rule
            elif chosen is not None:
                rule.matched += 1
        return chosen
