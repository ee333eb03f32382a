"""Clocks: formatting, parsing, bounds, and a manual clock that does not drift."""

from __future__ import annotations

import pytest

from emulator.clock import MAX_TIME, ManualClock, format_timestamp, parse_timestamp


def test_small_moves_add_up_exactly() -> None:
    stepped = ManualClock()
    for _ in range(100):
        stepped.advance(0.00505)
    jumped = ManualClock()
    jumped.advance(0.505)
    assert stepped.now() == jumped.now()


def test_manual_clock_rejects_going_back() -> None:
    clock = ManualClock()
    with pytest.raises(ValueError):
        clock.set(clock.now() - 1)


def test_manual_clock_stops_at_maximum() -> None:
    clock = ManualClock()
    with pytest.raises(ValueError):
        clock.set(MAX_TIME + 1)
    assert clock.now() == 1767225600.0


def test_format_has_milliseconds() -> None:
    assert format_timestamp(1767225600.1234) == "2026-01-01T00:00:00.123Z"


def test_format_rounds_to_next_second() -> None:
    assert format_timestamp(1767225600.9996) == "2026-01-01T00:00:01.000Z"


def test_parse_round_trips_format() -> None:
    text = "2026-03-04T05:06:07.089Z"
    assert format_timestamp(parse_timestamp(text)) == text
