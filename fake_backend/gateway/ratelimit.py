"""Token-bucket rate limiting per key (device id, or client address before login). Pure.

The table is bounded and fails closed: a bucket is forgotten only once it would have
refilled completely (forgetting it then changes nothing); when the table is full of live
buckets a new key is refused with 503 ``Overloaded`` instead of resetting anyone's bucket.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from fake_backend.errors import Overloaded

__all__ = ["RateLimit", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """``rate_per_s`` tokens refill per second up to ``burst``; each request takes one."""

    rate_per_s: float = 50.0
    burst: float = 100.0

    @property
    def refill_s(self) -> float:
        """Seconds an empty bucket needs to be full again."""
        return self.burst / self.rate_per_s


class RateLimiter:
    def __init__(self, limit: RateLimit, max_keys: int = 50_000) -> None:
        self.limit = limit
        self._max_keys = max_keys
        # key -> (tokens, time of last use), least recently used first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.limit.burst, now))
        return min(self.limit.burst, tokens + max(0.0, now - last) * self.limit.rate_per_s)

    def peek(self, key: str, now: float) -> float:
        """What :meth:`take` would answer, without taking a token."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.limit.rate_per_s

    def take(self, key: str, now: float) -> float:
        """0.0 if allowed, else the seconds until a token is available."""
        tokens = self._tokens(key, now)
        if key not in self._buckets:
            self._make_room(now)
        self._buckets[key] = (tokens - 1.0, now) if tokens >= 1.0 else (tokens, now)
        self._buckets.move_to_end(key)
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.limit.rate_per_s

    def refund(self, key: str, now: float) -> None:
        """Give one token back (a request that turned out not to count)."""
        if key in self._buckets:
            self._buckets[key] = (min(self.limit.burst, self._tokens(key, now) + 1.0), now)

    def _make_room(self, now: float) -> None:
        """Forget refilled buckets (least recently used first); Overloaded if none is."""
        while self._buckets:
            _key, (_tokens, last) = next(iter(self._buckets.items()))
            if now - last < self.limit.refill_s:
                break
            self._buckets.popitem(last=False)
        if len(self._buckets) >= self._max_keys:
            raise Overloaded(table="rate-limit", retry_after_s=self.retry_after_header(1.0))

    def __len__(self) -> int:
        return len(self._buckets)

    @staticmethod
    def retry_after_header(wait_s: float) -> int:
        return max(1, math.ceil(wait_s))
