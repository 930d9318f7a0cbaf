"""The device's login session: tokens and session key in memory only, refresh on expiry.

:meth:`AuthSession.call` is how every service call is made: it adds the bearer token, signs
the request when asked (a fresh nonce and timestamp per attempt, :mod:`nrdp.playback.signing`),
verifies a signed response, and when the gateway says the access token expired (8112) it
refreshes once — over the same channel the call was on, so playback never waits on the
discovery channel — and tries again. Tokens, refresh tokens and the session key are held as
:class:`mediacore.secret.Secret` and never appear in messages, reprs or logs.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drm.clearkey import b64url_decode
from mediacore.secret import Secret
from nrdp.channels.http import Channel, HttpResponse
from nrdp.clock import Clock, MonotonicClock
from nrdp.errors import MalformedResponse, NotLoggedIn, ServiceError
from nrdp.playback.signing import SignedRequest, sign_request, verify_response

__all__ = ["TOKEN_EXPIRED", "Account", "AuthSession"]

TOKEN_EXPIRED = 8112
"""The gateway's error code for a genuine but expired access token."""


@dataclass(frozen=True)
class Account:
    """What login says about the account (no secrets)."""

    device_id: str
    plan: str
    entitled: bool
    profiles: tuple[dict[str, Any], ...]


def _seconds(value: object) -> bool:
    """A JSON number of seconds a token may live: finite and not negative (not a bool)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 <= value < math.inf
        and (not isinstance(value, int) or value < 1 << 53)
    )


class AuthSession:
    """Login state of one device; safe to share between channels."""

    def __init__(
        self,
        gateway_url: str,
        device_id: str,
        *,
        model: str = "nrdp-reference",
        clock: Clock | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self.device_id = device_id
        self.model = model
        self.clock = clock if clock is not None else MonotonicClock()
        self._wall = wall
        self._access: Secret[str] | None = None
        self._refresh: Secret[str] | None = None
        self._key: Secret[bytes] | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.account: Account | None = None
        self.refreshes = 0

    @property
    def logged_in(self) -> bool:
        return self._access is not None

    @property
    def token_expires_at(self) -> float:
        """When the access token expires, on :attr:`clock` (0 before login)."""
        return self._expires_at

    def url(self, path: str) -> str:
        return self.gateway_url + path

    def _take_tokens(self, doc: Mapping[str, Any], url: str) -> None:
        access, refresh = doc.get("access_token"), doc.get("refresh_token")
        expires_in = doc.get("expires_in", 900)
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise MalformedResponse(url=url, reason="no tokens in the answer")
        if not _seconds(expires_in):
            raise MalformedResponse(url=url, reason="expires_in is not a number of seconds")
        key = doc.get("session_key")
        if "session_key" in doc:
            try:
                if not isinstance(key, str):
                    raise TypeError("not a string")
                self._key = Secret(b64url_decode(key))
            except Exception:
                raise MalformedResponse(url=url, reason="bad session key") from None
        self._access = Secret(access)
        self._refresh = Secret(refresh)
        self._expires_at = self.clock.now() + float(expires_in)

    async def login(self, channel: Channel, email: str, password: str) -> Account:
        """``POST /auth/v1/login``; the password is sent once and never kept."""
        url = self.url("/auth/v1/login")
        doc = {
            "email": email,
            "password": password,
            "device_id": self.device_id,
            "device_model": self.model,
        }
        resp = await channel.request("POST", url, json_body=doc, retry=False)
        body = resp.json_object()
        self._take_tokens(body, url)
        if self._key is None:
            raise MalformedResponse(url=url, reason="no session key")
        profiles = body.get("profiles", [])
        device_id, plan = body.get("device_id", self.device_id), body.get("plan", "")
        entitled = body.get("entitled", False)
        if not isinstance(profiles, list) or not isinstance(device_id, str):
            raise MalformedResponse(url=url, reason="login answer has wrong types")
        if not isinstance(plan, str) or not isinstance(entitled, bool):
            raise MalformedResponse(url=url, reason="login answer has wrong types")
        self.account = Account(
            device_id=device_id,
            plan=plan,
            entitled=entitled,
            profiles=tuple(p for p in profiles if isinstance(p, dict)),
        )
        return self.account

    async def refresh(self, channel: Channel) -> None:
        """Exchange the (single-use) refresh token for new tokens; one refresh at a time."""
        if self._refresh is None:
            raise NotLoggedIn(operation="refresh")
        stale = self._access
        async with self._lock:
            if self._access is not stale:  # someone else refreshed while we waited
                return
            url = self.url("/auth/v1/refresh")
            resp = await channel.request(
                "POST", url, json_body={"refresh_token": self._refresh.reveal()}, retry=False
            )
            self._take_tokens(resp.json_object(), url)
            self.refreshes += 1

    def _bearer(self, operation: str) -> dict[str, str]:
        if self._access is None:
            raise NotLoggedIn(operation=operation)
        return {"Authorization": f"Bearer {self._access.reveal()}"}

    async def call(
        self,
        channel: Channel,
        method: str,
        path_qs: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = False,
        retry: bool = True,
    ) -> HttpResponse:
        """One authenticated call (see the module docstring); ``body`` is sent as-is."""
        self._bearer(path_qs)
        has_body = json_body is not None or body is not None
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
        raw = body if body is not None else b""
        for refreshed in (False, True):
            sent: list[SignedRequest] = []
            prepare = self._per_attempt(method, path_qs, raw, has_body, signed, sent)
            try:
                resp = await channel.request(
                    method,
                    self.url(path_qs),
                    headers=headers,
                    body=raw if has_body else None,
                    retry=retry,
                    prepare=prepare,
                )
            except ServiceError as err:
                if err.status == 401 and err.server_code == TOKEN_EXPIRED and not refreshed:
                    await self.refresh(channel)
                    continue
                raise
            if signed:
                self._verify(path_qs, sent[-1], resp)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _per_attempt(
        self,
        method: str,
        path_qs: str,
        raw: bytes,
        has_body: bool,
        signed: bool,
        sent: list[SignedRequest],
    ) -> Callable[[], dict[str, str]]:
        """The headers the channel asks for before each attempt: the current bearer token
        (a refresh may have replaced it) and, when ``signed``, a signature with a fresh
        nonce and timestamp, appended to ``sent`` so the response is checked against it."""

        def prepare() -> dict[str, str]:
            out = self._bearer(path_qs)
            if has_body:
                out["Content-Type"] = "application/json"
            if signed:
                key = self._signing_key(path_qs)
                nonce = secrets.token_urlsafe(16)
                req = sign_request(
                    key, method, path_qs, raw, timestamp=int(self._wall()), nonce=nonce
                )
                sent.append(req)
                out.update(req.headers())
            return out

        return prepare

    def _verify(self, path_qs: str, request: SignedRequest, resp: HttpResponse) -> None:
        """A signed call's response must carry a valid signature over ``request``'s nonce."""
        verify_response(
            self._signing_key(path_qs),
            request,
            resp.status,
            resp.headers,
            resp.body,
            now=self._wall(),
            url=resp.url,
        )

    def _signing_key(self, operation: str) -> bytes:
        if self._key is None:
            raise NotLoggedIn(operation=operation)
        return self._key.reveal()

    def forget(self) -> None:
        """Drop every secret (logout, device close)."""
        self._access = self._refresh = None
        self._key = None
        self.account = None

    def __repr__(self) -> str:
        return f"AuthSession(device={self.device_id!r}, logged_in={self.logged_in})"
