"""Gateway filters over real HTTP: error shape, auth, rate limit, body limit, headers, breaker."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from fake_backend.gateway.breaker import BreakerConfig
from fake_backend.gateway.ratelimit import RateLimit


async def test_health_and_outbound_headers(backend, http):
    async with http.get(
        backend.gateway_url + "/health", headers={"X-Request-Id": "abc-12345678"}
    ) as r:
        assert r.status == 200
        assert (await r.json())["status"] == "ok"
        assert r.headers["X-Request-Id"] == "abc-12345678"
        assert r.headers["Server-Timing"].startswith("gw;dur=")
        assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_unknown_route_is_404_json(backend, http, fb):
    async with http.get(backend.gateway_url + "/nope/v1/x") as r:
        assert r.status == 404
        err = fb.error_of(await r.json())
        assert err["code"] == 8104 and err["name"] == "RouteNotFound"
        assert err["request_id"] == r.headers["X-Request-Id"]


async def test_wrong_method_is_405_json(backend, http, fb):
    async with http.delete(backend.gateway_url + "/auth/v1/login") as r:
        assert r.status == 405
        assert fb.error_of(await r.json())["code"] == 8105


async def test_missing_token_401(backend, http, fb):
    async with http.get(backend.gateway_url + "/auth/v1/me") as r:
        assert r.status == 401
        assert fb.error_of(await r.json())["name"] == "Unauthenticated"


async def test_bad_token_401(backend, http, fb, client):
    for header in (
        "Bearer nonsense",
        "Basic abc",
        "Bearer " + client.token[:-2] + ("AA" if not client.token.endswith("AA") else "BB"),
        "Bearer v1.e30.xx",
    ):
        async with http.get(
            backend.gateway_url + "/auth/v1/me", headers={"Authorization": header}
        ) as r:
            assert r.status == 401, header
            assert fb.error_of(await r.json())["code"] == 8111


async def test_expired_token_401(backend, http, fb, client):
    token = backend.ctx.access.issue(
        {"sub": client.login["account_id"], "dev": client.login["device_id"]},
        now=time.time() - 3600,
        ttl_s=60,
    )
    async with http.get(
        backend.gateway_url + "/auth/v1/me", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 401
        err = fb.error_of(await r.json())
        assert err["code"] == 8112 and err["name"] == "TokenExpired"


async def test_playback_token_is_not_an_access_token(backend, http, fb, client):
    token = backend.ctx.playback.issue(
        {"sub": client.login["account_id"], "dev": client.login["device_id"]},
        now=time.time(),
        ttl_s=60,
    )
    async with http.get(
        backend.gateway_url + "/auth/v1/me", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 401
        assert fb.error_of(await r.json())["code"] == 8111


async def test_malformed_json_400(backend, http, fb, client):
    for body in (b"{not json", b"[1,2]", b"\xff\xfe", b"", b"null"):
        async with http.post(
            backend.gateway_url + "/auth/v1/profiles", data=body, headers=client.auth
        ) as r:
            assert r.status == 400, body
            assert fb.error_of(await r.json())["code"] == 8101


async def test_oversize_body_413(backend, http, fb, client):
    big = json.dumps({"name": "x" * (backend.config.body_limit + 10)}).encode()
    async with http.post(
        backend.gateway_url + "/auth/v1/profiles", data=big, headers=client.auth
    ) as r:
        assert r.status == 413
        err = fb.error_of(await r.json())
        assert err["code"] == 8103 and err["name"] == "BodyTooLarge"


async def test_oversize_chunked_body_413(backend, http, fb, client):
    async def gen():
        for _ in range(20):
            yield b"x" * 8192

    async with http.post(
        backend.gateway_url + "/auth/v1/profiles", data=gen(), headers=client.auth
    ) as r:
        assert r.status == 413
        assert fb.error_of(await r.json())["code"] == 8103


async def test_rate_limited_429_with_retry_after(make_backend, http, fb):
    be = await make_backend(config=fb.BackendConfig(rate_limit=RateLimit(rate_per_s=0.5, burst=4)))
    c = await fb.login_as(http, be)  # the login itself is limited per address, not per device
    statuses = []
    for _ in range(6):
        status, doc, r = await c.get("/auth/v1/me")
        statuses.append(status)
        if status == 429:
            err = fb.error_of(doc)
            assert err["code"] == 8120
            assert int(r.headers["Retry-After"]) >= 1
    assert statuses[:4] == [200] * 4
    assert statuses[4:] == [429, 429]
    # another device has its own bucket
    c2 = await fb.login_as(http, be)
    assert (await c2.get("/auth/v1/me"))[0] == 200


async def test_breaker_opens_and_home_falls_back(make_backend, http, fb):
    be = await make_backend(
        config=fb.BackendConfig(breaker=BreakerConfig(failure_threshold=2, reset_timeout_s=0.3))
    )
    c = await fb.login_as(http, be)
    title = "t-heist"  # shares a genre with t-detect
    status, _, _ = await c.send("PUT", f"/discovery/v1/bookmarks/{title}", {"position_s": 3.0})
    assert status == 200
    status, home, _ = await c.get("/discovery/v1/home")
    assert "because_you_watched" in [row["id"] for row in home["rows"]]
    async with http.put(
        be.control_url + "/control/v1/services/recommendations/faults", json={"error_rate": 1.0}
    ) as r:
        assert r.status == 200
    be.ctx.cache.invalidate("home:")
    for _ in range(3):
        status, home, r = await c.get("/discovery/v1/home")
        assert status == 200
        assert home["degraded"] == ["recommendations"]
        assert r.headers["X-Nrdp-Degraded"] == "recommendations"
        ids = [row["id"] for row in home["rows"]]
        assert "because_you_watched" not in ids and "trending" in ids
    async with http.get(be.control_url + "/control/v1/breakers") as r:
        states = {b["route"]: b["state"] for b in (await r.json())["breakers"]}
    assert states["discovery.recommendations"] == "open"
    async with http.put(
        be.control_url + "/control/v1/services/recommendations/faults", json={"error_rate": 0.0}
    ) as r:
        assert r.status == 200
    await asyncio.sleep(0.35)
    status, home, _ = await c.get("/discovery/v1/home")
    assert home["degraded"] == []
    assert "because_you_watched" in [row["id"] for row in home["rows"]]


async def test_route_breaker_fails_fast_when_dependency_down(make_backend, http, fb):
    be = await make_backend(
        config=fb.BackendConfig(breaker=BreakerConfig(failure_threshold=2, reset_timeout_s=30))
    )
    c = await fb.login_as(http, be)
    async with http.put(
        be.control_url + "/control/v1/services/search/faults", json={"error_rate": 1.0}
    ) as r:
        assert r.status == 200
    codes = []
    for _ in range(4):
        status, doc, r = await c.get("/discovery/v1/search", params={"q": "ocean"})
        assert status == 503
        codes.append(fb.error_of(doc)["code"])
    assert codes == [8160, 8160, 8161, 8161]
    assert int(r.headers["Retry-After"]) >= 1


async def test_incoming_request_id_sanitised(backend, http):
    async with http.get(backend.gateway_url + "/health", headers={"X-Request-Id": "bad id!"}) as r:
        assert r.headers["X-Request-Id"] != "bad id!"
        assert len(r.headers["X-Request-Id"]) == 32


async def test_concurrent_requests_all_answer(backend, http, client):
    results = await asyncio.gather(*(client.get("/discovery/v1/titles") for _ in range(30)))
    assert all(status == 200 for status, _, _ in results)


async def test_client_disconnect_does_not_break_server(backend, http):
    timeout = aiohttp.ClientTimeout(total=0.001)
    try:
        async with http.get(backend.gateway_url + "/auth/v1/plans", timeout=timeout) as r:
            await r.read()
    except (TimeoutError, aiohttp.ClientError):
        pass
    async with http.get(backend.gateway_url + "/auth/v1/plans") as r:
        assert r.status == 200


async def test_non_ascii_bearer_token_is_401(backend, fb):
    import asyncio as aio

    reader, writer = await aio.open_connection(
        "127.0.0.1", int(backend.gateway_url.rsplit(":", 1)[1])
    )
    try:
        writer.write(
            b"GET /auth/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: Bearer v1.\xc3\xa9\xff.x\r\n\r\n"
        )
        await writer.drain()
        data = await aio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    assert data.startswith(b"HTTP/1.1 401"), data[:100]
