"""Message integrity for the Play API and license (MSL-like), the server's side.

The wire format (canonical strings, encoding, header names, skew allowance) is
:mod:`mediacore.signed_message`, shared with the SDK; this module re-exports it and adds
what only a server keeps: the replay cache of nonces.
"""

from __future__ import annotations

from collections import OrderedDict

from mediacore.signed_message import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    NONCE_RE,
    SignedHeaders,
    canonical_request,
    canonical_response,
    sign,
    sign_request,
    sign_response,
    signature_matches,
    within_skew,
)

__all__ = [
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MAX_SKEW_S",
    "NONCE_RE",
    "NonceCache",
    "SignedHeaders",
    "canonical_request",
    "canonical_response",
    "sign",
    "sign_request",
    "sign_response",
    "signature_matches",
    "within_skew",
]


class NonceCache:
    """Nonces seen per device within the skew window; a second use is a replay.

    Bounded: entries older than ``ttl_s`` are evicted on every insert, and at most
    ``max_entries`` are kept (the oldest go first).
    """

    def __init__(self, ttl_s: float = 2 * MAX_SKEW_S, max_entries: int = 100_000) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def check_and_add(self, device_id: str, nonce: str, now: float) -> bool:
        """True if the nonce is fresh (and remember it); False if it is a replay."""
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if now - seen_at <= self._ttl and len(self._seen) < self._max:
                break
            self._seen.popitem(last=False)
        key = (device_id, nonce)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)
