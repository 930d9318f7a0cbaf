"""The MPD refresh task: fetch on the minimumUpdatePeriod schedule, merge, report, stop at
the end of the event.

I/O goes through what it is given: ``fetch(url) -> bytes`` (the playback channel) and a
clock with ``now()`` and ``sleep()`` (virtual in tests). The decisions are
:mod:`nrdp.live.refresh`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from manifest.model import Manifest
from manifest.parse import parse_mpd
from mediacore.errors import SdkError
from nrdp.live.refresh import MIN_REFRESH_INTERVAL_S, RefreshOutcome, merge_refresh, next_refresh_at

__all__ = ["MpdRefresher", "SleepingClock"]

Fetch = Callable[[str], Awaitable[bytes]]


class SleepingClock(Protocol):
    """Monotonic seconds and a sleep on the same clock (the engine's ``Clock.sleep``)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MpdRefresher:
    """Keeps ``manifest`` current until the event ends (or the MPD stops updating).

    ``utc_now`` gives the server-synchronised time (for counting new segments).
    ``on_update`` sees every outcome. A failed fetch (a retriable SdkError) is retried
    after ``retry_s``; ``max_failures`` in a row re-raise the last error.
    """

    def __init__(
        self,
        manifest: Manifest,
        *,
        fetch: Fetch,
        clock: SleepingClock,
        utc_now: Callable[[], datetime] | None = None,
        on_update: Callable[[RefreshOutcome], None] | None = None,
        min_interval: float = MIN_REFRESH_INTERVAL_S,
        retry_s: float = 1.0,
        max_failures: int = 5,
    ) -> None:
        self.manifest = manifest
        self.url = manifest.url
        self._fetch = fetch
        self._clock = clock
        self._utc_now = utc_now
        self._on_update = on_update
        self._min_interval = min_interval
        self._retry_s = retry_s
        self._max_failures = max_failures
        self.refreshes = 0
        self.failures = 0
        self.last: RefreshOutcome | None = None

    async def _fetch_once(self) -> bytes:
        failures = 0
        while True:
            try:
                return await self._fetch(self.url)
            except SdkError as exc:
                failures += 1
                self.failures += 1
                if not exc.retriable or failures >= self._max_failures:
                    raise
                await self._clock.sleep(self._retry_s)

    async def refresh(self) -> RefreshOutcome:
        """One refresh now."""
        data = await self._fetch_once()
        update = parse_mpd(data, self.url)
        now = self._utc_now() if self._utc_now is not None else None
        outcome = merge_refresh(self.manifest, update, fetched_url=self.url, now=now)
        self.manifest, self.url, self.last = outcome.manifest, outcome.next_url, outcome
        self.refreshes += 1
        if self._on_update is not None:
            self._on_update(outcome)
        return outcome

    async def run(self, fetched_at: float | None = None) -> Manifest:
        """Refresh on schedule; returns the final model (ended, or no longer updating)."""
        last = self._clock.now() if fetched_at is None else fetched_at
        while True:
            due = next_refresh_at(self.manifest, last, min_interval=self._min_interval)
            if due is None:
                return self.manifest
            wait = due - self._clock.now()
            if wait > 0:
                await self._clock.sleep(wait)
            last = self._clock.now()
            outcome = await self.refresh()
            if outcome.ended:
                return self.manifest
