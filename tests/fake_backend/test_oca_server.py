"""OCA over HTTP: ranges, traversal, CORS, every fault measured from the client, fill."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from fake_backend.oca.fleet import place

SEG = "v1080/seg-1.m4s"


def _holder(be, title_id: str, holds: bool = True):
    chosen = set(place(title_id, [n.id for n in be.fleet.nodes], be.config.replicas))
    return next(n for n in be.fleet.nodes if (n.id in chosen) == holds)


async def _set(http, be, node, **plan):
    async with http.put(f"{be.control_url}/control/v1/ocas/{node.id}/faults", json=plan) as r:
        assert r.status == 200, await r.text()
        return await r.json()


@pytest.fixture
def title(backend):
    return backend.catalog[0].id


@pytest.fixture
def origin_bytes(backend, title):
    return backend.origin.file_path(title, SEG).read_bytes()


async def test_full_get_and_head(backend, http, title, origin_bytes):
    node = _holder(backend, title)
    url = f"{node.url}/titles/{title}/{SEG}"
    async with http.get(url) as r:
        assert r.status == 200
        assert int(r.headers["Content-Length"]) == len(origin_bytes)
        assert r.headers["Accept-Ranges"] == "bytes"
        assert r.headers["Content-Type"] == "video/iso.segment"
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]
        assert await r.read() == origin_bytes
    async with http.head(url) as r:
        assert r.status == 200 and int(r.headers["Content-Length"]) == len(origin_bytes)


@pytest.mark.parametrize("shaped", [False, True], ids=["fast-path", "streamed"])
async def test_ranges(backend, http, title, origin_bytes, shaped):
    node = _holder(backend, title)
    if shaped:
        await _set(http, backend, node, ttfb_ms=1)
    url = f"{node.url}/titles/{title}/{SEG}"
    size = len(origin_bytes)
    cases = [
        ("bytes=10-19", 10, 19),
        ("bytes=100-", 100, size - 1),
        ("bytes=-50", size - 50, size - 1),
        (f"bytes=5-{size + 1000}", 5, size - 1),
        (f"bytes=-{size * 2}", 0, size - 1),
    ]
    for header, start, end in cases:
        async with http.get(url, headers={"Range": header}) as r:
            assert r.status == 206, header
            assert r.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
            assert int(r.headers["Content-Length"]) == end - start + 1
            assert await r.read() == origin_bytes[start : end + 1]
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        async with http.get(url, headers={"Range": header}) as r:
            assert r.status == 416, header
            assert r.headers["Content-Range"] == f"bytes */{size}"
            assert (await r.json())["error"]["code"] == 8174
    for header in ("items=1-2", "bytes=1-2,5-6", "bytes=9-3"):
        async with http.get(url, headers={"Range": header}) as r:
            assert r.status == 200, header
            assert await r.read() == origin_bytes


async def _raw_get(host: str, port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    status = int(data.split(b" ", 2)[1])
    return status, data


async def test_path_traversal_rejected(backend, title):
    node = _holder(backend, title)
    secret_db = (backend.data_dir / "backend.sqlite3").read_bytes()[:16]
    paths = [
        f"/titles/{title}/../../../backend.sqlite3",
        f"/titles/{title}/%2e%2e/%2e%2e/%2e%2e/backend.sqlite3",
        f"/titles/{title}/..%2f..%2f..%2fbackend.sqlite3",
        "/titles/..%2f..%2f/endpoints.json",
        f"/titles/{title}/v1080/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"/titles/{title}/.complete",
        f"/titles/{title}/v1080//seg-1.m4s",
        "/titles/%2e%2e/backend.sqlite3",
    ]
    for path in paths:
        status, data = await _raw_get(node.host, node.port, path)
        assert status in (403, 404), (path, status)
        assert secret_db not in data and b"root:" not in data


async def test_missing_file_404(backend, http, title):
    node = _holder(backend, title)
    async with http.get(f"{node.url}/titles/{title}/v1080/seg-999.m4s") as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == 8172


async def test_fill_locks_do_not_outlive_their_fills(backend, http, title):
    """Regression (issue 17 #9): a lock per requested path stayed forever (20,000 misses
    left 20,199 entries); now a lock lives only while its fill runs."""
    node = _holder(backend, title, holds=False)

    async def miss(i: int) -> int:
        async with http.get(f"{node.url}/titles/{title}/v1080/no-{i}.m4s") as r:
            return r.status

    statuses = await asyncio.gather(*(miss(i) for i in range(300)))
    assert set(statuses) == {404}
    async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
        assert r.status == 200  # a real fill (from a peer) works and leaves nothing
    assert backend.fleet.fill_locks == 0


async def test_preflight(backend, http, title):
    node = _holder(backend, title)
    async with http.options(
        f"{node.url}/titles/{title}/{SEG}",
        headers={"Origin": "http://x", "Access-Control-Request-Method": "GET"},
    ) as r:
        assert r.status == 204
        assert "Range" in r.headers["Access-Control-Allow-Headers"]


async def test_latency_adds_delay(backend, http, title):
    node = _holder(backend, title)
    url = f"{node.url}/titles/{title}/{SEG}"
    t0 = time.perf_counter()
    async with http.get(url) as r:
        await r.read()
    base = time.perf_counter() - t0
    await _set(http, backend, node, latency_ms=300)
    t0 = time.perf_counter()
    async with http.get(url) as r:
        await r.read()
    slow = time.perf_counter() - t0
    # a lower bound load cannot break (a busy machine only adds time): local requests
    # without the fault take milliseconds, so this fails if the latency is not applied
    assert slow >= 0.3 and base >= 0.0


async def test_ttfb_delays_body_not_headers(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, ttfb_ms=400)
    t0 = time.perf_counter()
    async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
        t_headers = time.perf_counter() - t0
        await r.read()
        t_body = time.perf_counter() - t0
    # the delay sits between the headers and the body: their distance is load-proof
    assert t_body - t_headers >= 0.35
    assert t_body >= 0.4


async def _rate(http, url) -> tuple[float, int]:
    t0 = time.perf_counter()
    async with http.get(url) as r:
        data = await r.read()
    return len(data) / (time.perf_counter() - t0), len(data)


async def test_bandwidth_cap(backend, http, title, origin_bytes):
    node = _holder(backend, title)
    await _set(http, backend, node, bandwidth_kbps=1000)
    rate, n = await _rate(http, f"{node.url}/titles/{title}/{SEG}")
    assert n == len(origin_bytes)
    assert 125_000 * 0.6 <= rate <= 125_000 * 1.15, rate  # loaded CI machines run slow


async def test_throughput_trace(backend, http, title, abr_data_dir):
    node = _holder(backend, title)
    trace_file = sorted((abr_data_dir / "traces" / "fcc").glob("*.txt"))[0]
    first_kbps = float(trace_file.read_text().split()[1])
    # a real trace is accepted as text; its first sample governs a short download
    plan = await _set(http, backend, node, trace_text=trace_file.read_text())
    assert plan["trace"][0] == [0.0, first_kbps]
    await _set(http, backend, node, trace_text="0.000 1600.000\n10.000 1600.000\n")
    rate, _ = await _rate(http, f"{node.url}/titles/{title}/{SEG}")
    assert 200_000 * 0.6 <= rate <= 200_000 * 1.15, rate


async def test_error_rate_and_status(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, error_rate=1.0, error_status=429)
    async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
        assert r.status == 429
        assert (await r.json())["error"]["code"] == 8175
    await _set(http, backend, node, error_rate=0.5, seed=7)
    statuses = []
    for _ in range(20):
        async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
            statuses.append(r.status)
            await r.read()
    assert 3 <= statuses.count(503) <= 17 and statuses.count(200) + statuses.count(503) == 20


async def test_paths_glob_limits_faults(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, error_rate=1.0, paths="*/init.mp4")
    async with http.get(f"{node.url}/titles/{title}/v240/init.mp4") as r:
        assert r.status == 503
    async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
        assert r.status == 200


async def test_stall_after_bytes(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, stall_after_bytes=4000, stall_ms=5000)
    got = bytearray()
    timeout = aiohttp.ClientTimeout(total=None, sock_read=0.5)
    t0 = time.perf_counter()
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(f"{node.url}/titles/{title}/{SEG}", timeout=timeout) as r:
            assert r.status == 200
            async for chunk in r.content.iter_any():
                got += chunk
    assert len(got) == 4000
    assert time.perf_counter() - t0 < 3


async def test_stall_then_resume(backend, http, title, origin_bytes):
    node = _holder(backend, title)
    await _set(http, backend, node, stall_after_bytes=1000, stall_ms=300)
    t0 = time.perf_counter()
    async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
        assert await r.read() == origin_bytes
    assert time.perf_counter() - t0 >= 0.3


async def test_truncate_after_bytes(backend, http, title, origin_bytes):
    node = _holder(backend, title)
    await _set(http, backend, node, truncate_after_bytes=5000)
    got = bytearray()
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
            assert int(r.headers["Content-Length"]) == len(origin_bytes)
            async for chunk in r.content.iter_any():
                got += chunk
    assert bytes(got) == origin_bytes[:5000]


async def test_reset_connection(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, reset_rate=1.0)
    with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
            await r.read()
    assert node.stats["resets"] >= 1  # aiohttp may retry an idempotent GET once


async def test_down_refuses_then_up_serves(backend, http, title, origin_bytes):
    node = _holder(backend, title)
    url = f"{node.url}/titles/{title}/{SEG}"
    async with aiohttp.ClientSession() as keepalive:
        async with keepalive.get(url) as r:
            assert r.status == 200
            await r.read()
        async with http.post(f"{backend.control_url}/control/v1/ocas/{node.id}/down") as r:
            assert (await r.json())["up"] is False
        with pytest.raises(aiohttp.ClientConnectorError):
            async with http.get(url) as r:
                await r.read()
        # a connection opened before the outage does not keep working either
        with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
            async with keepalive.get(url) as r:
                await r.read()
    async with http.put(
        f"{backend.control_url}/control/v1/ocas/{node.id}/faults", json={"down": False}
    ) as r:
        assert r.status == 200
    async with http.get(url) as r:
        assert r.status == 200 and await r.read() == origin_bytes


async def test_down_cuts_a_response_in_flight(backend, http, title, origin_bytes):
    """A killed OCA dies mid-body: the client gets part of the segment, then an error."""
    node = _holder(backend, title)
    await _set(http, backend, node, bandwidth_kbps=800)  # ~100 KB/s: seconds per segment
    received = 0
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        async with http.get(f"{node.url}/titles/{title}/{SEG}") as r:
            assert r.status == 200
            async for chunk in r.content.iter_chunked(4096):
                received += len(chunk)
                if received >= 8192 and node.up:
                    await node.go_down()
    assert 8192 <= received < len(origin_bytes)
    await node.go_up()


async def test_down_via_fault_plan(backend, http, title):
    node = _holder(backend, title)
    await _set(http, backend, node, down=True)
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"{node.url}/health") as r:
            await r.read()
    async with http.delete(f"{backend.control_url}/control/v1/ocas/{node.id}/faults") as r:
        assert r.status == 200
    async with http.get(f"{node.url}/health") as r:
        assert r.status == 200


async def test_miss_fills_from_peer_then_origin(backend, http, title, origin_bytes):
    cold = _holder(backend, title, holds=False)
    assert not cold.has_file(title, SEG)
    async with http.get(f"{cold.url}/titles/{title}/{SEG}") as r:
        assert r.status == 200 and await r.read() == origin_bytes
    assert cold.stats["fills_peer"] == 1 and cold.has_file(title, SEG)
    async with http.get(f"{cold.url}/oca/v1/holdings") as r:
        held = (await r.json())["titles"][title]
    assert held["files"] == 1 and held["complete"] is False
    # with every peer down the origin fills
    for n in backend.fleet.nodes:
        if n is not cold:
            await n.go_down()
    async with http.get(f"{cold.url}/titles/{title}/v720/seg-1.m4s") as r:
        assert r.status == 200
        assert await r.read() == backend.origin.file_path(title, "v720/seg-1.m4s").read_bytes()
    assert cold.stats["fills_origin"] == 1


async def test_fill_request_is_not_recursive(backend, http, title):
    cold = _holder(backend, title, holds=False)
    fill = {"X-Nrdp-Fill": backend.fleet.fill_secret}  # what a peer OCA sends
    async with http.get(f"{cold.url}/titles/{title}/{SEG}", headers=fill) as r:
        assert r.status == 404
    assert not cold.has_file(title, SEG)
