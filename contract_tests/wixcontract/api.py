"""Calls of the Wix Loyalty, Async Job and Contacts APIs, as thin functions over a target."""

from __future__ import annotations

import uuid
from typing import Any

from .paths import ACCOUNTS, JOBS, LOYALTY_APP_ID, TRANSACTIONS
from .targets import Response, Target


def create_account(target: Target, contact_id: str | None = None) -> Response:
    contact = contact_id if contact_id is not None else target.new_contact()
    return target.request("POST", ACCOUNTS, json={"contactId": contact})


def new_account(target: Target) -> dict[str, Any]:
    """Create a contact and its loyalty account, and return the account."""
    account: dict[str, Any] = create_account(target).expect(200)["account"]
    return account


def get_account(target: Target, account_id: str) -> Response:
    return target.request("GET", f"{ACCOUNTS}/{account_id}")


def earn(
    target: Target,
    account_id: str,
    amount: int,
    key: str | None = None,
    **extra: Any,
) -> Response:
    body = {
        "amount": amount,
        "appId": LOYALTY_APP_ID,
        "idempotencyKey": key or str(uuid.uuid4()),
        **extra,
    }
    return target.request("POST", f"{ACCOUNTS}/{account_id}/earn-points", json=body)


def adjust(target: Target, account_id: str, **body: Any) -> Response:
    return target.request("POST", f"{ACCOUNTS}/{account_id}/adjust-points", json=body)


def bulk_adjust(target: Target, filter: dict[str, Any] | None, **operation: Any) -> Response:
    search: dict[str, Any] = {} if filter is None else {"filter": filter}
    return target.request("POST", f"{ACCOUNTS}/bulk-adjust", json={"search": search, **operation})


def get_job(target: Target, job_id: str) -> Response:
    return target.request("GET", f"{JOBS}/{job_id}")


def list_job_items(
    target: Target,
    job_id: str,
    *,
    status_filter: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Response:
    params: dict[str, Any] = {}
    if status_filter is not None:
        params["statusFilter"] = status_filter
    if limit is not None:
        params["paging.limit"] = limit
    if cursor is not None:
        params["paging.cursor"] = cursor
    return target.request("GET", f"{JOBS}/{job_id}/items", params=params or None)


def query_accounts(target: Target, query: dict[str, Any]) -> Response:
    return target.request("POST", f"{ACCOUNTS}/query", json={"query": query})


def search_accounts(target: Target, search: dict[str, Any]) -> Response:
    return target.request("POST", f"{ACCOUNTS}/search", json={"search": search})


def count_accounts(target: Target, filter: dict[str, Any] | None) -> Response:
    body = {} if filter is None else {"filter": filter}
    return target.request("POST", f"{ACCOUNTS}/count", json=body)


def get_transaction(target: Target, transaction_id: str) -> Response:
    return target.request("GET", f"{TRANSACTIONS}/{transaction_id}")


def query_transactions(target: Target, query: dict[str, Any]) -> Response:
    return target.request("POST", f"{TRANSACTIONS}/query", json={"query": query})
