"""One HTTP channel: its own aiohttp session and connection pool, timeouts, retry and breaker.

The SDK opens one :class:`Channel` per plane (playback, discovery) plus a low-priority one for
telemetry; they share nothing, so a dead discovery service cannot hold a socket, a pool slot
or a breaker that playback needs. Every foreign exception is translated here, at the
boundary (httpcore ``map_exceptions``), into :mod:`nrdp.errors` with ``raise ... from exc``;
messages carry redacted URLs only, never a token.

Two ways in:

- :meth:`Channel.request` sends one small request (JSON APIs), reads the whole body, and
  retries retriable failures with :class:`~nrdp.channels.retry.Backoff` behind the channel's
  :class:`~nrdp.channels.breaker.CircuitBreaker`.
- :meth:`Channel.stream` opens one response for the segment downloader, which reads the body
  chunk by chunk with its own stall timeout. It does no retry and does not use the breaker:
  per-OCA health belongs to :class:`~nrdp.delivery.oca.OcaSelector`, and one dead OCA must
  not close the channel to the healthy ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from mediacore.errors import SdkError
from nrdp.channels.breaker import CircuitBreaker
from nrdp.channels.retry import Backoff
from nrdp.clock import Clock, MonotonicClock
from nrdp.config import _ChannelConfig
from nrdp.errors import (
    ConnectFailed,
    ConnectionReset,
    ConnectTimeout,
    InvalidState,
    MalformedResponse,
    ReadTimeout,
    ServiceError,
    map_exceptions,
    redact_url,
)

__all__ = ["Channel", "HttpResponse", "StreamResponse", "answer", "exception_map"]


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response of :meth:`Channel.request`."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a typed :class:`MalformedResponse`."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedResponse(url=self.url, reason="body is not JSON") from exc

    def json_object(self) -> dict[str, Any]:
        doc = self.json()
        if not isinstance(doc, dict):
            raise MalformedResponse(url=self.url, reason="body is not a JSON object")
        return doc


def exception_map(url: str, *, connect_s: float, read_s: float, received: int = 0) -> Any:
    """The boundary translation of aiohttp/asyncio exceptions for a request to ``url``."""
    return {
        aiohttp.ClientConnectorError: lambda e: ConnectFailed(url=url, reason=type(e).__name__),
        aiohttp.ServerDisconnectedError: lambda e: ConnectionReset(url=url, received=received),
        aiohttp.ClientPayloadError: lambda e: ConnectionReset(url=url, received=received),
        aiohttp.ClientOSError: lambda e: ConnectionReset(url=url, received=received),
        aiohttp.ServerConnectionError: lambda e: ConnectionReset(url=url, received=received),
        aiohttp.ConnectionTimeoutError: lambda e: ConnectTimeout(url=url, timeout_s=connect_s),
        aiohttp.ServerTimeoutError: lambda e: ReadTimeout(url=url, timeout_s=read_s),
        asyncio.TimeoutError: lambda e: ReadTimeout(url=url, timeout_s=read_s),
        aiohttp.ClientResponseError: lambda e: ConnectionReset(url=url, received=received),
        ConnectionError: lambda e: ConnectionReset(url=url, received=received),
        aiohttp.InvalidURL: lambda e: ConnectFailed(url=url, reason="invalid URL"),
        aiohttp.ClientError: lambda e: ConnectFailed(url=url, reason=type(e).__name__),
    }


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        value = float(headers.get("Retry-After", ""))
    except ValueError:
        return None
    return value if 0 <= value < math.inf else None


def _error_object(body: bytes) -> Mapping[str, Any]:
    """The ``error`` object of a services' JSON error body; empty for any other body."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    err = doc.get("error") if isinstance(doc, dict) else None
    return err if isinstance(err, dict) else {}


def _short_text(value: object, default: str = "") -> str:
    return value[:64] if isinstance(value, str) else default


def service_error(status: int, url: str, headers: Mapping[str, str], body: bytes) -> ServiceError:
    """A typed error from a non-2xx response, reading the services' JSON error body if any
    (a field of the wrong type is left out, never taken as something else)."""
    err = _error_object(body)
    code, named = err.get("code"), err.get("field")
    return ServiceError(
        status=status,
        url=url,
        server_code=code if type(code) is int else None,
        server_name=_short_text(err.get("name")),
        request_id=_short_text(err.get("request_id"), _short_text(headers.get("X-Request-Id", ""))),
        retry_after_s=_retry_after(headers),
        field=named if isinstance(named, str) and _FIELD.fullmatch(named) else None,
    )


_FIELD = re.compile(r"[A-Za-z0-9_.\[\]-]{1,64}")
"""A field name as the services write them (``device_id``, ``events[3].type``)."""


