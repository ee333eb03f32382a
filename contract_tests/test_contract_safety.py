"""Live-safety guards: bulk-adjust scope, forbidden requests, budget, 429 retries, redaction.

These tests need no Wix site: a live target is pointed at an ``httpx.MockTransport``
that records what would have been sent.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from wixcontract import api
from wixcontract.config import ConfigError, TargetConfig, open_target
from wixcontract.paths import ACCOUNTS, PROGRAM
from wixcontract.recording import Recorder
from wixcontract.safety import (
    Redactor,
    RequestBudget,
    RequestBudgetExceeded,
    Secret,
    UnscopedBulkAdjustError,
    check_bulk_scope,
)
from wixcontract.schemas import ResponseValidator
from wixcontract.targets import (
    LiveTarget,
    RunState,
    Target,
    UnsafeRequestError,
    retry_after_seconds,
)
from wixcontract.transport import ApiKeyAuth, SocketSender

OWN = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
FOREIGN = "33333333-3333-4333-8333-333333333333"
API_KEY = "sk-live-SECRET-0123456789"


# -- the bulk adjust guard ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 5},
        {"search": {}, "amount": 5},
        {"search": {"filter": {}}, "amount": 5},
        {"search": {"search": {"expression": "ada"}}, "amount": 5},
        {"search": {"filter": {"points.balance": {"$gt": 0}}}, "amount": 5},
        {"search": {"filter": {"id": {"$in": []}}}, "amount": 5},
        {"search": {"filter": {"id": {"$in": [*OWN, FOREIGN]}}}, "amount": 5},
        {"search": {"filter": {"id": {"$ne": OWN[0]}}}, "amount": 5},
        {"search": {"filter": {"$not": {"id": {"$in": OWN}}}}, "amount": 5},
        {"search": {"filter": {"$or": [{"id": {"$in": OWN}}, {"points.balance": 3}]}}},
        {"search": {"filter": {"$or": []}}, "amount": 5},
        "not an object",
    ],
    ids=[
        "no-search",
        "empty-search",
        "empty-filter",
        "free-text-only",
        "balance-only",
        "empty-id-list",
        "foreign-id",
        "id-not-equal",
        "not-own-ids",
        "or-escapes-scope",
        "empty-or",
        "not-an-object",
    ],
)
def test_guard_rejects_unscoped_bulk_adjust(body: Any) -> None:
    with pytest.raises(UnscopedBulkAdjustError):
        check_bulk_scope(body, OWN)


@pytest.mark.parametrize(
    "search_filter",
    [
        {"id": {"$in": OWN}},
        {"id": OWN[0]},
        {"id": {"$eq": OWN[1].upper()}},
        {"id": {"$hasSome": OWN}},
        {"$and": [{"points.balance": {"$gte": 1}}, {"id": {"$in": OWN}}]},
        {"$or": [{"id": OWN[0]}, {"$and": [{"id": {"$in": OWN}}, {"points.balance": 3}]}]},
        {"contact.id": {"$in": ["44444444-4444-4444-8444-444444444444"]}},
    ],
)
def test_guard_accepts_scoped_bulk_adjust(search_filter: dict[str, Any]) -> None:
    body = {"search": {"filter": search_filter, "search": {"expression": "x"}}, "amount": 5}
    check_bulk_scope(body, OWN, ["44444444-4444-4444-8444-444444444444"])


# -- a live target on a mock transport ------------------------------------------------


PROGRAM_BODY = {"loyaltyProgram": {"name": "Club", "pointDefinition": {}, "status": "ACTIVE"}}


class FakeWix:
    """A mock transport handler that records every request and returns Wix-like responses."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda request: httpx.Response(200, json=PROGRAM_BODY))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


def live_target(
    fake: FakeWix, *, budget: int | None = None, sleeps: list[float] | None = None
) -> LiveTarget:
    secret = Secret(API_KEY)
    sender = SocketSender(
        "https://live.invalid", auth=ApiKeyAuth(secret), transport=httpx.MockTransport(fake)
    )
    run = RunState(
        sender=sender,
        budget=RequestBudget(budget),
        validator=ResponseValidator(),
        redactor=Redactor([secret]),
    )
    sleep = sleeps.append if sleeps is not None else lambda seconds: None
    return LiveTarget(run, "site-1", base_url="https://live.invalid", sleep=sleep)


