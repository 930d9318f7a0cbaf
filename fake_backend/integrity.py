"""Message integrity for the Play API and license (MSL-like): what only a server keeps.

The wire format (canonical strings, encoding, header names, the skew allowance) is
:mod:`mediacore.signed_message`, shared with the SDK; the gateway imports it from there.
This module adds the replay cache of nonces.
"""

from __future__ import annotations

from collections import OrderedDict

from fake_backend.errors import Overloaded
from mediacore.signed_message import MAX_SKEW_S

__all__ = ["NonceCache"]


class NonceCache:
    """Nonces seen per device within the skew window; a second use is a replay.

    Bounded and fail-closed: only entries older than ``ttl_s`` are evicted (a stale
    message is refused anyway, so forgetting them cannot allow a replay); when
    ``max_entries`` unexpired nonces are held, a new one is refused with 503 ``Overloaded``.
    """

    def __init__(self, ttl_s: float = 2 * MAX_SKEW_S, max_entries: int = 100_000) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def check_and_add(self, device_id: str, nonce: str, now: float) -> bool:
        """True if the nonce is fresh (and remember it); False if it is a replay."""
        while self._seen:
            _key, seen_at = next(iter(self._seen.items()))
            if now - seen_at <= self._ttl:
                break
            self._seen.popitem(last=False)
        key = (device_id, nonce)
        if key in self._seen:
            return False
        if len(self._seen) >= self._max:
            raise Overloaded(table="nonce")
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)
