"""Token-bucket rate limiting per key (device id, or client address before login). Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RateLimit", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """``rate_per_s`` tokens refill per second up to ``burst``; each request takes one."""

    rate_per_s: float = 50.0
    burst: float = 100.0


class RateLimiter:
    def __init__(self, limit: RateLimit, max_keys: int = 50_000) -> None:
        self.limit = limit
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last)

    def take(self, key: str, now: float) -> float:
        """0.0 if allowed, else the seconds until a token is available."""
        tokens, last = self._buckets.get(key, (self.limit.burst, now))
        tokens = min(self.limit.burst, tokens + max(0.0, now - last) * self.limit.rate_per_s)
        if tokens >= 1.0:
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.limit.rate_per_s

    @staticmethod
    def retry_after_header(wait_s: float) -> int:
        return max(1, math.ceil(wait_s))
