"""Message integrity of Play API and license calls: HMAC-SHA256 over a canonical string.

The exact format is docs/backend.md "Message integrity": six lines joined by ``\\n`` —
``NRDP-HMAC-SHA256``, the method, the path with its raw query, the Unix timestamp, a fresh
nonce and the hex SHA-256 of the body — signed with the 32-byte session key from login, the
signature in base64url without padding. A signed response uses ``NRDP-HMAC-SHA256-RESPONSE``,
the status instead of the method, the *request's* path and nonce, the server's timestamp and
the response body's hash. Pure: time and nonces are arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from nrdp.errors import ResponseTampered

__all__ = [
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MAX_SKEW_S",
    "SignedRequest",
    "canonical_request",
    "canonical_response",
    "sign",
    "sign_request",
    "verify_response",
]

HEADER_TIMESTAMP = "X-Nrdp-Timestamp"
HEADER_NONCE = "X-Nrdp-Nonce"
HEADER_SIGNATURE = "X-Nrdp-Signature"
MAX_SKEW_S = 300.0
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(method: str, path_qs: str, timestamp: int, nonce: str, body: bytes) -> str:
    """The string a request signature covers."""
    return "\n".join(
        ["NRDP-HMAC-SHA256", method.upper(), path_qs, str(timestamp), nonce, _hash(body)]
    )


def canonical_response(status: int, path_qs: str, timestamp: int, nonce: str, body: bytes) -> str:
    """The string a response signature covers (request's path and nonce, server's time)."""
    return "\n".join(
        ["NRDP-HMAC-SHA256-RESPONSE", str(status), path_qs, str(timestamp), nonce, _hash(body)]
    )


def sign(key: bytes, canonical: str) -> str:
    """base64url (unpadded) HMAC-SHA256 of ``canonical`` under ``key``."""
    mac = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SignedRequest:
    """The integrity headers of one request, and what its response must echo."""

    path_qs: str
    timestamp: int
    nonce: str
    signature: str

    def headers(self) -> dict[str, str]:
        return {
            HEADER_TIMESTAMP: str(self.timestamp),
            HEADER_NONCE: self.nonce,
            HEADER_SIGNATURE: self.signature,
        }


def sign_request(
    key: bytes, method: str, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedRequest:
    """Sign ``method path_qs`` with ``body`` at ``timestamp`` (Unix seconds) with ``nonce``."""
    if not _NONCE.fullmatch(nonce):
        raise ValueError("nonce must be 16-64 characters of [A-Za-z0-9_-]")
    canon = canonical_request(method, path_qs, timestamp, nonce, body)
    return SignedRequest(path_qs, timestamp, nonce, sign(key, canon))


def verify_response(
    key: bytes,
    request: SignedRequest,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    url: str = "",
    max_skew_s: float = MAX_SKEW_S,
) -> None:
    """Check a signed response; raise :class:`ResponseTampered` saying which check failed."""
    nonce = headers.get(HEADER_NONCE)
    signature = headers.get(HEADER_SIGNATURE)
    raw_ts = headers.get(HEADER_TIMESTAMP)
    if nonce is None or signature is None or raw_ts is None:
        raise ResponseTampered(url=url, reason="integrity headers missing")
    if nonce != request.nonce:
        raise ResponseTampered(url=url, reason="nonce not echoed")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise ResponseTampered(url=url, reason="malformed timestamp") from None
    canon = canonical_response(status, request.path_qs, timestamp, nonce, body)
    if not hmac.compare_digest(sign(key, canon).encode(), signature.encode("utf-8", "replace")):
        raise ResponseTampered(url=url, reason="signature mismatch")
    if abs(now - timestamp) > max_skew_s:
        raise ResponseTampered(url=url, reason="stale timestamp")
