"""Sending a file's bytes by hand under a fault plan: delayed, paced (a rate or a trace),
stalled, truncated; and resetting a connection as a dying server does."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from pathlib import Path

from aiohttp import web

from fake_backend.oca.faults import FaultPlan
from fake_backend.oca.ranges import ByteRange

__all__ = ["reset_connection", "stream_file"]

_CHUNK = 64 * 1024


def reset_connection(request: web.Request) -> None:
    """Abort the connection with an RST (SO_LINGER 0), not a clean close."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _chunk_size(plan: FaultPlan, rate: float | None, sent: int, length: int, stalled: bool) -> int:
    """The next write: about 50 ms at the plan's rate, never past a stall or a cut."""
    floor = 1 if plan.trickle_bps is not None else 1024  # a trickle: bytes, not KiB
    n = _CHUNK if rate is None else int(min(_CHUNK, max(floor, rate * 0.05)))
    n = min(n, length - sent)
    for limit in (plan.truncate_after_bytes, None if stalled else plan.stall_after_bytes):
        if limit is not None and limit > sent:
            n = min(n, limit - sent)
    return n


async def stream_file(
    request: web.Request,
    path: Path,
    size: int,
    br: ByteRange | None,
    plan: FaultPlan,
    headers: dict[str, str],
    clock_zero: float,
    stats: dict[str, int],
) -> web.StreamResponse:
    """``path`` (or its range ``br``) under ``plan``; ``stats["bytes"]`` counts what is sent."""
    start, length = (br.start, br.length) if br is not None else (0, size)
    resp = web.StreamResponse(status=206 if br is not None else 200, headers=headers)
    resp.content_length = length
    if br is not None:
        resp.headers["Content-Range"] = br.content_range(size)
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    if plan.ttfb_ms:
        await asyncio.sleep(plan.ttfb_ms / 1000)
    loop = asyncio.get_running_loop()
    sent = 0
    stalled = False
    next_t = loop.time()
    with path.open("rb") as f:
        f.seek(start)
        while sent < length:
            if plan.truncate_after_bytes is not None and sent >= plan.truncate_after_bytes:
                transport = request.transport
                if transport is not None:
                    transport.close()
                return resp
            if (
                plan.stall_after_bytes is not None
                and not stalled
                and sent >= plan.stall_after_bytes
            ):
                stalled = True
                await _stall(request, plan.stall_ms / 1000)
                next_t = loop.time()
            rate = plan.rate_bytes_per_s(time.monotonic() - clock_zero)
            data = f.read(_chunk_size(plan, rate, sent, length, stalled))
            if not data:
                break
            await resp.write(data)
            sent += len(data)
            stats["bytes"] += len(data)
            if rate is not None:
                next_t = max(next_t, loop.time() - 0.2) + len(data) / rate
                delay = next_t - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
    await resp.write_eof()
    return resp


async def _stall(request: web.Request, seconds: float) -> None:
    """Hold the connection silent; give up early if the client went away."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(min(0.05, max(0.0, end - loop.time())))
