"""Fetch the server's time from an MPD's UTCTiming sources over aiohttp.

Used on the playback channel's session. Every source is tried in the MPD's order until one
answers; the result is a :class:`nrdp.live.utc.ClockOffset` for
:meth:`nrdp.live.utc.ClockSync.update`. ``wall`` is the device's wall clock (POSIX seconds),
injected so tests can put the device 30 s off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import aiohttp

from mediacore.errors import SdkError
from nrdp.live.errors import UtcTimingFailed
from nrdp.live.utc import (
    MAX_BODY,
    ClockOffset,
    UtcScheme,
    UtcSource,
    estimate_offset,
    parse_server_time,
)

__all__ = ["Requester", "channel_offset", "fetch_offset", "sync_offset"]


async def fetch_offset(
    session: aiohttp.ClientSession,
    source: UtcSource,
    *,
    wall: Callable[[], float] = time.time,
    timeout_s: float = 5.0,
) -> ClockOffset:
    """One sample from one source; UtcTimingFailed when it gives no usable time."""
    sent = wall()
    if source.scheme is UtcScheme.DIRECT:
        return estimate_offset(source, parse_server_time(source), sent, sent)
    method = "HEAD" if source.scheme is UtcScheme.HTTP_HEAD else "GET"
    try:
        async with session.request(
            method, source.value, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            body = await resp.content.read(MAX_BODY + 1)
            received = wall()
            if resp.status != 200:
                raise UtcTimingFailed(source=source.value, reason=f"HTTP {resp.status}")
            server = parse_server_time(source, body, dict(resp.headers))
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UtcTimingFailed(source=source.value, reason=type(exc).__name__) from None
    return estimate_offset(source, server, sent, received)


async def sync_offset(
    session: aiohttp.ClientSession,
    sources: Sequence[UtcSource],
    *,
    wall: Callable[[], float] = time.time,
    timeout_s: float = 5.0,
) -> ClockOffset:
    """The first source that answers; the last error if none does."""
    if not sources:
        raise UtcTimingFailed(source="", reason="the MPD has no supported UTCTiming")
    error: UtcTimingFailed | None = None
    for source in sources:
        try:
            return await fetch_offset(session, source, wall=wall, timeout_s=timeout_s)
        except UtcTimingFailed as exc:
            error = exc
    assert error is not None
    raise error


class Requester(Protocol):
    """The part of :class:`nrdp.channels.http.Channel` a clock sample needs."""

    async def request(self, method: str, url: str, *, retry: bool = True) -> Any: ...


async def channel_offset(
    channel: Requester,
    sources: Sequence[UtcSource],
    *,
    wall: Callable[[], float] = time.time,
) -> ClockOffset:
    """:func:`sync_offset` over the player's playback channel (its pool, timeouts and
    breaker) instead of a bare aiohttp session: the first source that answers."""
    if not sources:
        raise UtcTimingFailed(source="", reason="the MPD has no supported UTCTiming")
    error: UtcTimingFailed | None = None
    for source in sources:
        sent = wall()
        if source.scheme is UtcScheme.DIRECT:
            return estimate_offset(source, parse_server_time(source), sent, sent)
        method = "HEAD" if source.scheme is UtcScheme.HTTP_HEAD else "GET"
        try:
            resp = await channel.request(method, source.value, retry=False)
            received = wall()
            server = parse_server_time(source, resp.body[:MAX_BODY], dict(resp.headers))
            return estimate_offset(source, server, sent, received)
        except UtcTimingFailed as exc:
            error = exc
        except SdkError as exc:
            error = UtcTimingFailed(source=source.value, reason=type(exc).__name__)
    assert error is not None
    raise error
