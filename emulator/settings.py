"""Emulator settings: job timing, clock, new-site defaults and switches between guesses.

Each setting has a command-line option and an environment variable (see ``cli.py``) and
can be changed at run time through ``PATCH /_emulator/settings``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import invalid

JOB_MODES = ("timed", "immediate", "manual")
CLOCK_MODES = ("system", "manual")
PROGRAM_STATUSES = ("ACTIVE", "DRAFT", "PAUSED")
FETCH_BY_MISSING = ("empty", "not_found")
GIVE_TYPES = ("ADJUST", "GIVE")


# Upper bounds that keep job times, the journal and counters within what the emulator
# can compute and format.
MAX_JOB_DELAY = 365 * 86400.0
MAX_JOB_RATE = 1e9
MAXIMUMS: dict[str, float] = {
    "job_start_delay": MAX_JOB_DELAY,
    "job_rate": MAX_JOB_RATE,
    "reward_threshold": 999_999_999,
    "rate_limit_per_minute": 1_000_000,
    "search_lag_seconds": 365 * 86400.0,
    "journal_size": 100_000,
}


@dataclass
class Settings:
    # How bulk jobs move: "timed" (delay, then rate accounts per second), "immediate"
    # (FINISHED before the bulk response returns) or "manual" (only control calls move them).
    job_mode: str = "timed"
    job_start_delay: float = 0.5
    job_rate: float = 200.0
    clock: str = "system"
    # Program status of a site the emulator has not seen before.
    initial_program_status: str = "ACTIVE"
    # Switches between guesses; each is described in the register at /_emulator/divergences.
    fetch_by_missing: str = "empty"
    require_revision: bool = False
    negative_balance_status: int = 400
    give_transaction_type: str = "ADJUST"
    # Balance at which ``rewardAvailable`` turns true; 0 means the site has no rewards.
    reward_threshold: int = 0
    # Requests per minute each site may make before 429 RESOURCE_EXHAUSTED; 0 is no limit.
    rate_limit_per_minute: int = 0
    # Seconds of emulator time by which query, search, count and list lag behind writes.
    search_lag_seconds: float = 0.0
    # Entries the request journal keeps per site; 0 turns the journal off.
    journal_size: int = 500

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (setting name -> value) after checking every one of them."""
        candidate = Settings(**asdict(self))
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise invalid(name, f"is not a setting; known settings: {', '.join(known)}")
            if name == "clock" and value != self.clock:
                raise invalid(name, "cannot change while the emulator runs; restart with --clock")
            setattr(candidate, name, _coerce(name, value, type(getattr(self, name))))
        candidate.check()
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def check(self) -> None:
        """Raise ``ValidationError`` for a value outside its allowed set or range."""
        choices = {
            "job_mode": JOB_MODES,
            "clock": CLOCK_MODES,
            "initial_program_status": PROGRAM_STATUSES,
            "fetch_by_missing": FETCH_BY_MISSING,
            "give_transaction_type": GIVE_TYPES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise invalid(name, f"must be one of {', '.join(allowed)}")
        if self.job_start_delay < 0:
            raise invalid("job_start_delay", "must be zero or more seconds", "MIN")
        if self.job_rate <= 0:
            raise invalid("job_rate", "must be more than zero accounts per second", "MIN")
        for name, maximum in MAXIMUMS.items():
            if getattr(self, name) > maximum:
                raise invalid(name, f"must be at most {maximum:g}", "MAX")
        if self.negative_balance_status not in (400, 409, 428):
            raise invalid("negative_balance_status", "must be 400, 409 or 428")
        for name in (
            "reward_threshold",
            "rate_limit_per_minute",
            "search_lag_seconds",
            "journal_size",
        ):
            if getattr(self, name) < 0:
                raise invalid(name, "must be zero or more", "MIN")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise invalid(name, "must be true or false", "FORMAT")
    if kind in (int, float):
        if isinstance(value, bool):
            raise invalid(name, "must be a number", "FORMAT")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise invalid(name, "must be a number", "FORMAT") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise invalid(name, "must be a finite number", "FORMAT")
        if kind is int:
            if not number.is_integer():
                raise invalid(name, "must be a whole number", "FORMAT")
            return int(number)
        return number
    if not isinstance(value, str):
        raise invalid(name, "must be a string", "FORMAT")
    return value
