"""Recordings of live exchanges, normalised so that they can be stored and replayed.

Normalising replaces what differs from run to run with stable placeholders. GUIDs
become ``<id:N>`` and cursors ``<cursor:N>``, numbered by first appearance. Object keys
are visited in sorted order, so key order does not matter. Timestamps become
``<time>``, the run's token ``<run>``, the site ID ``<site>`` and request IDs
``<request-id>``. Authorization headers are never recorded. In error bodies the
free-text ``message`` and ``description`` become ``<text>``, because only codes and
fields are comparable between Wix and the emulator.

Replaying sends the recorded requests again with each placeholder mapped to the value
the new run produced (or a fresh one) and diffs the normalised responses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import LOYALTY_APP_ID
from .targets import Exchange, Target

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
PLACEHOLDER = re.compile(r"<(id|cursor):(\d+)>")
CURSOR_PARAMS = ("cursorPaging.cursor", "paging.cursor")
FREE_TEXT_KEYS = ("message", "description")
# IDs that are the same on every site and every run, so they stay as they are.
FIXED_IDS = frozenset({LOYALTY_APP_ID})
# Seconds the replay moves a manual clock between exchanges, so that records created
# one after another get distinct, increasing times as they did when recorded.
REPLAY_TICK = 0.01


@dataclass
class Normaliser:
    """Map run-specific values to placeholders, consistently across one recording."""

    run_token: str
    site_id: str
    placeholders: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"id": 0, "cursor": 0})

    def placeholder(self, kind: str, value: str) -> str:
        key = value.lower() if kind == "id" else value
        found = self.placeholders.get(key)
        if found is None:
            self.counts[kind] += 1
            found = f"<{kind}:{self.counts[kind]}>"
            self.placeholders[key] = found
        return found

    def _id_placeholder(self, match: re.Match[str]) -> str:
        value = match.group(0)
        return value if value.lower() in FIXED_IDS else self.placeholder("id", value)

    def text(self, value: str) -> str:
        if self.site_id and value == self.site_id:
            return "<site>"
        value = GUID.sub(self._id_placeholder, value)
        value = TIMESTAMP.sub("<time>", value)
        if self.run_token:
            value = value.replace(self.run_token, "<run>")
        return value

    def value(self, node: Any, *, error_body: bool = False, parent: str = "") -> Any:
        if isinstance(node, dict):
            result = {}
            for key in sorted(node):
                item = node[key]
                if isinstance(item, str) and _is_cursor_key(parent, key):
                    result[key] = self.placeholder("cursor", item)
                elif error_body and key in FREE_TEXT_KEYS and isinstance(item, str):
                    result[key] = "<text>"
                else:
                    result[key] = self.value(item, error_body=error_body, parent=key)
            return result
        if isinstance(node, list):
            return [self.value(item, error_body=error_body, parent=parent) for item in node]
        if isinstance(node, str):
            return self.text(node)
        return node

    def params(self, params: Any) -> Any:
        if not params:
            return params
        result = {}
        for key in sorted(params):
            value = params[key]
            if key in CURSOR_PARAMS and isinstance(value, str):
                result[key] = self.placeholder("cursor", value)
            else:
                result[key] = self.value(value)
        return result

    def exchange(self, exchange: Exchange) -> dict[str, Any]:
        """Return the recorded form of one exchange. Its request is numbered first."""
        request = {
            "method": exchange.method,
            "path": self.text(exchange.path),
            "params": self.params(exchange.params),
            "json": self.value(exchange.json),
            "headers": self.value(exchange.request_headers),
        }
        headers = dict(exchange.response_headers)
        if "x-wix-request-id" in headers:
            headers["x-wix-request-id"] = "<request-id>"
        response = {
            "status": exchange.status,
            "headers": {k: self.text(v) for k, v in sorted(headers.items())},
            "body": self.value(exchange.body, error_body=exchange.status != 200),
        }
        return {"kind": exchange.kind, "request": request, "response": response}


def _is_cursor_key(parent: str, key: str) -> bool:
    return (parent == "cursors" and key in ("next", "prev")) or key == "cursor"


class Recorder:
    """Collect a test's exchanges, normalised, and write them as one JSON file."""

    def __init__(
        self,
        test_name: str,
        run_token: str,
        site_id: str,
        source: str,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.test_name = test_name
        self.source = source
        self.redact = redact
        self.normaliser = Normaliser(run_token=run_token, site_id=site_id)
        self.exchanges: list[dict[str, Any]] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(self.normaliser.exchange(exchange))

    def document(self) -> dict[str, Any]:
        return {
            "metadata": {
                "source": self.source,
                "test": self.test_name,
                "format": 1,
                "note": "IDs, cursors, timestamps, request IDs and the run token are "
                "placeholders; Authorization headers are not recorded.",
            },
            "exchanges": self.exchanges,
        }

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.test_name}.json"
        path.write_text(self.redact(json.dumps(self.document(), indent=2)) + "\n")
        return path


@dataclass(frozen=True)
class Difference:
    """One place where a replayed response differs from the recorded one."""

    recording: str
    exchange: int
    path: str
    recorded: Any
    replayed: Any

    def __str__(self) -> str:
        return (
            f"{self.recording} exchange {self.exchange} at {self.path}: "
            f"recorded {json.dumps(self.recorded)}, emulator {json.dumps(self.replayed)}"
        )


