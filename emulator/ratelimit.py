"""Per-site request rate limit, off by default, on the emulator's clock.

Wix documents a limit of 200 requests per minute per app instance. The emulator counts
each site's requests in fixed one-minute windows of its own clock, so a manual clock
that does not move keeps a throttled site throttled until the clock moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0


@dataclass
class RateLimiter:
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def check(self, site_id: str, now: float, limit: int) -> int | None:
        """Count one request; return the seconds to wait when it is over ``limit``."""
        if limit <= 0:
            return None
        start, count = self.windows.get(site_id, (now, 0))
        if now >= start + WINDOW_SECONDS:
            start, count = now, 0
        if count >= limit:
            self.windows[site_id] = (start, count)
            return max(1, math.ceil(start + WINDOW_SECONDS - now))
        self.windows[site_id] = (start, count + 1)
        return None

    def reset(self, site_id: str | None = None) -> None:
        if site_id is None:
            self.windows.clear()
        else:
            self.windows.pop(site_id, None)