def test_live_target_sends_key_and_site() -> None:
    fake = FakeWix()
    target = live_target(fake)
    target.request("GET", PROGRAM, authenticated=True)
    sent = fake.requests[0]
    assert sent.headers["authorization"] == API_KEY
    assert sent.headers["wix-site-id"] == "site-1"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/reset", {}),
        ("POST", f"{PROGRAM}/pause", {}),
        ("PATCH", PROGRAM, {"loyaltyProgram": {"name": "Mine now"}}),
        ("POST", f"{ACCOUNTS}/bulk-adjust", {"search": {}, "amount": 5}),
        ("POST", f"{ACCOUNTS}/{FOREIGN}/earn-points", {"amount": 1}),
        ("POST", f"{ACCOUNTS}/{FOREIGN}/adjust-points", {"amount": 1}),
        ("DELETE", f"/contacts/v4/contacts/{FOREIGN}", None),
    ],
)
def test_live_target_rejects_unsafe_request(method: str, path: str, body: Any) -> None:
    fake = FakeWix()
    target = live_target(fake)
    with pytest.raises(UnsafeRequestError):
        target.request(method, path, json=body)
    assert fake.requests == [], "the request must not be sent"


def test_live_target_allows_bulk_adjust_of_own_accounts() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == ACCOUNTS:
            contact = json.loads(request.content)["contactId"]
            return httpx.Response(200, json={"account": account_body(OWN[0], contact)})
        return httpx.Response(200, json={"asyncJobId": OWN[1]})

    fake = FakeWix(respond)
    target = live_target(fake)
    api.create_account(target, "44444444-4444-4444-8444-444444444444").expect(200)
    api.bulk_adjust(target, {"id": {"$in": [OWN[0]]}}, amount=5).expect(200)
    assert len(fake.requests) == 2


def account_body(account_id: str, contact_id: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "contactId": contact_id,
        "points": {"balance": 0, "earned": 0, "adjusted": 0, "redeemed": 0},
        "rewardAvailable": False,
        "createdDate": "2026-01-01T00:00:00.000Z",
        "updatedDate": "2026-01-01T00:00:00.000Z",
        "revision": "1",
    }


# -- request budget ---------------------------------------------------------------------


def test_budget_raises_past_limit() -> None:
    budget = RequestBudget(2)
    budget.spend()
    budget.spend()
    with pytest.raises(RequestBudgetExceeded, match="budget of 2"):
        budget.spend()
    assert budget.exceeded


def test_budget_exceeded_is_not_an_exception() -> None:
    # Hypothesis shrinks on an Exception, but a spent budget must stop the run at once.
    assert not issubclass(RequestBudgetExceeded, Exception)


def test_live_target_stops_at_budget() -> None:
    fake = FakeWix()
    target = live_target(fake, budget=3)
    for _ in range(3):
        target.request("GET", PROGRAM)
    with pytest.raises(RequestBudgetExceeded):
        target.request("GET", PROGRAM)
    assert len(fake.requests) == 3


# -- 429 and Retry-After ------------------------------------------------------------------


def throttled(times: int, retry_after: str | None) -> FakeWix:
    def respond(request: httpx.Request) -> httpx.Response:
        if len(fake.requests) <= times:
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            body = {
                "message": "too many requests",
                "details": {"applicationError": {"code": "RESOURCE_EXHAUSTED", "description": ""}},
            }
            return httpx.Response(429, json=body, headers=headers)
        return httpx.Response(200, json=PROGRAM_BODY)

    fake = FakeWix(respond)
    return fake


def test_429_waits_retry_after_then_retries() -> None:
    fake, sleeps = throttled(2, "3"), list[float]()
    target = live_target(fake, budget=10, sleeps=sleeps)
    response = target.request("GET", PROGRAM)
    assert response.status == 200
    assert sleeps == [3.0, 3.0]
    assert target.run.budget.used == 3, "every retry counts against the budget"


def test_429_without_retry_after_backs_off() -> None:
    fake, sleeps = throttled(3, None), list[float]()
    target = live_target(fake, sleeps=sleeps)
    assert target.request("GET", PROGRAM).status == 200
    assert sleeps == [1.0, 2.0, 4.0]


def test_429_retries_are_bounded() -> None:
    fake, sleeps = throttled(100, "1"), list[float]()
    target = live_target(fake, sleeps=sleeps)
    response = target.request("GET", PROGRAM)
    assert response.status == 429
    assert len(sleeps) == target.max_retries
    assert len(fake.requests) == target.max_retries + 1


