"""Fixtures for the fake backend: a real stack on 127.0.0.1 and a logged-in client."""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from drm.clearkey import b64url_decode
from fake_backend.context import BackendConfig
from fake_backend.control import CONTROL_TOKEN_HEADER
from fake_backend.runner import Backend
from mediacore.signed_message import sign_request

CONTROL_TOKEN = "test-control-token-0123456789"
CONTROL_HEADERS = {CONTROL_TOKEN_HEADER: CONTROL_TOKEN}
"""Test backends share one control token; the ``http`` fixtures send it on every request."""


def with_control_token(config: BackendConfig | None) -> BackendConfig:
    cfg = config or BackendConfig()
    return cfg if cfg.control_token else replace(cfg, control_token=CONTROL_TOKEN)


async def start_backend(tmp_path: Path, **kw: Any) -> Backend:
    kw["config"] = with_control_token(kw.get("config"))
    kw.setdefault("catalog", "tiny")
    kw.setdefault("content_scale", 0.05)
    kw.setdefault("ocas", 3)
    be = Backend(tmp_path / "data", **kw)
    await be.start()
    return be


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[Backend]:
    be = await start_backend(tmp_path)
    try:
        yield be
    finally:
        await be.close()


@pytest.fixture
async def make_backend(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start a backend with custom options; every one started is closed at teardown."""
    started: list[Backend] = []

    async def make(**kw: Any) -> Backend:
        be = await start_backend(tmp_path / f"b{len(started)}", **kw)
        started.append(be)
        return be

    try:
        yield make
    finally:
        for be in started:
            await be.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=20), headers=CONTROL_HEADERS
    ) as s:
        yield s


def error_of(doc: Any) -> dict[str, Any]:
    """The error object of a JSON error body, asserting its exact shape."""
    assert set(doc) == {"error"}, doc
    err = doc["error"]
    assert set(err) - {"field"} == {"code", "name", "message", "request_id"}, err
    if err["code"] == 8102:  # InvalidField always names its field
        assert isinstance(err.get("field"), str) and err["field"], err
    assert isinstance(err["code"], int) and 8000 <= err["code"] <= 8999
    assert isinstance(err["name"], str) and err["name"]
    assert isinstance(err["request_id"], str) and err["request_id"]
    return err  # type: ignore[no-any-return]


@dataclass
class Client:
    """A logged-in device: bearer token, session key, and signed requests."""

    http: aiohttp.ClientSession
    base: str
    login: dict[str, Any]

    @property
    def token(self) -> str:
        return str(self.login["access_token"])

    @property
    def key(self) -> bytes:
        return b64url_decode(self.login["session_key"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kw: Any) -> tuple[int, Any, aiohttp.ClientResponse]:
        async with self.http.get(self.base + path, headers=self.auth, **kw) as r:
            return r.status, await r.json(content_type=None), r

    async def send(
        self, method: str, path: str, doc: Any = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        body = json.dumps(doc).encode() if doc is not None else b""
        headers = dict(self.auth, **kw.pop("headers", {}))
        data = io.BytesIO(body) if len(body) > 512 * 1024 else body
        async with self.http.request(method, self.base + path, data=data, headers=headers) as r:
            return r.status, await r.json(content_type=None), r

    def sign(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        ts: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        return sign_request(
            self.key,
            method,
            path,
            body,
            timestamp=int(time.time()) if ts is None else ts,
            nonce=nonce or secrets.token_urlsafe(16),
        ).as_dict()

    async def signed(
        self,
        path: str,
        body: bytes,
        *,
        extra: dict[str, str] | None = None,
        ts: int | None = None,
        nonce: str | None = None,
        tamper: bytes | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse, bytes]:
        headers = dict(self.auth, **self.sign("POST", path, body, ts=ts, nonce=nonce))
        headers.update(extra or {})
        sent = tamper if tamper is not None else body
        async with self.http.post(self.base + path, data=sent, headers=headers) as r:
            raw = await r.read()
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = None
            return r.status, doc, r, raw

    async def play(self, title_id: str, **extra: Any) -> tuple[int, Any]:
        body = json.dumps({"title_id": title_id, **extra}).encode()
        status, doc, _, _ = await self.signed("/play/v1/manifest", body)
        return status, doc


async def login_as(
    http: aiohttp.ClientSession,
    be: Backend,
    email: str | None = None,
    password: str | None = None,
    **extra: Any,
) -> Client:
    doc = {"email": email or be.demo_email, "password": password or be.demo_password, **extra}
    async with http.post(be.gateway_url + "/auth/v1/login", json=doc) as r:
        body = await r.json()
        assert r.status == 200, body
    return Client(http, be.gateway_url, body)


@pytest.fixture
async def client(http: aiohttp.ClientSession, backend: Backend) -> Client:
    return await login_as(http, backend)


async def signup_paid(http: aiohttp.ClientSession, be: Backend, plan: str) -> Client:
    email = f"user-{secrets.token_hex(4)}@example.com"
    async with http.post(
        be.gateway_url + "/signup/v1/accounts",
        json={"email": email, "password": "correct horse", "plan": plan},
    ) as r:
        assert r.status == 201, await r.text()
    c = await login_as(http, be, email, "correct horse")
    status, doc, _ = await c.send("POST", "/signup/v1/payment", {"card_number": "4242424242424242"})
    assert status == 200, doc
    return c


@pytest.fixture
def fb() -> SimpleNamespace:
    """Helpers for tests (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(
        error_of=error_of,
        login_as=login_as,
        signup_paid=signup_paid,
        Client=Client,
        BackendConfig=BackendConfig,
        with_control_token=with_control_token,
    )
