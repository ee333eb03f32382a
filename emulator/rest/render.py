"""Render state records as the REST JSON objects that Wix returns."""

from __future__ import annotations

from typing import Any

from ..clock import format_timestamp as ts
from ..domain.specs import transaction_type
from ..models import Account, Contact, Job, JobItem, Program, Transaction
from ..settings import Settings


def contact(record: Contact) -> dict[str, Any]:
    body: dict[str, Any] = {"id": record.id}
    if record.name:
        body["name"] = record.name
    if record.email:
        body["email"] = record.email
    if record.display_name:
        body["displayName"] = record.display_name
    body["picture"] = {"id": "", "url": record.picture_url or "", "height": 0, "width": 0}
    return body


def latest_transaction(record: Transaction) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "amount": record.amount,
        "type": record.type,
        "createdDate": ts(record.created),
    }
    if record.description is not None:
        body["description"] = record.description
    if record.app_id is not None:
        body["appId"] = record.app_id
    if record.idempotency_key is not None:
        body["idempotencyKey"] = record.idempotency_key
    return body


def account(record: Account, settings: Settings) -> dict[str, Any]:
    balance = record.balance
    threshold = settings.reward_threshold
    body: dict[str, Any] = {
        "id": record.id,
        "contactId": record.contact.id,
    }
    if record.contact.member_id:
        body["memberId"] = record.contact.member_id
    body["points"] = {
        "balance": balance,
        "earned": record.earned,
        "adjusted": record.adjusted,
        "redeemed": record.redeemed,
        "expired": record.expired,
    }
    body["rewardAvailable"] = threshold > 0 and balance >= threshold
    updated = ts(record.updated)
    body["createdDate"] = ts(record.created)
    body["updatedDate"] = updated
    if record.last_activity is not None:
        body["lastActivityDate"] = ts(record.last_activity)
    body["revision"] = str(record.revision)
    body["tier"] = {
        "updatedDate": updated,
        "recalculationDate": None,
        "points": record.tier_points,
    }
    body["contact"] = contact(record.contact)
    if record.latest_transaction is not None:
        body["latestTransaction"] = latest_transaction(record.latest_transaction)
    return body


def transaction(record: Transaction, settings: Settings) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "accountId": record.account_id,
        "createdDate": ts(record.created),
        "amount": record.amount,
        "transactionType": transaction_type(record, settings),
    }
    if record.description is not None:
        body["description"] = record.description
    if record.type == "EARN":
        body["idempotencyKey"] = record.idempotency_key
        earn: dict[str, Any] = {"appId": record.app_id}
        if record.activity_type is not None:
            earn["activityType"] = record.activity_type
        if record.order_id is not None:
            earn["orderId"] = record.order_id
        if record.social_channel is not None:
            earn["followedSocialMedia"] = {"channel": record.social_channel}
        body["earnInfo"] = earn
    else:
        body["adjustInfo"] = {
            "appId": record.app_id,
            "amountBefore": record.amount_before,
            "amountAfter": record.amount_after,
        }
    return body


def program(record: Program) -> dict[str, Any]:
    point_definition: dict[str, Any] = {"customName": record.custom_name}
    if record.icon is not None:
        point_definition["icon"] = record.icon
    expiration: dict[str, Any] = {"status": record.expiration_status}
    if record.months_of_inactivity is not None:
        expiration["monthsOfInactivity"] = record.months_of_inactivity
    if record.expiring_points_percentage is not None:
        expiration["expiringPointsPercentage"] = record.expiring_points_percentage
    return {
        "name": record.name,
        "pointDefinition": point_definition,
        "status": record.status,
        "createdDate": ts(record.created),
        "updatedDate": ts(record.updated),
        "pointsExpiration": expiration,
        "premiumFeatures": premium_features(),
    }


def premium_features() -> dict[str, bool]:
    # The emulator models a site with the loyalty premium plan and neither tiers nor
    # points expiration as paid features.
    return {"loyaltyProgram": True, "tiers": False, "pointsExpiration": False}


def job(record: Job) -> dict[str, Any]:
    errors = dict(record.errors_by_code)
    total = len(record.account_ids)
    return {
        "id": record.id,
        "metadata": {},
        "status": record.status,
        "counts": {
            "total": total,
            "successCount": record.success_count,
            "failCount": record.fail_count,
            "errorByCodeCount": errors,
        },
        "counters": {
            "itemsToProcess": total,
            "itemsSucceeded": record.success_count,
            "itemsFailed": record.fail_count,
            "errorCountByCode": dict(errors),
        },
        "createdDate": ts(record.created),
        "updatedDate": ts(record.updated),
        "createdBy": {"type": "APP_ID", "appIdOptions": {"appId": record.created_by_app_id}},
        "owner": {"appId": record.created_by_app_id},
    }


def job_item(record: JobItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "entityId": record.entity_id,
        "success": record.success,
    }
    if not record.success:
        body["error"] = {
            "code": record.error_code,
            "description": record.error_description,
            "data": {},
        }
    return body
