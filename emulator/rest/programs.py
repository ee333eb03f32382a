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


def premium_features(call: ApiCall) -> dict[str, Any]:
    return render.premium_features()


def enable_points_expiration(call: ApiCall) -> dict[str, Any]:
    rules.set_points_expiration(call.site.program, call.now, enabled=True)
    return {"loyaltyProgram": render.program(call.site.program)}


def disable_points_expiration(call: ApiCall) -> dict[str, Any]:
    rules.set_points_expiration(call.site.program, call.now, enabled=False)
    return {"loyaltyProgram": render.program(call.site.program)}


def bulk_get_programs(call: ApiCall) -> dict[str, Any]:
    # The real method lists every site of the calling Wix user. The emulator
    # returns only the site named by the request.
    program = render.program(call.site.program)
    return {"programInSites": [{"metaSiteId": call.site.site_id, "loyaltyProgram": program}]}
