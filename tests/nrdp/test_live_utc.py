"""UTCTiming: scheme parsing, offset estimate, resync on drift, and the aiohttp client
against a real time server on 127.0.0.1 with the device clock 30 s off."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime as http_date

import aiohttp
import pytest
from aiohttp import web

from manifest.isotime import format_datetime
from manifest.model import Descriptor
from nrdp.live import (
    ClockOffset,
    ClockSync,
    UtcScheme,
    UtcSource,
    UtcTimingFailed,
    estimate_offset,
    parse_server_time,
    timing_sources,
)
from nrdp.live.utc_client import fetch_offset, sync_offset

XS = UtcSource(UtcScheme.HTTP_XSDATE, "http://t/")
T = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_timing_sources_keep_supported_in_order() -> None:
    got = timing_sources(
        [
            Descriptor("urn:mpeg:dash:utc:ntp:2014", "pool.ntp.org"),
            Descriptor("urn:mpeg:dash:utc:http-head:2014", "http://a/ http://b/"),
            Descriptor("urn:mpeg:dash:utc:http-xsdate:2012", "http://c/"),
            Descriptor("urn:mpeg:dash:utc:direct:2014", "2026-01-01T12:00:00Z"),
        ]
    )
    assert [(s.scheme, s.value) for s in got] == [
        (UtcScheme.HTTP_HEAD, "http://a/"),
        (UtcScheme.HTTP_HEAD, "http://b/"),
        (UtcScheme.HTTP_XSDATE, "http://c/"),
        (UtcScheme.DIRECT, "2026-01-01T12:00:00Z"),
    ]


def test_parse_each_scheme() -> None:
    assert parse_server_time(XS, b"2026-01-01T12:00:00.250Z\n") == T.replace(microsecond=250000)
    iso = UtcSource(UtcScheme.HTTP_ISO, "http://t/")
    assert parse_server_time(iso, b"2026-01-01T13:00:00+01:00") == T
    head = UtcSource(UtcScheme.HTTP_HEAD, "http://t/")
    assert parse_server_time(head, headers={"Date": "Thu, 01 Jan 2026 12:00:00 GMT"}) == T
    direct = UtcSource(UtcScheme.DIRECT, "2026-01-01T12:00:00Z")
    assert parse_server_time(direct) == T


@pytest.mark.parametrize(
    ("source", "body", "headers"),
    [
        (XS, b"yesterday", {}),
        (XS, b"\xff\xfe", {}),
        (XS, b"2" * 300, {}),
        (UtcSource(UtcScheme.HTTP_HEAD, "http://t/"), b"", {}),
        (UtcSource(UtcScheme.HTTP_HEAD, "http://t/"), b"", {"Date": "soon"}),
    ],
)
def test_unusable_answers_are_typed_errors(
    source: UtcSource, body: bytes, headers: dict[str, str]
) -> None:
    with pytest.raises(UtcTimingFailed) as err:
        parse_server_time(source, body, headers)
    assert err.value.code == 2040 and err.value.retriable


def test_offset_is_taken_at_the_round_trip_midpoint() -> None:
    sent = T.timestamp() + 30.0  # the device is 30 s ahead
    o = estimate_offset(XS, T, sent - 0.2, sent + 0.2)
    assert o.offset_s == pytest.approx(-30.0) and o.uncertainty_s == pytest.approx(0.2)
    head = UtcSource(UtcScheme.HTTP_HEAD, "http://t/")
    h = estimate_offset(head, T, sent, sent)
    assert h.offset_s == pytest.approx(-29.5) and h.uncertainty_s == pytest.approx(0.5)


def test_resync_replaces_on_drift_and_keeps_the_precise_value() -> None:
    sync = ClockSync(drift_threshold_s=0.5, resync_interval_s=60.0)
    assert sync.due(0.0)
    s1 = sync.update(ClockOffset(-30.0, 0.05, 100.0, UtcScheme.HTTP_XSDATE))
    assert not s1.due(159.0) and s1.due(160.0)
    s2 = s1.update(ClockOffset(-30.2, 0.3, 160.0, UtcScheme.HTTP_XSDATE))  # agrees, coarser
    assert s2.offset is not None and s2.offset.offset_s == -30.0 and s2.drifts == 0
    assert not s2.due(200.0)  # the confirmation restarts the interval
    s3 = s2.update(ClockOffset(-27.0, 0.05, 220.0, UtcScheme.HTTP_XSDATE))  # 3 s drift
    assert s3.offset is not None and s3.offset.offset_s == -27.0 and s3.drifts == 1
    assert s3.now(1000.0).timestamp() == pytest.approx(973.0)


SERVER_SKEW = 2.0


@pytest.fixture
async def time_server() -> AsyncIterator[str]:
    def server_now() -> datetime:
        return datetime.fromtimestamp(time.time() + SERVER_SKEW, UTC)

    async def xsdate(request: web.Request) -> web.Response:
        return web.Response(text=format_datetime(server_now()))

    async def head(request: web.Request) -> web.Response:
        return web.Response(headers={"Date": http_date(server_now(), usegmt=True)})

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_get("/xsdate", xsdate)
    app.router.add_route("HEAD", "/head", head)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("device_skew", [-30.0, 30.0])
@pytest.mark.parametrize(
    ("scheme", "path"), [(UtcScheme.HTTP_XSDATE, "/xsdate"), (UtcScheme.HTTP_HEAD, "/head")]
)
async def test_client_measures_the_true_offset(
    time_server: str, device_skew: float, scheme: UtcScheme, path: str
) -> None:
    """The true offset (server skew - device skew) lies within the reported uncertainty."""

    def wall() -> float:
        return time.time() + device_skew

    async with aiohttp.ClientSession() as s:
        o = await fetch_offset(s, UtcSource(scheme, time_server + path), wall=wall)
    assert abs(o.offset_s - (SERVER_SKEW - device_skew)) <= o.uncertainty_s + 0.01


async def test_client_falls_back_to_the_next_source(time_server: str) -> None:
    sources = [
        UtcSource(UtcScheme.HTTP_XSDATE, time_server + "/broken"),
        UtcSource(UtcScheme.HTTP_XSDATE, "http://127.0.0.1:9/closed"),
        UtcSource(UtcScheme.HTTP_XSDATE, time_server + "/xsdate"),
    ]
    async with aiohttp.ClientSession() as s:
        o = await sync_offset(s, sources)
        assert abs(o.offset_s - SERVER_SKEW) <= o.uncertainty_s + 0.01
        with pytest.raises(UtcTimingFailed) as err:
            await sync_offset(s, sources[:2])
        assert err.value.source.endswith("/closed")  # the last error is raised
        with pytest.raises(UtcTimingFailed):
            await sync_offset(s, [])
