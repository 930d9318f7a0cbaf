"""Listeners that a flood of idle or half-sent connections cannot take down.

Every site of the backend (gateway, control plane, each OCA) is a :class:`GuardedSite`:
an aiohttp ``TCPSite`` whose connections pass a :class:`ConnectionGuard` first. The guard
closes a connection at once when its client address already holds
``max_conns_per_client`` connections on this listener, or when the listener holds its
whole share of the process's descriptors (``descriptor_budget``), so a flood on one port
leaves room for the others; and it closes a connection that has not delivered a complete
request head within ``header_timeout_s``. After a response, aiohttp's own keep-alive
timeout (``keepalive_timeout_s``, passed to the runner by :func:`runner_kwargs`) closes
an idle connection or one whose next head never completes.

Accept errors (EMFILE and the like: asyncio logs one per failed ``accept()``) are logged
at most once per interval with a count (:class:`AcceptErrorLog`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
import time
from collections.abc import Callable
from typing import Any, cast

from aiohttp import web

from fake_backend.limits import ServerLimits, descriptor_budget

__all__ = ["AcceptErrorLog", "ConnectionGuard", "GuardedSite", "runner_kwargs"]

log = logging.getLogger("fake_backend.listener")


def runner_kwargs(limits: ServerLimits) -> dict[str, Any]:
    """aiohttp ``AppRunner`` options that bound an idle keep-alive connection."""
    return {"keepalive_timeout": limits.keepalive_timeout_s}


class ConnectionGuard:
    """Open connections of one listener, per client address and in all (pure counting)."""

    def __init__(self, limits: ServerLimits, budget: int | None = None) -> None:
        self.limits = limits
        self.budget = budget if budget is not None else descriptor_budget(limits)
        self.open = 0
        self.refused = 0
        self.timed_out = 0
        self._per_client: dict[str, int] = {}

    def admit(self, client: str) -> bool:
        held = self._per_client.get(client, 0)
        if held >= self.limits.max_conns_per_client or self.open >= self.budget:
            self.refused += 1
            return False
        self._per_client[client] = held + 1
        self.open += 1
        return True

    def release(self, client: str) -> None:
        held = self._per_client.get(client, 0)
        if held <= 1:
            self._per_client.pop(client, None)
        else:
            self._per_client[client] = held - 1
        self.open -= 1

    def snapshot(self) -> dict[str, int]:
        return {
            "open": self.open,
            "budget": self.budget,
            "clients": len(self._per_client),
            "refused": self.refused,
            "header_timeouts": self.timed_out,
        }


class _GuardedProtocol(asyncio.Protocol):
    """Wraps aiohttp's protocol for one admitted connection: the header deadline, and the
    release of its slot when it closes."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard, client: str) -> None:
        self._inner = inner
        self._guard = guard
        self.client: str | None = client
        self.made = False
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, base: asyncio.BaseTransport) -> None:
        self.made = True
        self._transport = cast(asyncio.Transport, base)
        self._timer = asyncio.get_running_loop().call_later(
            self._guard.limits.header_timeout_s, self._header_deadline
        )
        self._inner.connection_made(base)

    def _header_deadline(self) -> None:
        self._timer = None
        # aiohttp counts complete request heads; none yet: a half-open or silent connection
        if getattr(self._inner, "_request_count", 1) == 0 and self._transport is not None:
            self._guard.timed_out += 1
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.release()
        self._transport = None
        self._inner.connection_lost(exc)

    def release(self) -> None:
        if self.client is not None:
            self._guard.release(self.client)
            self.client = None


_RST = struct.pack("ii", 1, 0)


class _Acceptor(asyncio.AbstractServer):
    """The accept loop of one listener. A connection over its address's cap or the
    listener's budget is closed right after ``accept()`` (with a reset), before asyncio
    builds a transport, a task and aiohttp's protocol for it: refusing a flood costs
    microseconds per connection, so the other clients of the process are not kept waiting.
    """

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[], asyncio.Protocol],
        guard: ConnectionGuard,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock: socket.socket | None = sock
        self._factory = factory
        self._guard = guard
        self._ssl = ssl_context
        self.sockets = [sock]
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(self._guard.limits.listen_backlog):
            try:
                conn, addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # EMFILE, ENFILE, ENOBUFS...: back off for a second
                self._loop.call_exception_handler(
                    {"message": "socket.accept() out of system resource", "exception": exc}
                )
                self._loop.remove_reader(sock.fileno())
                self._loop.call_later(1.0, self._resume)
                return
            client = str(addr[0]) if isinstance(addr, tuple) and addr else "unknown"
            if not self._guard.admit(client):
                with contextlib.suppress(OSError):
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
                conn.close()
                continue
            conn.setblocking(False)
            task = self._loop.create_task(self._connect(conn, client))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _resume(self) -> None:
        if self._sock is not None:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    async def _connect(self, conn: socket.socket, client: str) -> None:
        proto = _GuardedProtocol(self._factory(), self._guard, client)
        try:
            await self._loop.connect_accepted_socket(
                lambda: proto,
                conn,
                ssl=self._ssl,
                ssl_handshake_timeout=self._guard.limits.header_timeout_s if self._ssl else None,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError):
            if not proto.made:  # never reached aiohttp: free the slot here
                proto.release()
                conn.close()

    def close(self) -> None:
        if self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._sock is not None

    async def start_serving(self) -> None:
        return None

    async def serve_forever(self) -> None:
        raise NotImplementedError("the backend's runners drive their sites")

    async def wait_closed(self) -> None:
        return None


class GuardedSite(web.TCPSite):
    """A ``TCPSite`` whose every connection passes ``guard`` (see the module doc)."""

    __slots__ = ("guard",)

    def __init__(self, runner: web.BaseRunner, *args: Any, guard: ConnectionGuard, **kw: Any):
        kw.setdefault("backlog", guard.limits.listen_backlog)
        super().__init__(runner, *args, **kw)
        self.guard = guard

    async def start(self) -> None:
        self._runner._reg_site(self)
        server = self._runner.server
        assert server is not None
        try:
            host = self._host or ""
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server(
                (host, self._port),
                family=family,
                backlog=self._backlog,
                reuse_port=bool(self._reuse_port),
            )
        except BaseException:
            self._runner._unreg_site(self)  # a failed bind leaves nothing registered
            raise
        sock.setblocking(False)
        self._server = _Acceptor(sock, server, self.guard, self._ssl_context)
        self._bound_port = sock.getsockname()[1]


class AcceptErrorLog:
    """A loop exception handler that logs accept errors at most once per ``interval_s``
    (with how many were folded in) and passes every other error on unchanged."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self.suppressed = 0
        self._last = -float("inf")
        self._previous: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @staticmethod
    def is_accept_error(context: dict[str, Any]) -> bool:
        message = str(context.get("message", ""))
        return "accept" in message and isinstance(context.get("exception"), OSError)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not self.is_accept_error(context):
            if self._previous is not None:
                self._previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        now = self.clock()
        if now - self._last < self.interval_s:
            self.suppressed += 1
            return
        folded, self.suppressed, self._last = self.suppressed, 0, now
        log.error(
            "%s: %s (%d more in the last %.0f s)",
            context.get("message"),
            context.get("exception"),
            folded,
            self.interval_s,
        )

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._previous = loop, loop.get_exception_handler()
        loop.set_exception_handler(self)

    def uninstall(self) -> None:
        if self._loop is not None and self._loop.get_exception_handler() is self:
            self._loop.set_exception_handler(self._previous)
        self._loop = None
