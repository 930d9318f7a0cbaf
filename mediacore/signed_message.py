"""Signed playback messages: the one wire format of Play API and license call integrity.

Both ends import this module: the SDK (``nrdp.playback.signing``) signs requests and
checks responses, the fake backend (``fake_backend.integrity``) checks requests and signs
responses. docs/backend.md "Message integrity" describes the same format for people.

Request canonical string (lines joined by ``\\n``, no trailing newline)::

    NRDP-HMAC-SHA256
    <METHOD upper-case>
    <path, plus '?' and the raw query string when there is one>
    <timestamp: integer Unix seconds, decimal>
    <nonce: 16-64 chars of [A-Za-z0-9_-]>
    <hex SHA-256 of the raw body (of b'' when there is none)>

Response canonical string: first line ``NRDP-HMAC-SHA256-RESPONSE``, the HTTP status
instead of the method, the *request's* path and nonce (binding answer to question), the
server's timestamp and the response body's hash. Signature: base64url without padding of
HMAC-SHA256(session key, canonical string encoded as UTF-8).

Encoding: strict UTF-8. A canonical string holding a lone surrogate (only a malformed
Python ``str`` can, never bytes off the wire: the path is the raw, percent-encoded one) is
refused with :class:`MessageNotEncodable`. ``surrogatepass`` would sign bytes that are not
UTF-8, which no other implementation of the format can reproduce or verify.

The playback token travels in :data:`PLAYBACK_TOKEN_HEADER`; a server refuses it with
:data:`PLAYBACK_TOKEN_INVALID`.

Pure: no clock, no I/O; time and nonces are arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mediacore.errors import BackendError

__all__ = [
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MAX_SKEW_S",
    "NONCE_RE",
    "PLAYBACK_TOKEN_HEADER",
    "PLAYBACK_TOKEN_INVALID",
    "REQUEST_SCHEME",
    "RESPONSE_SCHEME",
    "MessageNotEncodable",
    "SignedHeaders",
    "canonical_request",
    "canonical_response",
    "encode_canonical",
    "read_headers",
    "sign",
    "sign_request",
    "sign_response",
    "signature_matches",
    "within_skew",
]

REQUEST_SCHEME = "NRDP-HMAC-SHA256"
RESPONSE_SCHEME = "NRDP-HMAC-SHA256-RESPONSE"
HEADER_TIMESTAMP = "X-Nrdp-Timestamp"
HEADER_NONCE = "X-Nrdp-Nonce"
HEADER_SIGNATURE = "X-Nrdp-Signature"
MAX_SKEW_S = 300.0
"""Largest accepted difference, in seconds, between a message's timestamp and the
receiver's clock (either direction)."""
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
PLAYBACK_TOKEN_HEADER = "X-Nrdp-Playback-Token"
"""The header that carries the Play API's playback token on license and OCA requests (the
token itself is signed by the backend; the header is part of the same wire protocol)."""
PLAYBACK_TOKEN_INVALID = 8150
"""The server code of a refused playback token (``PlaybackTokenInvalid``, HTTP 403)."""


class MessageNotEncodable(BackendError, ValueError):
    """A signed message's canonical string is not valid Unicode (a lone surrogate)."""

    code = 8220

    def __init__(self, *, position: int) -> None:
        super().__init__(f"canonical string is not valid UTF-8 text (lone surrogate at {position})")
        self.position = position


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
    """The string a request signature covers."""
    return "\n".join(
        [REQUEST_SCHEME, method.upper(), path_qs, str(timestamp), nonce, _body_hash(body)]
    )


def canonical_response(status: int, path_qs: str, timestamp: int, nonce: str, body: bytes) -> str:
    """The string a response signature covers (the request's path and nonce)."""
    return "\n".join(
        [RESPONSE_SCHEME, str(status), path_qs, str(timestamp), nonce, _body_hash(body)]
    )


def encode_canonical(canonical: str) -> bytes:
    """The bytes that are MACed: strict UTF-8 (see the module docstring for why)."""
    try:
        return canonical.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MessageNotEncodable(position=exc.start) from None


def sign(key: bytes, canonical: str) -> str:
    """base64url (unpadded) HMAC-SHA256 of ``canonical`` under ``key``."""
    mac = hmac.new(key, encode_canonical(canonical), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def signature_matches(key: bytes, canonical: str, signature: str) -> bool:
    """Constant-time comparison of the expected and the presented signature."""
    presented = signature.encode("utf-8", "replace")
    return hmac.compare_digest(sign(key, canonical).encode("ascii"), presented)


def within_skew(now: float, timestamp: int, max_skew_s: float = MAX_SKEW_S) -> bool:
    """Whether a message stamped ``timestamp`` is fresh enough at ``now`` (Unix seconds)."""
    return abs(now - timestamp) <= max_skew_s


def read_headers(headers: Mapping[str, str]) -> SignedHeaders | str:
    """The integrity headers of a received message, or why they are unusable."""
    raw_ts = headers.get(HEADER_TIMESTAMP)
    nonce = headers.get(HEADER_NONCE)
    signature = headers.get(HEADER_SIGNATURE)
    if raw_ts is None or nonce is None or signature is None:
        return "integrity headers missing"
    if not NONCE_RE.fullmatch(nonce):
        return "malformed nonce"
    if not raw_ts.isascii() or not raw_ts.lstrip("-").isdigit():
        return "malformed timestamp"
    return SignedHeaders(int(raw_ts), nonce, signature)


def sign_request(
    key: bytes, method: str, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedHeaders:
    """What a client sends: the headers for ``method path_qs`` with ``body``."""
    if not NONCE_RE.fullmatch(nonce):
        raise ValueError("nonce must be 16-64 characters of [A-Za-z0-9_-]")
    canon = canonical_request(method, path_qs, timestamp, nonce, body)
    return SignedHeaders(timestamp, nonce, sign(key, canon))


def sign_response(
    key: bytes, status: int, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedHeaders:
    """What the server answers with: the same headers over the response."""
    canon = canonical_response(status, path_qs, timestamp, nonce, body)
    return SignedHeaders(timestamp, nonce, sign(key, canon))
