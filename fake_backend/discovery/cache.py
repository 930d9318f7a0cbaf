"""A small in-memory TTL cache for hot reads, invalidated by key prefix on writes. Pure."""

from __future__ import annotations

from typing import Any

__all__ = ["TtlCache"]

_MISS = object()


class TtlCache:
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._data: dict[str, tuple[float, Any]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str, now: float) -> Any:
        """The cached value, or :data:`TtlCache.MISS`."""
        item = self._data.get(key)
        if item is None or now >= item[0]:
            self._data.pop(key, None)
            self.misses += 1
            return _MISS
        self.hits += 1
        return item[1]

    def put(self, key: str, value: Any, now: float) -> None:
        if len(self._data) >= self._max:
            self._data.clear()
        self._data[key] = (now + self.ttl_s, value)

    def invalidate(self, prefix: str) -> int:
        doomed = [k for k in self._data if k.startswith(prefix)]
        for k in doomed:
            del self._data[k]
        return len(doomed)

    MISS = _MISS
