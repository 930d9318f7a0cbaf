"""One response of a download: the request (credentials, CMCD, ``Range``), the status
line, and the body fed to :class:`~nrdp.delivery.resume.RangeResume` under every rule a
response is held to: no body byte for ``stall_timeout`` seconds
(:class:`~nrdp.errors.StallTimeout`), the progress rule and its deadline
(:mod:`nrdp.delivery.progress`), and far below the rung's bitrate when the caller names
one. Which OCA to ask, and what to do when a response fails, is not decided here
(:mod:`nrdp.delivery.downloader`, :mod:`nrdp.delivery.failover`).

Time to first byte (request sent -> headers) and transfer time (headers -> last byte) are
measured apart, as :class:`abr.types.ThroughputSample` wants them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from mediacore.errors import SdkError
from mediacore.secret import Secret
from nrdp.clock import Clock
from nrdp.delivery.oca import Oca
from nrdp.delivery.progress import ProgressMeter, ProgressRule
from nrdp.delivery.resume import RangeResume
from nrdp.errors import HttpStatusError, StallTimeout, ThroughputTooLow

__all__ = [
    "SLOW_CHECK_AFTER_S",
    "Attempt",
    "CredentialsRefused",
    "ResponseLimits",
    "ResponseReader",
    "SegmentAuth",
    "SegmentResponse",
    "SegmentTransport",
    "Timing",
    "UrlDecorator",
]

UrlDecorator = Callable[[str], tuple[str, Mapping[str, str]]]
"""Turns a URL into (URL, extra headers) per attempt: CMCD uses it."""

SLOW_CHECK_AFTER_S = 0.5
"""A transfer is judged too slow only once it has run this long (avoid TCP slow start)."""


class SegmentResponse(Protocol):
    """One open response: what the downloader reads (``Channel.stream`` yields one)."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content_length(self) -> int | None: ...

    async def read_chunk(self, timeout: float, size: int = 65536) -> bytes:
        """Next body bytes, ``b""`` at the end; ``TimeoutError`` after ``timeout``."""
        ...


