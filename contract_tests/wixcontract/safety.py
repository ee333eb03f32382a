"""Guards that keep a run against a real Wix site inside what the run itself created.

* ``check_bulk_scope`` rejects a Bulk Adjust Points body whose search could select an
  account the run did not create.
* ``RequestBudget`` counts requests and stops the run at its limit.
* ``Secret`` and ``Redactor`` keep the API key out of every repr, log line, failure
  message and recording.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import Any

SCOPE_FIELDS = ("id", "contactId", "contact.id")


class UnscopedBulkAdjustError(Exception):
    """A bulk adjust whose search is not limited to accounts the run created."""


class RequestBudgetExceeded(BaseException):
    """The run sent as many requests as its budget allows.

    A ``BaseException`` so that Hypothesis neither shrinks nor replays it: every later
    request would fail the same way.
    """


class RequestBudget:
    """A counter of requests that raises ``RequestBudgetExceeded`` past ``limit``."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.used > self.limit

    def spend(self) -> None:
        self.used += 1
        if self.exceeded:
            raise RequestBudgetExceeded(
                f"the run has used its budget of {self.limit} requests; raise "
                "CONTRACT_REQUEST_BUDGET or select fewer tests"
            )


class Secret:
    """A credential that prints as ``***``. Only ``reveal()`` returns its value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


class Redactor:
    """Replace every known secret value in text with ``***``."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._values = [s.reveal() for s in secrets if s.reveal()]

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "***")
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from each record's formatted message."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redactor(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def check_bulk_scope(
    body: Any, account_ids: Collection[str], contact_ids: Collection[str] = ()
) -> None:
    """Raise ``UnscopedBulkAdjustError`` unless ``body.search`` selects only the given accounts.

    A search is scoped when its filter requires ``id`` (or ``contactId``/``contact.id``)
    to be one of ``account_ids`` (``contact_ids``): at the top level, inside ``$and``, or
    in every branch of an ``$or``. ``$not`` never scopes. Free-text search only narrows
    a scoped filter further, so it is allowed next to one.
    """
    if not isinstance(body, dict):
        raise UnscopedBulkAdjustError("the bulk adjust body is not a JSON object")
    search = body.get("search")
    if not isinstance(search, dict) or not search.get("filter"):
        raise UnscopedBulkAdjustError(
            "the bulk adjust has no search filter, so it would select every account of the "
            'site; add {"id": {"$in": [...]}} with IDs of accounts this run created'
        )
    allowed = {
        "id": {i.lower() for i in account_ids},
        "contactId": {i.lower() for i in contact_ids},
        "contact.id": {i.lower() for i in contact_ids},
    }
    if not _is_scoped(search["filter"], allowed):
        raise UnscopedBulkAdjustError(
            "the bulk adjust filter may select accounts this run did not create: "
            f"{search['filter']!r}; AND it with an id $in over the run's own account IDs"
        )


def _is_scoped(node: Any, allowed: dict[str, set[str]]) -> bool:
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key in allowed and _values_within(value, allowed[key]):
            return True
        parts = value if isinstance(value, list) else []
        if key == "$and" and any(_is_scoped(part, allowed) for part in parts):
            return True
        if key == "$or" and parts and all(_is_scoped(part, allowed) for part in parts):
            return True
    return False


def _values_within(condition: Any, allowed: set[str]) -> bool:
    """Return whether a field condition can only match values in ``allowed``."""
    if isinstance(condition, str):
        return condition.lower() in allowed
    if not isinstance(condition, dict) or not condition:
        return False
    for operator, argument in condition.items():
        if operator == "$eq" and isinstance(argument, str) and argument.lower() in allowed:
            return True
        if operator in ("$in", "$hasSome", "$any") and isinstance(argument, list):
            values = [v for v in argument if isinstance(v, str)]
            # An empty list is rejected too: a server that ignored it would select all.
            if values and len(values) == len(argument) and {v.lower() for v in values} <= allowed:
                return True
    return False
