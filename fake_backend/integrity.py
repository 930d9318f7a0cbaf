"""Message integrity for the Play API and license (MSL-like): HMAC-SHA256 over the request.

This module is the reference the SDK mirrors (it must not import it): docs/backend.md gives
the exact canonical strings. Pure: no clock, no I/O; time is an argument.

Request canonical string (UTF-8, lines joined by ``\\n``, no trailing newline)::

    NRDP-HMAC-SHA256
    <METHOD upper-case>
    <path, plus '?' and the raw query string when there is one>
    <timestamp: integer Unix seconds, decimal>
    <nonce: 16-64 chars of [A-Za-z0-9_-]>
    <hex SHA-256 of the raw body (of b'' when there is none)>

Response canonical string: the same with first line ``NRDP-HMAC-SHA256-RESPONSE``, the HTTP
status instead of the method, and the *request's* path and nonce (binding answer to question).
Signature header: base64url (no padding) of HMAC-SHA256(session_key, canonical).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections import OrderedDict
from dataclasses import dataclass

from fake_backend.errors import Overloaded

__all__ = [
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MAX_SKEW_S",
    "NonceCache",
    "SignedHeaders",
    "canonical_request",
    "canonical_response",
    "sign",
    "sign_request",
    "sign_response",
    "signature_matches",
]

HEADER_TIMESTAMP = "X-Nrdp-Timestamp"
HEADER_NONCE = "X-Nrdp-Nonce"
HEADER_SIGNATURE = "X-Nrdp-Signature"
MAX_SKEW_S = 300.0
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class SignedHeaders:
    """The three integrity headers of one message."""

    timestamp: int
    nonce: str
    signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            HEADER_TIMESTAMP: str(self.timestamp),
            HEADER_NONCE: self.nonce,
            HEADER_SIGNATURE: self.signature,
        }


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(method: str, path_qs: str, timestamp: int, nonce: str, body: bytes) -> str:
    return "\n".join(
        ["NRDP-HMAC-SHA256", method.upper(), path_qs, str(timestamp), nonce, _body_hash(body)]
    )


def canonical_response(status: int, path_qs: str, timestamp: int, nonce: str, body: bytes) -> str:
    return "\n".join(
        ["NRDP-HMAC-SHA256-RESPONSE", str(status), path_qs, str(timestamp), nonce, _body_hash(body)]
    )


def sign(key: bytes, canonical: str) -> str:
    mac = hmac.new(key, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def signature_matches(key: bytes, canonical: str, signature: str) -> bool:
    """Constant-time comparison of the expected and the presented signature."""
    return hmac.compare_digest(sign(key, canonical).encode(), signature.encode("utf-8", "replace"))


def sign_request(
    key: bytes, method: str, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedHeaders:
    """What a client sends: the headers for ``method path_qs`` with ``body``."""
    canon = canonical_request(method, path_qs, timestamp, nonce, body)
    return SignedHeaders(timestamp, nonce, sign(key, canon))


def sign_response(
    key: bytes, status: int, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedHeaders:
    """What the server answers with: the same headers over the response."""
    canon = canonical_response(status, path_qs, timestamp, nonce, body)
    return SignedHeaders(timestamp, nonce, sign(key, canon))


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
