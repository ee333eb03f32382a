"""Loyalty Transactions API handlers (``/loyalty-transactions/v1/loyalty-transactions``)."""

from __future__ import annotations

from typing import Any

from ..domain.specs import transaction_spec
from ..errors import NotFoundError, invalid
from ..query import run_page
from ..validation import check_text, read_object
from . import render
from .base import ApiCall


def get_transaction(call: ApiCall) -> dict[str, Any]:
    transaction_id = check_text(
        call.path["loyaltyTransactionId"], "loyaltyTransactionId", guid=True
    )
    transaction = call.site.transactions.get(transaction_id)
    if transaction is None:
        raise NotFoundError(
            f"loyalty transaction {transaction_id} not found",
            data={"loyaltyTransactionId": transaction_id},
        )
    return {"loyaltyTransaction": render.transaction(transaction, call.settings)}


def query_transactions(call: ApiCall) -> dict[str, Any]:
    query = read_object(call.body, "query")
    if query is None:
        raise invalid(
            "query", 'is required; send {"query": {}} to read every transaction', "REQUIRED_FIELD"
        )
    paging = read_object(query, "cursorPaging", prefix="query.") or {}
    page = run_page(
        call.site.transactions.values(),
        transaction_spec(call.settings),
        filter=query.get("filter"),
        sort=query.get("sort"),
        limit=paging.get("limit"),
        cursor=paging.get("cursor"),
        path="query",
    )
    return {
        "loyaltyTransactions": [render.transaction(t, call.settings) for t in page.items],
        "pagingMetadata": page.paging_metadata(),
    }
