"""Loyalty Accounts API handlers (``/loyalty-accounts/v1/accounts/...``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain import accounts as rules
from ..domain.specs import ACCOUNT_QUERY, ACCOUNT_SEARCH
from ..errors import MethodNotAllowedError, NotFoundError, PermissionDeniedError, invalid
from ..jobs import start_bulk_adjust
from ..models import Account
from ..query import run_page, select
from ..validation import GUID, check_text, collect, read_int, read_object, read_str
from . import render
from .base import MEMBER_HEADER, ApiCall

MAX_EARN = 9_999_999
MAX_BALANCE = 999_999_999


def _account_id(call: ApiCall, name: str) -> str:
    return check_text(call.path[name], name, guid=True)


def _account_body(call: ApiCall, account: Any) -> dict[str, Any]:
    return render.account(account, call.settings)


def _searchable_accounts(call: ApiCall) -> Iterable[Account]:
    """Return the accounts as query and search see them, lagging behind writes when
    search_lag_seconds is set."""
    lag = call.settings.search_lag_seconds
    if lag > 0:
        return rules.accounts_as_of(call.site, call.now - lag)
    return call.site.accounts.values()


def create_account(call: ApiCall) -> dict[str, Any]:
    contact_id = read_str(call.body, "contactId", required=True, guid=True)
    assert contact_id is not None
    account = rules.create_account(call.site, call.now, contact_id)
    return {"account": _account_body(call, account)}


POST_ONLY = ("query", "search", "count", "bulk-adjust")


def get_account(call: ApiCall) -> dict[str, Any]:
    if call.path["id"] in POST_ONLY:
        raise MethodNotAllowedError(f"GET is not allowed on accounts/{call.path['id']}; use POST")
    account = rules.get_account(call.site, _account_id(call, "id"))
    return {"account": _account_body(call, account)}


def earn_points(call: ApiCall) -> dict[str, Any]:
    account_id = _account_id(call, "accountId")
    body = call.body
    values: dict[str, Any] = {}

    def read(name: str, reader: Any, **limits: Any) -> None:
        values[name] = reader(body, name, **limits)

    social = read_object(body, "followedSocialMedia")
    collect(
        lambda: read("amount", read_int, minimum=1, maximum=MAX_EARN, required=True),
        lambda: read("appId", read_str, min_length=1, max_length=100, required=True),
        lambda: read("idempotencyKey", read_str, min_length=1, max_length=256, required=True),
        lambda: read("description", read_str, min_length=1, max_length=100),
        lambda: read("activityType", read_str, max_length=100),
        lambda: read("orderId", read_str, max_length=512),
    )
    channel = None
    if social is not None:
        channel = read_str(social, "channel", max_length=32, prefix="followedSocialMedia.")
    transaction = rules.earn_points(
        call.site,
        call.now,
        account_id,
        amount=values["amount"],
        app_id=values["appId"],
        idempotency_key=values["idempotencyKey"],
        description=values["description"],
        activity_type=values["activityType"],
        order_id=values["orderId"],
        social_channel=channel,
    )
    account = call.site.accounts[account_id]
    return {"account": _account_body(call, account), "transactionId": transaction.id}


def _adjustment(body: dict[str, Any]) -> tuple[int | None, int | None]:
    """Read ``balance`` and ``amount``; at least one is required and ``amount`` is non-zero."""
    balance = read_int(body, "balance", minimum=0, maximum=MAX_BALANCE)
    amount = read_int(body, "amount", minimum=-MAX_EARN, maximum=MAX_EARN)
    if balance is None and amount is None:
        raise invalid("balance", "either balance or amount is required", "REQUIRED_FIELD")
    if balance is None and amount == 0:
        raise invalid("amount", "must not be 0; send a positive or negative amount", "OTHER")
    return balance, amount


def adjust_points(call: ApiCall) -> dict[str, Any]:
    account_id = _account_id(call, "accountId")
    balance, amount = _adjustment(call.body)
    revision = read_int(call.body, "revision", minimum=1)
    description = read_str(call.body, "description", min_length=1, max_length=100)
    transaction = rules.adjust_points(
        call.site,
        call.now,
        call.settings,
        account_id,
        balance=balance,
        amount=amount,
        revision=revision,
        description=description,
    )
    account = call.site.accounts[account_id]
    return {"account": _account_body(call, account), "transactionId": transaction.id}


def query_accounts(call: ApiCall) -> dict[str, Any]:
    query = read_object(call.body, "query")
    if query is None:
        raise invalid(
            "query", 'is required; send {"query": {}} to read every account', "REQUIRED_FIELD"
        )
    paging = read_object(query, "cursorPaging", prefix="query.") or {}
    if not paging:
        # Third-party clients send offset-style {"paging": {"limit": N}}; take its limit.
        paging = {"limit": (read_object(query, "paging", prefix="query.") or {}).get("limit")}
    page = run_page(
        _searchable_accounts(call),
        ACCOUNT_QUERY,
        filter=query.get("filter"),
        sort=query.get("sort"),
        limit=paging.get("limit"),
        cursor=paging.get("cursor"),
        path="query",
    )
    return {
        "loyaltyAccounts": [_account_body(call, a) for a in page.items],
        "pagingMetadata": page.paging_metadata(),
    }


def search_accounts(call: ApiCall) -> dict[str, Any]:
    search = read_object(call.body, "search") or {}
    paging = read_object(search, "cursorPaging", prefix="search.") or {}
    page = run_page(
        _searchable_accounts(call),
        ACCOUNT_SEARCH,
        filter=search.get("filter"),
        search=search.get("search"),
        sort=search.get("sort"),
        limit=paging.get("limit"),
        cursor=paging.get("cursor"),
        path="search",
    )
    return {
        "accounts": [_account_body(call, a) for a in page.items],
        "pagingMetadata": page.paging_metadata(),
        "aggregationData": {"results": []},
    }


def count_accounts(call: ApiCall) -> dict[str, Any]:
    matches = select(
        _searchable_accounts(call),
        ACCOUNT_SEARCH,
        filter=call.body.get("filter"),
        search=call.body.get("search"),
        path="",
    )
    return {"count": len(matches)}


def list_accounts(call: ApiCall) -> dict[str, Any]:
    contact_ids = call.query.getlist("contactIds")
    if len(contact_ids) > 50:
        raise invalid("contactIds", f"must hold at most 50 IDs, got {len(contact_ids)}", "MAX_SIZE")
    for index, contact_id in enumerate(contact_ids):
        check_text(contact_id, f"contactIds[{index}]", guid=True)
    account_filter = (
        {"contactId": {"$in": [c.lower() for c in contact_ids]}} if contact_ids else None
    )
    page = run_page(
        _searchable_accounts(call),
        ACCOUNT_QUERY,
        filter=account_filter,
        limit=call.query.get("cursorPaging.limit"),
        cursor=call.query.get("cursorPaging.cursor"),
        path="",
    )
    return {
        "accounts": [_account_body(call, a) for a in page.items],
        "pagingMetadata": page.paging_metadata(),
    }


def program_totals(call: ApiCall) -> dict[str, Any]:
    return rules.program_totals(call.site)


def _normalize_id(value: str) -> str:
    """Lowercase a GUID to match the stored IDs; return any other text unchanged."""
    return value.lower() if GUID.match(value) else value


def current_member_account(call: ApiCall) -> dict[str, Any]:
    member_id = _normalize_id(call.headers.get(MEMBER_HEADER, "").strip())
    if not member_id:
        raise PermissionDeniedError(
            f"the caller is not a site member; the emulator reads the member ID from the "
            f"{MEMBER_HEADER} header"
        )
    account = call.site.account_by_member(member_id)
    if account is None:
        raise NotFoundError(
            f"member {member_id} has no loyalty account", data={"memberId": member_id}
        )
    return {"account": _account_body(call, account)}


def account_by_secondary_id(call: ApiCall) -> dict[str, Any]:
    contact_id = read_str(call.query, "contactId", min_length=1, max_length=50)
    member_id = read_str(call.query, "memberId", min_length=1, max_length=50)
    if contact_id is None and member_id is None:
        raise invalid("contactId", "send contactId or memberId", "REQUIRED_FIELD")
    account = rules.find_by_secondary_id(
        call.site,
        contact_id=_normalize_id(contact_id) if contact_id else contact_id,
        member_id=_normalize_id(member_id) if member_id else member_id,
    )
    if account is not None:
        return {"account": _account_body(call, account)}
    if call.settings.fetch_by_missing == "not_found":
        key = "contactId" if contact_id is not None else "memberId"
        raise NotFoundError(
            f"no loyalty account for {key} {contact_id or member_id}",
            data={key: contact_id or member_id},
        )
    return {}


def bulk_adjust(call: ApiCall) -> dict[str, Any]:
    search = read_object(call.body, "search") or {}
    balance, amount = _adjustment(call.body)
    selected = select(
        call.site.accounts.values(),
        ACCOUNT_SEARCH,
        filter=search.get("filter"),
        search=search.get("search"),
        sort=search.get("sort"),
        path="search",
    )
    operation, value = ("balance", balance) if balance is not None else ("amount", amount)
    assert value is not None
    job = start_bulk_adjust(
        call.site, call.now, call.settings, [a.id for a in selected], operation, value
    )
    return {"asyncJobId": job.id}
