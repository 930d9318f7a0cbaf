"""Message integrity of Play API and license calls, the client's side.

The wire format (canonical strings, strict UTF-8, header names, the clock-skew allowance)
is :mod:`mediacore.signed_message`, shared with the fake backend. This module adds what the
client keeps between a request and its response (:class:`SignedRequest`) and the typed
verdict on a response (:class:`~nrdp.errors.ResponseTampered`). Pure: time and nonces are
arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mediacore import signed_message as wire
from mediacore.signed_message import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    canonical_request,
    canonical_response,
    sign,
)
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


@dataclass(frozen=True)
class SignedRequest:
    """The integrity headers of one request, and what its response must echo."""

    path_qs: str
    timestamp: int
    nonce: str
    signature: str

    def headers(self) -> dict[str, str]:
        return wire.SignedHeaders(self.timestamp, self.nonce, self.signature).as_dict()


def sign_request(
    key: bytes, method: str, path_qs: str, body: bytes, *, timestamp: int, nonce: str
) -> SignedRequest:
    """Sign ``method path_qs`` with ``body`` at ``timestamp`` (Unix seconds) with ``nonce``."""
    signed = wire.sign_request(key, method, path_qs, body, timestamp=timestamp, nonce=nonce)
    return SignedRequest(path_qs, signed.timestamp, signed.nonce, signed.signature)


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
    got = wire.read_headers(headers)
    if isinstance(got, str):
        raise ResponseTampered(url=url, reason=got)
    if got.nonce != request.nonce:
        raise ResponseTampered(url=url, reason="nonce not echoed")
    canon = canonical_response(status, request.path_qs, got.timestamp, got.nonce, body)
    if not wire.signature_matches(key, canon, got.signature):
        raise ResponseTampered(url=url, reason="signature mismatch")
    if not wire.within_skew(now, got.timestamp, max_skew_s):
        raise ResponseTampered(url=url, reason="stale timestamp")
