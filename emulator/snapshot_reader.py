"""Rebuild sites from a snapshot, checking every field's type and value on the way.

A snapshot may come from a bug report or a hand edit, so nothing in it is trusted. A
wrong type, an out-of-range number, a dangling reference or a duplicate ID raises a
``ValidationError`` that names the field, and then nothing is stored.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections import Counter
from typing import Any, TypeVar

from .clock import MAX_TIME
from .errors import invalid
from .jobs import parse_job_profile
from .models import Account, Contact, Job, JobItem, Program, Transaction
from .settings import MAX_JOB_DELAY, MAX_JOB_RATE, Settings
from .store import SiteState

Record = TypeVar("Record")

# Point counters grow with every earn, so only the range that JSON numbers hold exactly
# is enforced.
MAX_POINTS = 2**53
# Jobs may be due up to a start delay after the clock's latest time.
LATEST_TIME = MAX_TIME + MAX_JOB_DELAY + 1
PROGRAM_STATUSES = ("UNKNOWN", "DRAFT", "ACTIVE", "PAUSED")
EXPIRATION_STATUSES = ("UNKNOWN_STATUS", "DISABLED", "ENABLED")
TRANSACTION_TYPES = ("EARN", "ADJUST", "GIVE")
JOB_STATUSES = ("INITIALIZED", "PROCESSING", "FINISHED", "FAILED")
TIME_FIELDS = ("created", "updated", "last_activity", "start_at")


def _check_value(value: Any, kind: Any, path: str) -> Any:
    """Check ``value`` against a field annotation and return it (ints become floats for
    float fields)."""
    if kind is Any:
        return value
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        kinds = [option for option in options if option is not type(None)]
        return _check_value(value, kinds[0], path)
    origin = typing.get_origin(kind)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise invalid(path, "must be an object", "FORMAT")
        value_kind = typing.get_args(kind)[1]
        return {k: _check_value(v, value_kind, f"{path}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise invalid(path, "must be a list", "FORMAT")
        item_kind = typing.get_args(kind)[0]
        return [_check_value(v, item_kind, f"{path}[{i}]") for i, v in enumerate(value)]
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid(path, "must be a number", "FORMAT")
        if not math.isfinite(value):
            raise invalid(path, "must be a finite number", "FORMAT")
        return float(value)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid(path, "must be an integer", "FORMAT")
    if kind in (str, bool) and type(value) is not kind:
        raise invalid(path, f"must be a {kind.__name__}", "FORMAT")
    return value


def build(cls: type[Record], raw: Any, path: str, skip: tuple[str, ...] = ()) -> Record:
    """Build a dataclass record from ``raw``, checking each field's JSON type."""
    if not isinstance(raw, dict):
        raise invalid(path, "must be an object", "FORMAT")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(raw) - names - set(skip)
    if unknown:
        raise invalid(f"{path}.{sorted(unknown)[0]}", "is not a field of this record", "OTHER")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in skip:
            # The caller fills skipped fields in after building the record.
            values[field.name] = None
            continue
        if field.name not in raw:
            no_default = field.default is dataclasses.MISSING
            if no_default and field.default_factory is dataclasses.MISSING:
                raise invalid(f"{path}.{field.name}", "is required", "REQUIRED_FIELD")
            continue
        value = _check_value(raw[field.name], hints[field.name], f"{path}.{field.name}")
        if field.name in TIME_FIELDS and value is not None and not 0 <= value <= LATEST_TIME:
            raise invalid(f"{path}.{field.name}", "must be a time between 1970 and 9001", "OTHER")
        values[field.name] = value
    return cls(**values)


def _choice(value: str, allowed: tuple[str, ...], path: str) -> None:
    if value not in allowed:
        raise invalid(path, f"must be one of {', '.join(allowed)}, got {value!r}")


