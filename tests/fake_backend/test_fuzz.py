"""Fuzzing every JSON endpoint with random bodies over real HTTP: never a 500.

Hypothesis drives synchronous requests (http.client) against a backend running on its own
event loop in a thread, so one stack serves every example. Signed endpoints get valid
signatures, so the random body reaches the handler rather than stopping at the filter.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drm.clearkey import b64url_decode
from fake_backend.context import BackendConfig
from fake_backend.gateway.ratelimit import RateLimit
from fake_backend.runner import Backend
from mediacore.signed_message import sign_request


class ThreadedBackend:
    def __init__(self, data_dir: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.backend = Backend(
            data_dir,
            catalog="tiny",
            content_scale=0.02,
            ocas=2,
            config=BackendConfig(rate_limit=RateLimit(rate_per_s=1e6, burst=1e6)),
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedBackend:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.backend.start(), self.loop).result(60)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.backend.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def request(
    base: str, method: str, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with ThreadedBackend(tmp_path_factory.mktemp("fuzz")) as tb:
        be = tb.backend
        doc = {"email": be.demo_email, "password": be.demo_password}
        status, raw = request(be.gateway_url, "POST", "/auth/v1/login", json.dumps(doc).encode())
        assert status == 200
        login = json.loads(raw)
        auth = {"Authorization": "Bearer " + login["access_token"]}
        key = b64url_decode(login["session_key"])
        title = be.catalog[0].id

        def signed(path: str, body: bytes) -> dict[str, str]:
            h = sign_request(
                key, "POST", path, body, timestamp=int(time.time()), nonce=secrets.token_urlsafe(16)
            )
            return dict(auth, **h.as_dict())

        body = json.dumps({"title_id": title}).encode()
        status, raw = request(
            be.gateway_url, "POST", "/play/v1/manifest", body, signed("/play/v1/manifest", body)
        )
        assert status == 200
        ptoken = json.loads(raw)["playback_token"]
        yield {"be": be, "auth": auth, "signed": signed, "ptoken": ptoken, "title": title}


# text includes lone surrogates (json.dumps escapes them as \udXXX), a classic 500 source
any_text = st.text(st.characters(exclude_categories=()), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda c: st.lists(c, max_size=5) | st.dictionaries(any_text, c, max_size=5),
    max_leaves=20,
)
FIELDS = [
    "email",
    "password",
    "device_id",
    "device_model",
    "refresh_token",
    "name",
    "kids",
    "plan",
    "card_number",
    "position_s",
    "profile_id",
    "events",
    "title_id",
    "kids",
    "type",
    "latency_ms",
    "error_rate",
    "trace",
    "down",
]
objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)
bodies = st.one_of(
    objects.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
)

ENDPOINTS = [
    ("gw", "POST", "/auth/v1/login", "none"),
    ("gw", "POST", "/auth/v1/refresh", "none"),
    ("gw", "POST", "/auth/v1/profiles", "bearer"),
    ("gw", "POST", "/signup/v1/accounts", "none"),
    ("gw", "POST", "/signup/v1/payment", "bearer"),
    ("gw", "PUT", "/discovery/v1/bookmarks/t-ocean", "bearer"),
    ("gw", "POST", "/telemetry/v1/events", "bearer"),
    ("gw", "POST", "/play/v1/manifest", "signed"),
    ("gw", "POST", "/license/v1/clearkey", "license"),
    ("ctl", "PUT", "/control/v1/ocas/oca-1/faults", "none"),
    ("ctl", "PUT", "/control/v1/services/search/faults", "none"),
]


@pytest.mark.parametrize(
    ("where", "method", "path", "auth"), ENDPOINTS, ids=[e[2] for e in ENDPOINTS]
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_random_json_never_500(stack, where, method, path, auth, body):
    be = stack["be"]
    base = be.gateway_url if where == "gw" else be.control_url
    headers: dict[str, str] = {}
    if auth == "bearer":
        headers = dict(stack["auth"])
    elif auth in ("signed", "license"):
        headers = stack["signed"](path, body)
        if auth == "license":
            headers["X-Nrdp-Playback-Token"] = stack["ptoken"]
    status, raw = request(base, method, path, body, headers)
    assert status < 500, (status, raw[:300])
    if status >= 400:
        err = json.loads(raw)["error"]
        assert set(err) - {"field"} == {"code", "name", "message", "request_id"}  # 8102 names it
        assert 8100 <= err["code"] <= 8199
    if path.endswith("/oca-1/faults"):
        request(base, "DELETE", path, b"")
    if path.endswith("search/faults"):
        request(base, "PUT", path, b"{}")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.text(alphabet=st.sampled_from("abc./%2e-_~"), max_size=30), rng=st.text(max_size=20))
def test_random_oca_paths_never_500(stack, path, rng):
    be = stack["be"]
    u = urlsplit(be.oca_urls[0])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        conn.putrequest("GET", f"/titles/{stack['title']}/{path}", skip_accept_encoding=True)
        if rng.isprintable() and rng.isascii():
            conn.putheader("Range", rng)
        conn.endheaders()
        status = conn.getresponse().status
    finally:
        conn.close()
    assert status in (200, 206, 400, 403, 404, 416), status
