"""CORS over real HTTP: none by default, the configured origins on every JSON endpoint,
the license service and the OCAs, preflights answered before authentication."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import aiohttp

from fake_backend.context import BackendConfig
from fake_backend.cors import CorsPolicy

PAGE = "http://127.0.0.1:8123"
ACAO = "Access-Control-Allow-Origin"


def _preflight(method: str, headers: str = "") -> dict[str, str]:
    h = {"Origin": PAGE, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return h


async def test_none_by_default_on_login_and_play(
    make_backend: Any, http: aiohttp.ClientSession
) -> None:
    be = await make_backend()
    async with http.options(be.gateway_url + "/auth/v1/login", headers=_preflight("POST")) as r:
        assert r.status == 405 and ACAO not in r.headers
    async with http.get(be.gateway_url + "/auth/v1/plans", headers={"Origin": PAGE}) as r:
        assert r.status == 200 and ACAO not in r.headers


async def test_configured_origin_on_json_endpoints(
    make_backend: Any, http: aiohttp.ClientSession, fb: Any
) -> None:
    be = await make_backend(config=BackendConfig(cors_origins=(PAGE,)))
    for path in ("/auth/v1/login", "/play/v1/manifest", "/license/v1/clearkey"):
        hdrs = _preflight("POST", "authorization, content-type, x-nrdp-signature")
        async with http.options(be.gateway_url + path, headers=hdrs) as r:
            assert r.status == 204, path
            assert r.headers[ACAO] == PAGE
            assert "POST" in r.headers["Access-Control-Allow-Methods"]
            assert "x-nrdp-signature" in r.headers["Access-Control-Allow-Headers"]
    doc = {"email": be.demo_email, "password": be.demo_password}
    async with http.post(
        be.gateway_url + "/auth/v1/login", json=doc, headers={"Origin": PAGE}
    ) as r:
        assert r.status == 200 and r.headers[ACAO] == PAGE and "Origin" in r.headers["Vary"]
    bad = {"email": be.demo_email, "password": "wrong"}
    async with http.post(
        be.gateway_url + "/auth/v1/login", json=bad, headers={"Origin": PAGE}
    ) as r:
        assert r.status == 401 and r.headers[ACAO] == PAGE  # errors readable by the page
    other = {"Origin": "http://evil.example"}
    async with http.post(be.gateway_url + "/auth/v1/login", json=doc, headers=other) as r:
        assert r.status == 200 and ACAO not in r.headers
    async with http.options(be.gateway_url + "/nope", headers=_preflight("GET")) as r:
        assert r.status == 404


async def test_configured_origin_on_ocas(make_backend: Any, http: aiohttp.ClientSession) -> None:
    be = await make_backend(config=BackendConfig(cors_origins=(PAGE,)))
    url = be.oca_urls[0] + "/titles/x/manifest.mpd"
    async with http.options(url, headers=_preflight("GET", "range, x-nrdp-playback-token")) as r:
        assert r.status == 204 and r.headers[ACAO] == PAGE
        assert "range" in r.headers["Access-Control-Allow-Headers"]
    async with http.get(be.oca_urls[0] + "/health", headers={"Origin": PAGE}) as r:
        assert r.status == 200 and r.headers[ACAO] == PAGE
        assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]
    async with http.get(be.oca_urls[0] + "/health", headers={"Origin": "http://x"}) as r:
        assert ACAO not in r.headers  # the OCA's own '*' is replaced by the configured list


def test_policy_star_and_trailing_slash() -> None:
    assert CorsPolicy.of(["*"]).allow("http://a") == "*"
    assert CorsPolicy.of([PAGE + "/"]).allow(PAGE) == PAGE
    assert CorsPolicy.of([PAGE]).allow(None) is None
    assert not CorsPolicy.of([]).enabled


def test_serve_flag_parses() -> None:
    from fake_backend.__main__ import build_parser

    args = build_parser().parse_args(["serve", "--cors-origin", PAGE, "--cors-origin", "*"])
    assert args.cors_origin == [PAGE, "*"]
    assert build_parser().parse_args(["serve"]).cors_origin == []
    out = subprocess.run(
        [sys.executable, "-m", "fake_backend", "serve", "--help"], capture_output=True, text=True
    )
    assert "--cors-origin" in out.stdout