@pytest.mark.parametrize(
    ("header", "attempt", "expected"),
    [
        ("7", 0, 7.0),
        ("0.5", 3, 0.5),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 0, 60.0),
        ("Thu, 01 Jan 2026 00:00:00 GMT", 0, 0.0),
        (None, 2, 4.0),
        ("soon", 1, 2.0),
    ],
)
def test_retry_after_parsing(header: str | None, attempt: int, expected: float) -> None:
    now = 1767225600.0  # 2026-01-01T00:00:00Z
    assert retry_after_seconds(header, attempt, now=now) == expected


def test_429_wait_is_capped() -> None:
    fake, sleeps = throttled(1, "86400"), list[float]()
    target = live_target(fake, sleeps=sleeps)
    target.request("GET", PROGRAM)
    assert sleeps == [target.max_retry_wait]


def test_429_from_emulator_rate_limit(target: Target) -> None:
    """The emulator's rate limit returns 429 with Retry-After, and the target waits it out."""
    if not target.can_control_clock:
        pytest.skip("needs an emulator with a manual clock to wait without sleeping")
    settings = target.request("GET", "/_emulator/settings").expect(200)["settings"]
    target.request("PATCH", "/_emulator/settings", json={"rate_limit_per_minute": 2}).expect(200)
    waits: list[float] = []

    def wait_on_emulator_clock(seconds: float) -> None:
        waits.append(seconds)
        target.advance(seconds)

    target.sleep = wait_on_emulator_clock
    try:
        for _ in range(3):
            target.request("GET", PROGRAM).expect(200)
    finally:
        previous = {"rate_limit_per_minute": settings["rate_limit_per_minute"]}
        target.request("PATCH", "/_emulator/settings", json=previous).expect(200)
    assert len(waits) == 1
    assert 1 <= waits[0] <= 60


# -- secrets stay secret ------------------------------------------------------------------


def test_api_key_never_printed(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    def reflect(request: httpx.Request) -> httpx.Response:
        # A server that echoes the Authorization header back in its error message.
        body = {
            "message": f"bad key {request.headers['authorization']}",
            "details": {"applicationError": {"code": "UNAUTHENTICATED", "description": ""}},
        }
        return httpx.Response(401, json=body)

    fake = FakeWix(reflect)
    target = live_target(fake)
    caplog.set_level(logging.DEBUG)
    secret = Secret(API_KEY)
    logging.getLogger("wixcontract").addFilter(_redacting(secret))
    recorder = Recorder(
        "redaction", target.run.run_token, target.site_id, "live", redact=target.run.redactor
    )
    with target.recording(recorder):
        response = target.request("GET", PROGRAM)
    assert fake.requests[0].headers["authorization"] == API_KEY, "the key was sent"
    with pytest.raises(AssertionError) as failure:
        response.expect(200)
    logging.getLogger("wixcontract").warning("response was %s", response.text)
    written = recorder.write(tmp_path).read_text()
    recorded_headers = [e["request"]["headers"] for e in json.loads(written)["exchanges"]]
    printed = {
        "repr(target)": repr(target),
        "repr(secret)": repr(secret),
        "str(secret)": str(secret),
        "repr(auth)": repr(ApiKeyAuth(secret)),
        "describe()": response.describe(),
        "failure": str(failure.value),
        "request repr": repr(fake.requests[0].headers),
        "log": caplog.text,
        "recording": written,
    }
    for where, text in printed.items():
        assert API_KEY not in text, f"the API key appears in {where}"
    assert recorded_headers == [{"wix-site-id": "<site>"}], "no Authorization header recorded"
    assert "***" in response.describe()
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def _redacting(secret: Secret) -> logging.Filter:
    from wixcontract.safety import RedactingFilter

    return RedactingFilter(Redactor([secret]))


# -- configuration ------------------------------------------------------------------------


def test_live_config_names_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIX_API_KEY", raising=False)
    monkeypatch.delenv("WIX_SITE_ID", raising=False)
    config = TargetConfig.from_environment("live", None)
    assert config.missing_credentials() == ["WIX_API_KEY", "WIX_SITE_ID"]
    with pytest.raises(ConfigError, match="WIX_API_KEY and WIX_SITE_ID"):
        open_target(config)


def test_live_config_override_marks_self_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIX_API_KEY", "fake")
    monkeypatch.setenv("WIX_SITE_ID", "site")
    monkeypatch.setenv("CONTRACT_LIVE_BASE_URL", "http://127.0.0.1:9")
    config = TargetConfig.from_environment("live", None)
    assert config.live_base_url == "http://127.0.0.1:9"
    assert config.record_source == "emulator-self-check"
    assert config.budget == 1500
    assert "fake" not in repr(config)
    monkeypatch.delenv("CONTRACT_LIVE_BASE_URL")
    assert TargetConfig.from_environment("live", None).record_source == "live"
