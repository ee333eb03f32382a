"""The in-memory state store: one ``SiteState`` per ``wix-site-id``.

A site is created on first use, so every new site ID is an empty, isolated tenant.
Reset drops a site's state in one dictionary operation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .errors import WixError
from .faults import FaultRules
from .journal import Journal
from .models import Account, Contact, Job, Program, Transaction
from .ratelimit import RateLimiter
from .settings import Settings


@dataclass
class SiteState:
    site_id: str
    program: Program
    contacts: dict[str, Contact] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    account_by_contact: dict[str, str] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    # (account ID, idempotency key) -> transaction ID of the earn that used the key.
    idempotency_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    # Jobs that may still move; kept apart so advancing time skips finished ones.
    active_jobs: list[Job] = field(default_factory=list)
    # Earlier versions of accounts, kept only while reads may lag behind writes:
    # account ID -> [(time the version stopped being current, the version)].
    keep_history: bool = False
    history: dict[str, list[tuple[float, Account]]] = field(default_factory=dict)
    # Per-site job timing that overrides the global settings (see ``jobs.job_timing``).
    job_profile: dict[str, Any] | None = None

    def account_by_member(self, member_id: str) -> Account | None:
        for account in self.accounts.values():
            if account.member_id == member_id:
                return account
        return None


class Store:
    """All sites, the clock and the settings that one emulator instance serves."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.sites: dict[str, SiteState] = {}
        self.journal = Journal(size=settings.journal_size)
        self.faults = FaultRules()
        self.rate_limiter = RateLimiter()
        # Requests run on one event loop, but the pytest plugin and in-process callers
        # may reach the same store from several threads; this lock keeps each
        # request's changes atomic.
        self.lock = threading.RLock()

    def site(self, site_id: str) -> SiteState:
        """Return the state of ``site_id``, creating an empty site on first use."""
        state = self.sites.get(site_id)
        if state is None:
            now = self.clock.now()
            program = Program(created=now, updated=now, status=self.settings.initial_program_status)
            state = SiteState(site_id=site_id, program=program)
            self.sites[site_id] = state
        return state

    @contextmanager
    def site_for_change(self, site_id: str) -> Iterator[SiteState]:
        """Yield the site for a change; a rejected change leaves no new empty site behind."""
        is_new = site_id not in self.sites
        site = self.site(site_id)
        try:
            yield site
        except WixError:
            if is_new:
                self.sites.pop(site_id, None)
            raise

    def reset(self, site_id: str | None = None) -> int:
        """Drop one site's state, or every site's; return how many sites were dropped."""
        self.rate_limiter.reset(site_id)
        if site_id is None:
            count = len(self.sites)
            self.sites = {}
            return count
        return 1 if self.sites.pop(site_id, None) is not None else 0
