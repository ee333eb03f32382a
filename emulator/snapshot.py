"""Export and import the emulator's state as versioned JSON.

A snapshot holds the settings, the clock's time and every site (or one site) with its
program, contacts, accounts, transactions, idempotency keys and jobs. Times are epoch
seconds, so a round trip is exact. Import checks the whole document before it
replaces anything. The stale-read history and the request journal are not included.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any

from .clock import MAX_TIME, format_timestamp
from .errors import invalid
from .settings import Settings
from .snapshot_reader import read_site
from .store import SiteState, Store

FORMAT = "wix-loyalty-emulator-snapshot"
VERSION = 1


def _fields(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def export_site(site: SiteState) -> dict[str, Any]:
    accounts = []
    for account in site.accounts.values():
        body = _fields(account)
        contact = account.contact
        # A contact deleted through the Contacts API lives on only in its account.
        known = site.contacts.get(contact.id) is contact
        body["contact"] = contact.id if known else _fields(contact)
        latest = account.latest_transaction
        body["latest_transaction"] = latest.id if latest else None
        accounts.append(body)
    jobs = []
    for job in site.jobs.values():
        body = _fields(job)
        body["items"] = [_fields(item) for item in job.items]
        body["forced_failures"] = {k: list(v) for k, v in job.forced_failures.items()}
        body["start_at"] = None if job.start_at == float("inf") else job.start_at
        jobs.append(body)
    return {
        "program": _fields(site.program),
        "contacts": [_fields(contact) for contact in site.contacts.values()],
        "accounts": accounts,
        "transactions": [_fields(t) for t in site.transactions.values()],
        "idempotencyKeys": [[a, k, t] for (a, k), t in site.idempotency_keys.items()],
        "jobs": jobs,
        "jobProfile": site.job_profile,
    }


def export_state(store: Store, site_id: str | None = None) -> dict[str, Any]:
    """Return the state of every site, or of ``site_id`` only, as a snapshot document."""
    if site_id is not None and site_id not in store.sites:
        raise invalid("siteId", f"site {site_id} has no state to export")
    sites = {site_id: store.sites[site_id]} if site_id is not None else store.sites
    now = store.clock.now()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": format_timestamp(now),
        "clock": {"mode": store.clock.mode, "now": now},
        "settings": store.settings.to_json(),
        "sites": {sid: export_site(site) for sid, site in sites.items()},
    }


def import_state(store: Store, document: Any, site_id: str | None = None) -> list[str]:
    """Load a snapshot into ``store``; return the IDs of the sites it replaced.

    Without ``site_id`` the snapshot replaces every site and the settings; with it,
    only that site is replaced.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise invalid("format", f"is not a snapshot: expected format {FORMAT!r}")
    if document.get("version") != VERSION:
        raise invalid(
            "version",
            f"snapshot version {document.get('version')!r} is not "
            f"supported; this emulator reads version {VERSION}",
        )
    raw_sites = document.get("sites")
    if not isinstance(raw_sites, dict):
        raise invalid("sites", "must be an object of site ID to site state", "FORMAT")
    if site_id is not None:
        if site_id not in raw_sites:
            raise invalid("siteId", f"site {site_id} is not in the snapshot")
        raw_sites = {site_id: raw_sites[site_id]}
    clock_time = _clock_time(store, document.get("clock"))
    if site_id is None:
        settings = document.get("settings")
        if settings is not None and not isinstance(settings, dict):
            raise invalid("settings", "must be an object", "FORMAT")
        candidate = Settings(**store.settings.to_json())
        candidate.update({k: v for k, v in (settings or {}).items() if k != "clock"})
    else:
        candidate = store.settings
    sites = {sid: read_site(sid, raw, candidate) for sid, raw in raw_sites.items()}
    if site_id is not None:
        _check_job_ids_unique(store, sites[site_id])
    # Everything is checked; from here on nothing can fail.
    if site_id is None:
        store.settings.update(candidate.to_json())
        store.journal.resize(store.settings.journal_size)
        store.sites = sites
    else:
        store.sites.update(sites)
    if clock_time is not None:
        store.clock.set(clock_time)
    return list(sites)


def _check_job_ids_unique(store: Store, imported: SiteState) -> None:
    """Job controls find a job by ID across sites, so IDs must not repeat across them."""
    for other in store.sites.values():
        if other.site_id == imported.site_id:
            continue
        shared = imported.jobs.keys() & other.jobs.keys()
        if shared:
            raise invalid(
                "sites",
                f"job {sorted(shared)[0]} already belongs to site "
                f"{other.site_id}; job IDs must be unique across sites",
            )


def _clock_time(store: Store, clock: Any) -> float | None:
    """Return the time to move a manual clock to, so jobs resume where they were."""
    if clock is None:
        return None
    if not isinstance(clock, dict):
        raise invalid("clock", "must be an object", "FORMAT")
    moment = clock.get("now")
    if isinstance(moment, bool) or not isinstance(moment, int | float):
        raise invalid("clock.now", "must be a number of epoch seconds", "FORMAT")
    if not 0 <= moment <= MAX_TIME:
        raise invalid("clock.now", "must be a time between 1970 and 9000")
    if store.clock.mode != "manual" or moment <= store.clock.now():
        return None
    return float(moment)


def write_atomically(path: str, document: dict[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file and a rename, so readers never see
    a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".snapshot-", suffix=".json", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as output:
            json.dump(document, output)
            output.flush()
            os.fsync(output.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
