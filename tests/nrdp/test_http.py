"""Channels over real loopback servers: error mapping, retries, breaker, separate pools."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from nrdp.channels.breaker import BreakerState
from nrdp.channels.http import Channel
from nrdp.config import (
    BreakerConfig,
    DiscoveryChannelConfig,
    PlaybackChannelConfig,
    RetryPolicy,
    Timeouts,
)
from nrdp.errors import (
    CircuitOpen,
    ConnectFailed,
    ConnectionReset,
    MalformedResponse,
    ReadTimeout,
    ServiceError,
)

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


@pytest.fixture
async def server():  # type: ignore[no-untyped-def]
    hits: dict[str, int] = {}

    async def flaky(request: web.Request) -> web.Response:
        n = hits["flaky"] = hits.get("flaky", 0) + 1
        if n < 3:
            return web.json_response(
                {
                    "error": {
                        "code": 8160,
                        "name": "DependencyFailed",
                        "message": "x",
                        "request_id": "r" * 8,
                    }
                },
                status=503,
            )
        return web.json_response({"ok": True})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({})

    async def teapot(request: web.Request) -> web.Response:
        hits["teapot"] = hits.get("teapot", 0) + 1
        return web.json_response(
            {
                "error": {
                    "code": 8131,
                    "name": "TitleNotFound",
                    "message": "x",
                    "request_id": "rid12345",
                }
            },
            status=404,
        )

    async def reset(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": "1000"})
        await resp.prepare(request)
        await resp.write(b"x" * 10)
        assert request.transport is not None
        request.transport.abort()
        return resp

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="not json")

    app = web.Application()
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/slow", slow)
    app.router.add_get("/missing", teapot)
    app.router.add_get("/reset", reset)
    app.router.add_get("/text", text)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    srv.hits = hits  # type: ignore[attr-defined]
    yield srv
    await srv.close()


def cfg(**kw):  # type: ignore[no-untyped-def]
    return PlaybackChannelConfig(retry=FAST_RETRY, **kw)


async def test_retriable_503_is_retried_then_succeeds(server):
    async with Channel(cfg()) as ch:
        resp = await ch.request("GET", str(server.make_url("/flaky")))
        assert resp.json() == {"ok": True}
        assert server.hits["flaky"] == 3 and ch.requests == 3


async def test_4xx_is_typed_and_not_retried(server):
    async with Channel(cfg()) as ch:
        with pytest.raises(ServiceError) as info:
            await ch.request("GET", str(server.make_url("/missing")) + "?token=SECRET")
        err = info.value
        assert err.status == 404 and err.server_code == 8131 and not err.retriable
        assert "SECRET" not in str(err) and "SECRET" not in err.url
        assert server.hits["teapot"] == 1
        assert ch.breaker.state is BreakerState.CLOSED  # a 4xx says nothing about health


async def test_timeout_and_reset_and_refused_map_to_the_taxonomy(server):
    t = Timeouts(connect=0.5, read=0.2, total=0.5, pool=0.2)
    async with Channel(cfg(timeouts=t)) as ch:
        with pytest.raises(ReadTimeout) as info:
            await ch.request("GET", str(server.make_url("/slow")), retry=False)
        assert isinstance(info.value, TimeoutError) and info.value.__cause__ is not None
        with pytest.raises(ConnectionReset):
            await ch.request("GET", str(server.make_url("/reset")), retry=False)
        with pytest.raises(MalformedResponse):
            (await ch.request("GET", str(server.make_url("/text")))).json()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        with pytest.raises(ConnectFailed):
            await ch.request("GET", f"http://127.0.0.1:{port}/x", retry=False)


async def test_breaker_opens_and_fails_fast(server):
    conf = cfg(
        breaker=BreakerConfig(failure_threshold=2, open_duration=60.0),
        timeouts=Timeouts(connect=0.5, read=0.1, total=0.5, pool=0.2),
    )
    async with Channel(conf) as ch:
        for _ in range(2):
            with pytest.raises(ReadTimeout):
                await ch.request("GET", str(server.make_url("/slow")), retry=False)
        assert ch.breaker.state is BreakerState.OPEN
        before = ch.requests
        with pytest.raises(CircuitOpen):
            await ch.request("GET", str(server.make_url("/flaky")))
        assert ch.requests == before  # nothing was sent


async def test_two_channels_share_no_session_or_pool(server):
    async with Channel(PlaybackChannelConfig()) as a, Channel(DiscoveryChannelConfig()) as b:
        assert a.connector is not None and b.connector is not None
        assert a.connector is not b.connector
        assert a.connector.limit == 8 and b.connector.limit == 4
        await asyncio.gather(
            a.request("GET", str(server.make_url("/missing"))), return_exceptions=True
        )
        assert a.requests == 1 and b.requests == 0
    assert a.closed and b.closed
