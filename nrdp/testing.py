"""Test tools shipped with the SDK (like ``trio.testing``): deterministic time and an
in-memory segment transport for users' tests.

:class:`MemoryTransport` plugs into :class:`nrdp.delivery.downloader.Downloader` where the
playback channel goes (httpx ``MockTransport`` style). It serves byte strings by URL with
HTTP range semantics, moves a :class:`FakeClock` by the time each chunk would take at a
given bandwidth (so throughput samples are exact), and plays scripted faults per URL
(ExoPlayer ``FakeDataSet``): an HTTP status, a refused connection, or "send N bytes, then
reset / stall / end early". No sockets, no event loop, no real waiting: a stall advances the
fake clock by the caller's timeout and raises ``TimeoutError`` as the timeout would.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from nrdp.errors import ConnectFailed, ConnectionReset, InvalidArgument

__all__ = ["FakeClock", "Fault", "MemoryResponse", "MemoryTransport"]


class FakeClock:
    """A :class:`nrdp.clock.Clock` that only moves when told to (ExoPlayer ``FakeClock``)."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        if not math.isfinite(start):
            raise InvalidArgument("must be finite", argument="start")
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0) and return the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise InvalidArgument(
                "a clock only moves forward by a finite amount", argument="seconds"
            )
        self._now += seconds
        return self._now

    def advance_to(self, when: float) -> float:
        """Jump to ``when`` if it is later than now (a no-op for the past)."""
        if not math.isfinite(when):
            raise InvalidArgument("must be finite", argument="when")
        self._now = max(self._now, float(when))
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r})"


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by one matching request.

    ``status``: answer with this HTTP status and no body. ``refuse``: the connection is
    refused. ``after_bytes`` + ``then`` (``"reset"``, ``"stall"`` or ``"truncate"``): send
    that many body bytes, then reset the connection, stop sending, or end the body early.
    """

    status: int | None = None
    refuse: bool = False
    after_bytes: int | None = None
    then: str = "reset"

    def __post_init__(self) -> None:
        if self.then not in ("reset", "stall", "truncate"):
            raise InvalidArgument("must be reset, stall or truncate", argument="then")
        if self.after_bytes is not None and self.after_bytes < 0:
            raise InvalidArgument("must be >= 0", argument="after_bytes")


_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class MemoryResponse:
    """A response served from memory (see :class:`MemoryTransport`)."""

    def __init__(
        self,
        transport: MemoryTransport,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        fault: Fault | None,
    ) -> None:
        self._t = transport
        self.url = url
        self.status = status
        self.headers = dict(headers)
        self._body = body
        self._pos = 0
        self._fault = fault

    @property
    def content_length(self) -> int | None:
        return len(self._body)

    async def read_chunk(self, timeout: float, size: int = 65536) -> bytes:
        fault = self._fault
        limit = len(self._body)
        if fault is not None and fault.after_bytes is not None:
            limit = min(limit, fault.after_bytes)
            if self._pos >= limit:
                if fault.then == "reset":
                    raise ConnectionReset(url=self.url, received=self._pos)
                if fault.then == "stall":
                    self._t.clock.advance(timeout)
                    raise TimeoutError("stalled")
                return b""
        n = min(size, self._t.chunk, limit - self._pos)
        chunk = self._body[self._pos : self._pos + n]
        self._pos += n
        if chunk and self._t.bandwidth_bps:
            self._t.clock.advance(len(chunk) * 8 / self._t.bandwidth_bps)
        return chunk


class MemoryTransport:
    """Files by URL (query ignored), range requests, bandwidth on a fake clock, faults."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        *,
        clock: FakeClock | None = None,
        bandwidth_bps: float | None = None,
        ttfb: float = 0.0,
        chunk: int = 16384,
    ) -> None:
        if chunk < 1 or ttfb < 0 or (bandwidth_bps is not None and bandwidth_bps <= 0):
            raise InvalidArgument("chunk >= 1, ttfb >= 0, bandwidth > 0", argument="transport")
        self.files = dict(files)
        self.clock = clock if clock is not None else FakeClock()
        self.bandwidth_bps = bandwidth_bps
        self.ttfb = ttfb
        self.chunk = chunk
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._scripts: list[tuple[str, list[Fault]]] = []

    def script(self, url_glob: str, *faults: Fault) -> None:
        """Queue ``faults`` for requests whose URL matches ``url_glob`` (one per request)."""
        self._scripts.append((url_glob, list(faults)))

    def _next_fault(self, url: str) -> Fault | None:
        for glob, queue in self._scripts:
            if queue and fnmatch.fnmatchcase(url, glob):
                return queue.pop(0)
        return None

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[MemoryResponse]:
        hdrs = dict(headers or {})
        self.requests.append((url, hdrs))
        fault = self._next_fault(url)
        if fault is not None and fault.refuse:
            raise ConnectFailed(url=url, reason="refused (scripted)")
        self.clock.advance(self.ttfb)
        key = url.split("?", 1)[0]
        if fault is not None and fault.status is not None:
            yield MemoryResponse(self, url, fault.status, {}, b"", None)
            return
        data = self.files.get(key)
        if data is None:
            yield MemoryResponse(self, url, 404, {}, b"", None)
            return
        m = _RANGE.fullmatch(hdrs.get("Range", ""))
        if m is None:
            yield MemoryResponse(self, url, 200, {}, data, fault)
            return
        first = int(m.group(1))
        last = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
        if first >= len(data):
            yield MemoryResponse(
                self, url, 416, {"Content-Range": f"bytes */{len(data)}"}, b"", None
            )
            return
        rng = {"Content-Range": f"bytes {first}-{last}/{len(data)}"}
        yield MemoryResponse(self, url, 206, rng, data[first : last + 1], fault)
