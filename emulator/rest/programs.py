"""Loyalty Programs API handlers (``/loyalty-programs/v1/program``)."""

from __future__ import annotations

from typing import Any

from ..domain import program as rules
from ..validation import read_object
from . import render
from .base import ApiCall


def get_program(call: ApiCall) -> dict[str, Any]:
    return {"loyaltyProgram": render.program(call.site.program)}


def update_program(call: ApiCall) -> dict[str, Any]:
    changes = read_object(call.body, "loyaltyProgram") or {}
    rules.update_program(call.site.program, call.now, changes)
    return {"loyaltyProgram": render.program(call.site.program)}


def activate_program(call: ApiCall) -> dict[str, Any]:
    rules.set_status(call.site.program, call.now, "ACTIVE")
    return {"loyaltyProgram": render.program(call.site.program)}


def pause_program(call: ApiCall) -> dict[str, Any]:
    rules.set_status(call.site.program, call.now, "PAUSED")
    return {"loyaltyProgram": render.program(call.site.program)}