def answer(status: int, url: str, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    """What :meth:`Channel.request` makes of one response read off the socket: a 2xx is
    the response, anything else the typed :class:`ServiceError` (its JSON body read)."""
    if not 200 <= status < 300:
        raise service_error(status, url, headers, body)
    return HttpResponse(status, headers, body, redact_url(url))


class StreamResponse:
    """An open response whose body the caller reads chunk by chunk (errors mapped)."""

    def __init__(self, resp: aiohttp.ClientResponse, url: str, read_s: float) -> None:
        self._resp = resp
        self.url = url
        self.status = resp.status
        self.headers: Mapping[str, str] = resp.headers
        self._read_s = read_s
        self.received = 0

    @property
    def content_length(self) -> int | None:
        return self._resp.content_length

    async def read_chunk(self, timeout: float, size: int = 65536) -> bytes:
        """The next body bytes (``b""`` at the end); raises ReadTimeout after ``timeout``."""
        with map_exceptions(
            exception_map(self.url, connect_s=0.0, read_s=timeout, received=self.received)
        ):
            async with asyncio.timeout(timeout):
                chunk = await self._resp.content.readany()
        self.received += len(chunk)
        return chunk

    async def read_all(self, timeout: float) -> bytes:
        with map_exceptions(
            exception_map(self.url, connect_s=0.0, read_s=timeout, received=self.received)
        ):
            async with asyncio.timeout(timeout):
                return await self._resp.read()


class Channel:
    """An HTTP client for one plane; an async context manager that closes its pool."""

    def __init__(
        self,
        config: _ChannelConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.name = config.name
        self.clock = clock if clock is not None else MonotonicClock()
        self.breaker = CircuitBreaker(config.breaker, name=config.name)
        self.backoff = Backoff(config.retry, rng)
        self._headers = dict(headers or {})
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._connector: aiohttp.TCPConnector | None = None
        self.requests = 0
        self.failures = 0

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Channel:
        self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def open(self) -> None:
        """Create the session and its own connector (needs a running event loop)."""
        if self._session is not None:
            return
        lim, t = self.config.limits, self.config.timeouts
        self._connector = aiohttp.TCPConnector(
            limit=lim.max_connections,
            limit_per_host=lim.max_connections_per_host,
            keepalive_timeout=lim.keepalive_expiry,
            enable_cleanup_closed=False,
        )
        self._session = aiohttp.ClientSession(
            connector=self._connector,
            timeout=aiohttp.ClientTimeout(
                total=t.total, connect=t.pool + t.connect, sock_connect=t.connect, sock_read=t.read
            ),
            headers=self._headers,
            auto_decompress=False,
            raise_for_status=False,
        )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        self._connector = None

    @property
    def closed(self) -> bool:
        return self._session is None

    @property
    def connector(self) -> aiohttp.TCPConnector | None:
        """This channel's own pool (tests check that channels never share one)."""
        return self._connector

    def _require(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise InvalidState(state="closed", event=f"{self.name} request")
        return self._session

    # ------------------------------------------------------------------ requests

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        json_body: Any = None,
        retry: bool = True,
        prepare: Callable[[], Mapping[str, str]] | None = None,
    ) -> HttpResponse:
        """Send with retries; a 2xx returns, anything else raises a typed error.

        ``prepare`` is called before every attempt for headers that must be fresh per attempt
        (a signature with a new nonce, a refreshed token).
        """
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            try:
                extra = dict(prepare()) if prepare is not None else {}
                return await self._once(method, url, {**(headers or {}), **extra}, body)
            except SdkError as err:
                delay = self.backoff.next_delay(err, attempt) if retry else None
                if delay is None:
                    raise
                hint = getattr(err, "retry_after_s", None)
                if isinstance(hint, int | float) and hint > delay:
                    delay = min(float(hint), self.config.retry.max_delay)
                await self._sleep(delay)

    async def _once(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        session = self._require()
        self.breaker.check(self.clock.now())
        self.requests += 1
        t = self.config.timeouts
        ok = False
        try:
            with map_exceptions(exception_map(url, connect_s=t.connect, read_s=t.read)):
                async with session.request(method, url, headers=headers, data=body) as resp:
                    status, resp_headers, data = resp.status, resp.headers, await resp.read()
            # 5xx, 408 and 429 count against the breaker; other answers show the server is up
            ok = not (status >= 500 or status in (408, 429))
            return answer(status, url, resp_headers, data)
        except asyncio.CancelledError:
            self.breaker.record_cancelled()
            raise
        finally:
            if ok:
                self.breaker.record_success(self.clock.now())
            elif not _cancelling():
                self.failures += 1
                self.breaker.record_failure(self.clock.now())

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[StreamResponse]:
        """Open one response (any status) for chunked reading; no retry, no breaker."""
        session = self._require()
        self.requests += 1
        t = self.config.timeouts
        timeout = aiohttp.ClientTimeout(
            total=None, connect=t.pool + t.connect, sock_connect=t.connect, sock_read=None
        )
        with map_exceptions(exception_map(url, connect_s=t.connect, read_s=t.read)):
            async with asyncio.timeout(t.pool + t.connect + t.read):
                resp = await session.request(method, url, headers=headers, timeout=timeout)
        try:
            yield StreamResponse(resp, url, t.read)
        finally:
            resp.close()

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, open={not self.closed}, breaker={self.breaker.state.value})"


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
