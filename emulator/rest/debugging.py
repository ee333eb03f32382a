"""Control-plane routes for reproducing bugs: fault rules, the journal, snapshots, job profiles."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from .. import jobs
from ..clock import format_timestamp
from ..errors import NotFoundError, invalid
from ..faults import parse_rule
from ..journal import matches
from ..snapshot import export_state, import_state
from ..store import Store
from ..validation import check_range, read_str, to_int
from .control import ControlHandler, control_endpoint

JOURNAL_FILTERS = ("operation", "method", "status", "pathPrefix", "errorsOnly")


def list_faults(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"rules": [rule.to_json() for rule in store.faults.rules.values()]}


def add_faults(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Add one rule (the body) or several (``{"rules": [...]}``)."""
    operations = request.app.state.operations
    if "rules" not in body:
        rules = [parse_rule(body, "", operations)]
    elif isinstance(body["rules"], list):
        rules = [parse_rule(raw, f"rules[{i}]", operations) for i, raw in enumerate(body["rules"])]
    else:
        raise invalid("rules", "must be a list of fault rules", "FORMAT")
    for rule in rules:
        store.faults.add(rule)
    return {"rules": [rule.to_json() for rule in rules]}


def delete_faults(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    rule_id = request.path_params.get("ruleId")
    if rule_id is None:
        count = len(store.faults.rules)
        store.faults.rules.clear()
        return {"deleted": count}
    if store.faults.rules.pop(rule_id, None) is None:
        raise NotFoundError(f"fault rule {rule_id} not found", data={"ruleId": rule_id})
    return {"deleted": 1}


def list_journal(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    params = request.query_params
    filters = {name: params[name] for name in JOURNAL_FILTERS if name in params}
    limit = 100
    if "limit" in params:
        limit = check_range(to_int(params["limit"], "limit"), "limit", 1, 10_000)
    entries = [e for e in store.journal.entries(params.get("siteId")) if matches(e, filters)]
    return {"entries": [e.to_json(format_timestamp) for e in entries[-limit:]]}


def clear_journal(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    site_id = request.query_params.get("siteId") or read_str(body, "siteId", min_length=1)
    return {"cleared": store.journal.clear(site_id)}


def export_snapshot(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return export_state(store, request.query_params.get("siteId"))


def import_snapshot(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    site_ids = import_state(store, body, request.query_params.get("siteId"))
    return {"imported": site_ids}


def set_job_profile(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Give one site its own job timing: immediate, timed (delay, rate), polls or manual."""
    profile = jobs.parse_job_profile(body, store.settings)
    site = store.site(request.path_params["siteId"])
    site.job_profile = profile
    return {"siteId": site.site_id, "jobProfile": profile}


def clear_job_profile(store: Store, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    site = store.site(request.path_params["siteId"])
    site.job_profile = None
    return {"siteId": site.site_id, "jobProfile": None}


def _route(path: str, handler: ControlHandler, method: str) -> Route:
    return Route(path, control_endpoint(handler), methods=[method])


def debugging_routes() -> list[Route]:
    return [
        _route("/_emulator/faults", list_faults, "GET"),
        _route("/_emulator/faults", add_faults, "POST"),
        _route("/_emulator/faults", delete_faults, "DELETE"),
        _route("/_emulator/faults/{ruleId}", delete_faults, "DELETE"),
        _route("/_emulator/journal", list_journal, "GET"),
        _route("/_emulator/journal", clear_journal, "DELETE"),
        _route("/_emulator/snapshot", export_snapshot, "GET"),
        _route("/_emulator/snapshot", import_snapshot, "POST"),
        _route("/_emulator/sites/{siteId}/job-profile", set_job_profile, "PUT"),
        _route("/_emulator/sites/{siteId}/job-profile", clear_job_profile, "DELETE"),
    ]
