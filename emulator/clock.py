"""Clocks that drive every timestamp and every job's progress.

Domain code never reads the system time. It calls ``now()`` on a ``Clock``, so a test
can use ``ManualClock`` and move time only when it calls ``advance``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current time as seconds since the Unix epoch."""

    mode: str

    def now(self) -> float: ...

    def advance(self, seconds: float) -> float: ...

    def set(self, timestamp: float) -> float: ...


# The latest time a clock may show: 9000-01-01T00:00:00Z. Timestamps must stay
# formattable as four-digit years, and jobs due after a clock time (at most a year of
# start delay) must too.
MAX_TIME = 221845392000.0


def check_time(seconds: float) -> float:
    """Return ``seconds`` if a clock may show it, else raise ``ValueError``."""
    if not seconds <= MAX_TIME:
        raise ValueError("a clock cannot go past 9000-01-01T00:00:00Z")
    return seconds


class SystemClock:
    """Wall-clock time plus an offset that ``advance`` and ``set`` move forward."""

    mode = "system"

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock can only move forward")
        check_time(self.now() + seconds)
        self._offset += seconds
        return self.now()

    def set(self, timestamp: float) -> float:
        current = self.now()
        if timestamp < current:
            raise ValueError("a clock can only move forward")
        return self.advance(timestamp - current)


class ManualClock:
    """A clock that does not move until ``advance`` or ``set`` moves it.

    It counts whole microseconds, so a hundred moves of 0.005 s land exactly where one
    move of 0.5 s does. Summing floats would drift.
    """

    mode = "manual"

    def __init__(self, start: float | None = None) -> None:
        # 2026-01-01T00:00:00Z: a fixed start makes manual-clock runs reproducible.
        self._micros = round((1767225600.0 if start is None else start) * 1_000_000)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._micros / 1_000_000

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock can only move forward")
        with self._lock:
            micros = self._micros + round(seconds * 1_000_000)
            check_time(micros / 1_000_000)
            self._micros = micros
            return self.now()

    def set(self, timestamp: float) -> float:
        micros = round(timestamp * 1_000_000)
        with self._lock:
            if micros < self._micros:
                raise ValueError("a clock can only move forward")
            check_time(micros / 1_000_000)
            self._micros = micros
            return self.now()


def make_clock(mode: str, start: float | None = None) -> Clock:
    """Create the clock named by ``mode`` ("system" or "manual")."""
    if mode == "manual":
        return ManualClock(start)
    if mode == "system":
        return SystemClock()
    raise ValueError(f"unknown clock mode {mode!r}; expected 'system' or 'manual'")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_timestamp(seconds: float) -> str:
    """Format epoch seconds as RFC 3339 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z."""
    # time.gmtime and strftime take half the time of datetime arithmetic, and every
    # account in a response carries four timestamps.
    milliseconds = round(seconds * 1000)
    whole, fraction = divmod(milliseconds, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:03d}Z"


def parse_timestamp(text: str) -> float:
    """Parse an RFC 3339 timestamp into epoch seconds; raise ``ValueError`` if invalid."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