def _list(data: dict[str, Any], name: str, path: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise invalid(f"{path}.{name}", "must be a list", "FORMAT")
    return value


def _check_account(account: Account, path: str) -> None:
    for name in ("earned", "redeemed", "expired"):
        if not 0 <= getattr(account, name) <= MAX_POINTS:
            raise invalid(f"{path}.{name}", f"must be between 0 and {MAX_POINTS}", "OTHER")
    if abs(account.adjusted) > MAX_POINTS:
        raise invalid(f"{path}.adjusted", f"must be between -{MAX_POINTS} and {MAX_POINTS}")
    if account.balance < 0:
        raise invalid(path, f"has a balance of {account.balance}; balances cannot be negative")
    if account.revision < 1:
        raise invalid(f"{path}.revision", "must be at least 1", "MIN")


def _check_job(job: Job, path: str) -> None:
    _choice(job.status, JOB_STATUSES, f"{path}.status")
    _choice(job.operation, ("balance", "amount"), f"{path}.operation")
    if job.rate is not None and not 0 < job.rate <= MAX_JOB_RATE:
        raise invalid(f"{path}.rate", f"must be above 0 and at most {MAX_JOB_RATE:g}")
    if len(job.items) > len(job.account_ids):
        raise invalid(f"{path}.items", "has more items than the job has accounts")
    successes = sum(1 for item in job.items if item.success)
    if (job.success_count, job.fail_count) != (successes, len(job.items) - successes):
        raise invalid(path, "success_count and fail_count do not match the items' outcomes")
    codes = Counter(item.error_code for item in job.items if not item.success)
    if dict(job.errors_by_code) != dict(codes):
        raise invalid(f"{path}.errors_by_code", "does not match the failed items' codes")
    account_ids = set(job.account_ids)
    if any(item.entity_id not in account_ids for item in job.items):
        raise invalid(f"{path}.items", "names an account that is not in the job")
    if job.polls_required is not None and job.polls_required < 1:
        raise invalid(f"{path}.polls_required", "must be at least 1", "MIN")


def read_site(site_id: str, data: Any, settings: Settings) -> SiteState:
    """Rebuild one site from its exported form, or raise ``ValidationError``."""
    path = f"sites.{site_id}"
    if not isinstance(data, dict):
        raise invalid(path, "must be an object", "FORMAT")
    program = build(Program, data.get("program"), f"{path}.program")
    _choice(program.status, PROGRAM_STATUSES, f"{path}.program.status")
    _choice(program.expiration_status, EXPIRATION_STATUSES, f"{path}.program.expiration_status")
    site = SiteState(site_id=site_id, program=program)
    _read_contacts_and_transactions(site, data, path)
    _read_accounts(site, data, path)
    _read_idempotency_keys(site, data, path)
    _check_references(site, path)
    _read_jobs(site, data, path)
    profile = data.get("jobProfile")
    if profile is not None:
        site.job_profile = parse_job_profile(profile, settings)
    return site


def _read_contacts_and_transactions(site: SiteState, data: dict[str, Any], path: str) -> None:
    for index, raw in enumerate(_list(data, "contacts", path)):
        contact = build(Contact, raw, f"{path}.contacts[{index}]")
        if contact.id in site.contacts:
            raise invalid(f"{path}.contacts[{index}].id", f"repeats contact ID {contact.id}")
        site.contacts[contact.id] = contact
    for index, raw in enumerate(_list(data, "transactions", path)):
        transaction = build(Transaction, raw, f"{path}.transactions[{index}]")
        _choice(transaction.type, TRANSACTION_TYPES, f"{path}.transactions[{index}].type")
        if transaction.id in site.transactions:
            raise invalid(f"{path}.transactions[{index}].id", f"repeats ID {transaction.id}")
        site.transactions[transaction.id] = transaction


def _read_accounts(site: SiteState, data: dict[str, Any], path: str) -> None:
    for index, raw in enumerate(_list(data, "accounts", path)):
        where = f"{path}.accounts[{index}]"
        skip = ("contact", "latest_transaction")
        account = build(Account, raw, where, skip=skip)
        raw_contact = raw.get("contact")
        if isinstance(raw_contact, dict):
            # A contact deleted from the site, kept whole inside its account.
            contact = build(Contact, raw_contact, f"{where}.contact")
            if contact.id in site.contacts:
                raise invalid(f"{where}.contact", "embeds a contact the site still lists")
        else:
            found = site.contacts.get(raw_contact) if isinstance(raw_contact, str) else None
            if found is None:
                raise invalid(f"{where}.contact", "must be the ID of a contact in this site")
            contact = found
        latest = raw.get("latest_transaction")
        if latest is not None and latest not in site.transactions:
            raise invalid(f"{where}.latest_transaction", "must be the ID of a transaction")
        account.contact = contact
        account.latest_transaction = site.transactions[latest] if latest else None
        _check_account(account, where)
        if account.id in site.accounts:
            raise invalid(f"{where}.id", f"repeats account ID {account.id}")
        if contact.id in site.account_by_contact:
            raise invalid(f"{where}.contact", f"contact {contact.id} already has an account")
        site.accounts[account.id] = account
        site.account_by_contact[contact.id] = account.id


def _check_references(site: SiteState, path: str) -> None:
    """Reject transactions and idempotency keys that name an account or transaction the
    site does not have."""
    for transaction in site.transactions.values():
        if transaction.account_id not in site.accounts:
            raise invalid(
                f"{path}.transactions",
                f"transaction {transaction.id} names "
                f"account {transaction.account_id}, which is not in the site",
            )
    for (account_id, key), transaction_id in site.idempotency_keys.items():
        if account_id not in site.accounts or transaction_id not in site.transactions:
            raise invalid(
                f"{path}.idempotencyKeys",
                f"key {key!r} names an account or transaction that is not in the site",
            )


def _read_idempotency_keys(site: SiteState, data: dict[str, Any], path: str) -> None:
    for index, entry in enumerate(_list(data, "idempotencyKeys", path)):
        valid = isinstance(entry, list) and len(entry) == 3
        if not valid or not all(isinstance(part, str) for part in entry):
            raise invalid(
                f"{path}.idempotencyKeys[{index}]",
                "must be [account ID, key, transaction ID]",
                "FORMAT",
            )
        account_id, key, transaction_id = entry
        site.idempotency_keys[(account_id, key)] = transaction_id


def _read_jobs(site: SiteState, data: dict[str, Any], path: str) -> None:
    for index, raw in enumerate(_list(data, "jobs", path)):
        where = f"{path}.jobs[{index}]"
        if not isinstance(raw, dict):
            raise invalid(where, "must be an object", "FORMAT")
        items = [
            build(JobItem, item, f"{where}.items[{i}]")
            for i, item in enumerate(_list(raw, "items", where))
        ]
        failures = _check_value(
            raw.get("forced_failures", {}), dict[str, list[str]], f"{where}.forced_failures"
        )
        if any(len(pair) != 2 for pair in failures.values()):
            raise invalid(f"{where}.forced_failures", "must map account IDs to [code, description]")
        values = {**raw, "items": [], "forced_failures": {}}
        if values.get("start_at") is None:
            values["start_at"] = 0.0
        job = build(Job, values, where)
        job.items = items
        job.forced_failures = {k: (v[0], v[1]) for k, v in failures.items()}
        if raw.get("start_at") is None:
            job.start_at = math.inf
        _check_job(job, where)
        if job.id in site.jobs:
            raise invalid(f"{where}.id", f"repeats job ID {job.id}")
        site.jobs[job.id] = job
        if not job.finished:
            site.active_jobs.append(job)
