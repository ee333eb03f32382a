"""Loyalty program rules: update its settings, activate and pause it."""

from __future__ import annotations

from typing import Any

from ..models import Program
from ..validation import read_int, read_object, read_str


def update_program(program: Program, now: float, changes: dict[str, Any]) -> None:
    """Apply the writable fields present in ``changes``; read-only fields are ignored."""
    prefix = "loyaltyProgram."
    name = read_str(changes, "name", min_length=2, max_length=50, prefix=prefix)
    definition = read_object(changes, "pointDefinition", prefix=prefix) or {}
    custom_name = read_str(
        definition, "customName", min_length=1, max_length=20, prefix=prefix + "pointDefinition."
    )
    icon = read_object(definition, "icon", prefix=prefix + "pointDefinition.")
    expiration = read_object(changes, "pointsExpiration", prefix=prefix) or {}
    expiration_prefix = prefix + "pointsExpiration."
    months = read_int(
        expiration, "monthsOfInactivity", minimum=1, maximum=12, prefix=expiration_prefix
    )
    percentage = read_int(
        expiration, "expiringPointsPercentage", minimum=1, maximum=100, prefix=expiration_prefix
    )
    # Every field is checked before the first change, so a rejected update changes nothing.
    if name is not None:
        program.name = name
    if custom_name is not None:
        program.custom_name = custom_name
    if icon is not None:
        program.icon = icon
    if months is not None:
        program.months_of_inactivity = months
    if percentage is not None:
        program.expiring_points_percentage = percentage
    program.updated = now


def set_status(program: Program, now: float, status: str) -> None:
    if program.status != status:
        program.status = status
        program.updated = now


# NOTE: Wix does not document the expiration settings that enabling starts with. The
# emulator uses 12 months of inactivity and 100 percent when none were set.
DEFAULT_MONTHS_OF_INACTIVITY = 12
DEFAULT_EXPIRING_PERCENTAGE = 100


def set_points_expiration(program: Program, now: float, *, enabled: bool) -> None:
    program.expiration_status = "ENABLED" if enabled else "DISABLED"
    if enabled:
        if program.months_of_inactivity is None:
            program.months_of_inactivity = DEFAULT_MONTHS_OF_INACTIVITY
        if program.expiring_points_percentage is None:
            program.expiring_points_percentage = DEFAULT_EXPIRING_PERCENTAGE
    program.updated = now
