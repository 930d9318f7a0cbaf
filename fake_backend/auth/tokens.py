"""Signed, expiring tokens: ``v1.<b64url(JSON claims)>.<b64url(HMAC-SHA256)>``.

Access tokens and playback tokens share this format under different keys (derived from one
server secret with a purpose label), so one can never pass for the other. Pure: time is an
argument.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from fake_backend.errors import InvalidToken, TokenExpired

__all__ = ["TokenSigner"]


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("token is not base64url") from None


class TokenSigner:
    """Issues and verifies tokens for one purpose (``access``, ``playback``)."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        self.purpose = purpose
        self._key = hmac.new(secret, f"nrdp-token:{purpose}".encode(), hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return _b64e(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def issue(self, claims: dict[str, Any], *, now: float, ttl_s: float) -> str:
        payload = dict(claims, iat=int(now), exp=int(now + ttl_s), pur=self.purpose)
        body = "v1." + _b64e(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, now: float) -> dict[str, Any]:
        """The claims of a genuine, unexpired token; raises InvalidToken/TokenExpired."""
        if not isinstance(token, str) or len(token) > 4096 or not token.isascii():
            raise InvalidToken()
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise InvalidToken("malformed token")
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(body).encode(), parts[2].encode("ascii", "replace")):
            raise InvalidToken("token signature does not verify")
        try:
            claims = json.loads(_b64d(parts[1]))
        except ValueError:
            raise InvalidToken("malformed token claims") from None
        if not isinstance(claims, dict) or claims.get("pur") != self.purpose:
            raise InvalidToken("token has the wrong purpose")
        exp = claims.get("exp")
        if not isinstance(exp, int) or now >= exp:
            raise TokenExpired(f"{self.purpose} token expired")
        return claims