class SegmentTransport(Protocol):
    """The downloader's I/O seam (httpcore ``network_backend=`` style): the playback
    :class:`~nrdp.channels.http.Channel`, or ``nrdp.testing.MemoryTransport`` in tests."""

    def stream(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[SegmentResponse]: ...


class SegmentAuth(Protocol):
    """Credentials every OCA request carries (:class:`nrdp.playback.token.PlaybackSession`)."""

    async def segment_headers(self) -> Mapping[str, Secret[str]]:
        """The headers for the next request (renewing credentials about to expire)."""
        ...

    async def segment_refused(
        self, sent: Mapping[str, Secret[str]], server_code: int | None
    ) -> bool:
        """An OCA answered 403 (error body code ``server_code``) to a request that carried
        ``sent``; True when the credentials were renewed and one more try is worth it."""
        ...


class CredentialsRefused(Exception):
    """An OCA refused the request's credentials and the auth renewed them: ask again."""


@dataclass(frozen=True)
class ResponseLimits:
    """What one fetch's responses are held to besides the stall timeout and progress rule."""

    required_bps: float | None = None
    deadline_s: float | None = None


@dataclass(frozen=True)
class Attempt:
    """One response of a download (for events, stats and tests)."""

    oca_id: str
    status: int | None
    received: int
    error: str | None
    resumed_from: int


@dataclass(frozen=True)
class Timing:
    """When one successful response happened: TTFB, transfer, and its end on the clock."""

    ttfb_s: float
    transfer_s: float
    end_s: float


def error_code(body: bytes) -> int | None:
    """The ``error.code`` of a services' JSON error body, if it is one."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, RecursionError):
        return None
    return code if type(code) is int else None  # not a bool


class ResponseReader:
    """Makes one request to one OCA and reads its body into a :class:`RangeResume`."""

    def __init__(
        self,
        channel: SegmentTransport,
        clock: Clock,
        *,
        auth: SegmentAuth | None,
        progress: ProgressRule,
        stall_timeout: float,
        ttfb_timeout: float,
        slow_factor: float,
    ) -> None:
        self.channel = channel
        self.clock = clock
        self.auth = auth
        self.progress = progress
        self.stall_timeout = stall_timeout
        self.ttfb_timeout = ttfb_timeout
        self.slow_factor = slow_factor

    async def read(
        self,
        oca: Oca,
        path: str,
        resume: RangeResume,
        limits: ResponseLimits,
        decorate: UrlDecorator | None,
        *,
        may_renew: bool = False,
    ) -> tuple[Attempt, Timing]:
        """The response to ``GET path`` from ``oca`` for the bytes ``resume`` still wants.
        Raises the typed error of a failed response (its valid bytes stay in ``resume``),
        or :class:`CredentialsRefused` when ``may_renew`` and the auth renewed them."""
        url, headers, creds = await self._request(oca, path, resume, decorate)
        offset, before = resume.next_offset, resume.received
        sent = self.clock.now()
        async with self.channel.stream("GET", url, headers=headers) as resp:
            got_headers = self.clock.now()
            if resp.status not in (200, 206):
                if resp.status == 403 and creds and may_renew and self.auth is not None:
                    code = await self._read_error_code(resp)
                    if await self.auth.segment_refused(creds, code):
                        raise CredentialsRefused()
                raise HttpStatusError(status=resp.status, url=url)
            resume.begin_response(
                resp.status,
                content_range=resp.headers.get("Content-Range"),
                content_length=resp.content_length,
                url=url,
            )
            try:
                await self._read_body(resp, url, resume, limits, sent, got_headers)
                resume.end_response()
            except BaseException:
                resume.abort_response()
                raise
        done = self.clock.now()
        attempt = Attempt(oca.id, resp.status, resume.received - before, None, offset)
        return attempt, Timing(got_headers - sent, done - got_headers, self.clock.now())

    async def _request(
        self, oca: Oca, path: str, resume: RangeResume, decorate: UrlDecorator | None
    ) -> tuple[str, dict[str, str], Mapping[str, Secret[str]]]:
        """URL and headers of the next request, and the credentials they carry."""
        url = oca.url_for(path)
        headers: dict[str, str] = {}
        creds = await self.auth.segment_headers() if self.auth is not None else {}
        for name, value in creds.items():
            headers[name] = value.reveal()
        if decorate is not None:
            url, extra = decorate(url)
            headers.update(extra)
        rng = resume.range_header()
        if rng is not None:
            headers["Range"] = rng
        return url, headers, creds

    async def _read_body(
        self,
        resp: SegmentResponse,
        url: str,
        resume: RangeResume,
        limits: ResponseLimits,
        sent: float,
        got_headers: float,
    ) -> None:
        """Feed the body to ``resume`` until it ends, holding it to the stall timeout, the
        progress rule and the deadline (measured from ``sent``)."""
        before = resume.received
        meter = ProgressMeter(self.progress, sent, limits.deadline_s)
        while True:
            timeout = self.stall_timeout if resume.received > before else self.ttfb_timeout
            left = meter.seconds_left(self.clock.now())
            try:
                chunk = await resp.read_chunk(timeout if left is None else min(timeout, left))
            except TimeoutError as exc:
                if left is not None and left <= timeout:
                    self._check_progress(url, meter, resume, before, force=True)
                got = resume.received
                raise StallTimeout(url=url, timeout_s=timeout, received=got) from exc
            if not chunk:
                return
            resume.feed(chunk)
            if resume.complete:
                return
            self._check_progress(url, meter, resume, before)
            if limits.required_bps is not None:
                self._check_speed(url, resume.received - before, got_headers, limits.required_bps)

    def _check_progress(
        self,
        url: str,
        meter: ProgressMeter,
        resume: RangeResume,
        before: int,
        *,
        force: bool = False,
    ) -> None:
        now = self.clock.now()
        if force and meter.deadline_at is not None:
            now = max(now, meter.deadline_at)  # the read waited out the deadline
        trip = meter.update(resume.received - before, resume.remaining, now)
        if trip is not None:
            raise ThroughputTooLow(
                url=url,
                measured_bps=trip.measured_bps,
                required_bps=trip.required_bps,
                rule=trip.reason,
            )

    def _check_speed(self, url: str, nbytes: int, since: float, required_bps: float) -> None:
        elapsed = self.clock.now() - since
        if elapsed < SLOW_CHECK_AFTER_S:
            return
        measured = nbytes * 8 / elapsed
        if measured < required_bps * self.slow_factor:
            raise ThroughputTooLow(url=url, measured_bps=measured, required_bps=required_bps)

    async def _read_error_code(self, resp: SegmentResponse) -> int | None:
        """The error code of a (small) error body; None if it cannot be read in time."""
        body = b""
        try:
            while len(body) < 16384:
                chunk = await resp.read_chunk(self.ttfb_timeout)
                if not chunk:
                    break
                body += chunk
        except (TimeoutError, SdkError):
            return None
        return error_code(body)
