"""Test tools shipped with the SDK (like ``trio.testing``): deterministic time and an
in-memory segment transport for users' tests.

:class:`VirtualClock` is the clock to run a whole player on (trio ``MockClock`` with
autojump): ``sleep`` waits on virtual time, and when every task of the loop waits (on the
clock, or on nothing that is runnable) and no outside work marked ``busy()`` is
outstanding (a decode in a worker thread, a download), time jumps to the next sleeper's
deadline. A machine that is busy only makes the test slower, never different.

:class:`MemoryTransport` plugs into :class:`nrdp.delivery.downloader.Downloader` where the
playback channel goes (httpx ``MockTransport`` style). It serves byte strings by URL with
HTTP range semantics, moves a :class:`FakeClock` by the time each chunk would take at a
given bandwidth (so throughput samples are exact), and plays scripted faults per URL
(ExoPlayer ``FakeDataSet``): an HTTP status, a refused connection, or "send N bytes, then
reset / stall / end early". No sockets, no event loop, no real waiting: a stall advances the
fake clock by the caller's timeout and raises ``TimeoutError`` as the timeout would.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import heapq
import math
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass

from nrdp.errors import ConnectFailed, ConnectionReset, InvalidArgument

__all__ = ["FakeClock", "Fault", "MemoryResponse", "MemoryTransport", "VirtualClock"]


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

    async def sleep(self, seconds: float) -> None:
        """A manual clock has no other time source: sleeping moves it by ``seconds``."""
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(now={self._now!r})"


IDLE_ROUNDS = 3
"""Loop iterations in a row with nothing runnable before the virtual clock jumps (each one
polls the sockets without blocking, so a loopback reply already sent is seen first)."""


class VirtualClock(FakeClock):
    """Virtual time for a whole event loop: ``sleep`` on it, and it jumps when all wait.

    ``autojump=False``: time moves only by :meth:`advance` / :meth:`advance_to` (which
    wake the sleepers that are due). :meth:`busy` marks the current task as waiting on
    outside work; a busy task that sleeps on this clock is not busy while it sleeps.
    """

    __slots__ = ("_busy", "_depth", "_kick", "_loop", "_seq", "_sleepers", "_watcher", "autojump")

    def __init__(self, start: float = 0.0, *, autojump: bool = True) -> None:
        super().__init__(start)
        self.autojump = autojump
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._busy = 0
        self._depth: dict[asyncio.Task[object] | None, int] = {}
        self._kick: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ waiting

    async def sleep(self, seconds: float) -> None:
        if not math.isfinite(seconds):
            raise InvalidArgument("must be finite", argument="seconds")
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = self._attach()
        fut: asyncio.Future[None] = loop.create_future()
        # a sleep too short to move a float still moves time: no sleeper spins in place
        deadline = max(self._now + seconds, math.nextafter(self._now, math.inf))
        heapq.heappush(self._sleepers, (deadline, self._seq, fut))
        self._seq += 1
        depth = self._depth.get(asyncio.current_task(), 0)
        self._busy -= depth  # sleeping on this clock is not outside work
        self._poke()
        try:
            await fut
        finally:
            self._busy += depth

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """The current task waits on outside work while inside: time does not jump."""
        self._attach()
        task = asyncio.current_task()
        self._depth[task] = self._depth.get(task, 0) + 1
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            left = self._depth[task] - 1
            if left:
                self._depth[task] = left
            else:
                del self._depth[task]
            self._poke()

    @property
    def pending(self) -> int:
        """Sleepers not yet woken (for tests of the clock itself)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    # ------------------------------------------------------------------ moving

    def advance(self, seconds: float) -> float:
        now = super().advance(seconds)
        self._wake_due()
        return now

    def advance_to(self, when: float) -> float:
        now = super().advance_to(when)
        self._wake_due()
        return now

    def _wake_due(self) -> None:
        heap = self._sleepers
        while heap and (heap[0][0] <= self._now or heap[0][2].done()):
            _, _, fut = heapq.heappop(heap)
            if not fut.done():
                fut.set_result(None)

    def _next_deadline(self) -> float | None:
        heap = self._sleepers
        while heap and heap[0][2].done():  # cancelled sleepers
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    # ------------------------------------------------------------------ autojump

    def _attach(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (a new test): forget the old one's waiters
            self._loop, self._sleepers, self._depth, self._busy = loop, [], {}, 0
            self._kick, self._watcher = asyncio.Event(), None
        return loop

    def _poke(self) -> None:
        if self._kick is not None:
            self._kick.set()
        if (
            self.autojump
            and self._loop is not None
            and (self._watcher is None or self._watcher.done())
        ):
            self._watcher = self._loop.create_task(self._autojump(), name="nrdp-virtual-clock")

    async def _autojump(self) -> None:
        """Jump to the next deadline whenever the loop is idle and nothing is busy; leave
        when nobody sleeps (the next ``sleep`` starts it again)."""
        assert self._kick is not None and self._loop is not None
        while self._next_deadline() is not None:
            if self._busy > 0:
                self._kick.clear()
                await self._kick.wait()
                continue
            if not await self._settled():
                continue
            deadline = self._next_deadline()
            if deadline is not None and self._busy == 0:
                self.advance_to(deadline)

    async def _settled(self) -> bool:
        """Yield until nothing else is runnable for ``IDLE_ROUNDS`` iterations in a row."""
        assert self._loop is not None
        rounds = 0
        while rounds < IDLE_ROUNDS:
            await asyncio.sleep(0)
            if self._busy > 0:
                return False
            ready = getattr(self._loop, "_ready", ())
            rounds = rounds + 1 if len(ready) == 0 else 0
        return True


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