class Replayer:
    """Send a recording's requests to ``target`` and diff the normalised responses."""

    def __init__(self, target: Target, recording_name: str, document: dict[str, Any]) -> None:
        self.target = target
        self.recording_name = recording_name
        self.document = document
        self.run_token = uuid.uuid4().hex[:10]
        self.normaliser = Normaliser(run_token=self.run_token, site_id=target.site_id)
        # placeholder -> the value this replay uses for it
        self.values: dict[str, str] = {}

    def run(self) -> list[Difference]:
        differences: list[Difference] = []
        for index, recorded in enumerate(self.document["exchanges"]):
            if self.target.can_control_clock:
                self.target.advance(REPLAY_TICK)
            replayed = self._replay(recorded)
            differences += diff(
                recorded["response"], replayed["response"], self.recording_name, index
            )
        return differences

    def _replay(self, recorded: dict[str, Any]) -> dict[str, Any]:
        request = recorded["request"]
        method = request["method"]
        path = self._restore(request["path"])
        if recorded["kind"] == "wait-for-job":
            job_id = path.rsplit("/", 1)[-1]
            timing = self.target.job_timing
            allowance = 600.0 if timing is None else timing.duration(10_000)
            captured: list[Exchange] = []
            with self.target.recording(captured.append):
                self.target.wait_for_job(job_id, self.target.now() + allowance)
            return self._normalise(captured[-1])
        captured = []
        with self.target.recording(captured.append):
            self.target.request(
                method,
                path,
                json=self._restore(request["json"]),
                params=self._restore(request["params"]),
            )
        return self._normalise(captured[-1])

    def _normalise(self, exchange: Exchange) -> dict[str, Any]:
        normalised = self.normaliser.exchange(exchange)
        # Learn the values behind the placeholders the new run produced.
        for value, placeholder in self.normaliser.placeholders.items():
            self.values.setdefault(placeholder, value)
        return normalised

    def _restore(self, node: Any) -> Any:
        """Replace the placeholders in a recorded request with this replay's values."""
        if isinstance(node, dict):
            return {key: self._restore(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._restore(value) for value in node]
        if not isinstance(node, str):
            return node
        text = PLACEHOLDER.sub(lambda m: self._value_for(m.group(0)), node)
        return text.replace("<run>", self.run_token)

    def _value_for(self, placeholder: str) -> str:
        value = self.values.get(placeholder)
        if value is None:
            if placeholder.startswith("<cursor:"):
                raise AssertionError(
                    f"{self.recording_name}: a request sends {placeholder}, which no earlier "
                    "response of the replay returned"
                )
            # An ID the recorded client made up itself, e.g. an idempotency key.
            value = str(uuid.uuid4())
            self.values[placeholder] = value
            self.normaliser.placeholders[value] = placeholder
            self.normaliser.counts["id"] = max(self.normaliser.counts["id"], int(placeholder[4:-1]))
        return value


def diff(
    recorded: Any, replayed: Any, recording: str, exchange: int, path: str = ""
) -> list[Difference]:
    """Return every difference between two normalised values, with JSON paths."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        differences = []
        for key in sorted(set(recorded) | set(replayed)):
            child = f"{path}.{key}" if path else key
            if key not in replayed:
                differences.append(
                    Difference(recording, exchange, child, recorded[key], "<missing>")
                )
            elif key not in recorded:
                differences.append(
                    Difference(recording, exchange, child, "<missing>", replayed[key])
                )
            else:
                differences += diff(recorded[key], replayed[key], recording, exchange, child)
        return differences
    if isinstance(recorded, list) and isinstance(replayed, list) and len(recorded) == len(replayed):
        differences = []
        for index, (left, right) in enumerate(zip(recorded, replayed, strict=True)):
            differences += diff(left, right, recording, exchange, f"{path}[{index}]")
        return differences
    if recorded != replayed:
        return [Difference(recording, exchange, path or "<root>", recorded, replayed)]
    return []


@dataclass(frozen=True)
class Allowance:
    """A known difference: the register entry that explains it, and where it shows."""

    divergence: str
    recording: str
    path: str
    exchange: int | None = None
    reason: str = ""

    def covers(self, difference: Difference) -> bool:
        if self.recording != difference.recording or self.path != difference.path:
            return False
        return self.exchange is None or self.exchange == difference.exchange


def load_allowances(path: Path, known_divergences: set[str]) -> list[Allowance]:
    """Read the allow-list and check that every entry names a divergence of the register."""
    entries = json.loads(path.read_text())
    allowances = []
    for index, raw in enumerate(entries):
        allowance = Allowance(
            divergence=raw["divergence"],
            recording=raw["recording"],
            path=raw["path"],
            exchange=raw.get("exchange"),
            reason=raw.get("reason", ""),
        )
        if allowance.divergence not in known_divergences:
            raise ValueError(
                f"{path.name} entry {index} names divergence {allowance.divergence!r}, which "
                "is not in emulator.divergences.REGISTER; add it there or fix the name"
            )
        allowances.append(allowance)
    return allowances


def unexplained(differences: list[Difference], allowances: list[Allowance]) -> list[Difference]:
    return [d for d in differences if not any(a.covers(d) for a in allowances)]
