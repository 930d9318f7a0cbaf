"""Ranged GETs of segments from the OCA fleet, with failover that keeps every valid byte.

One :meth:`Downloader.fetch` follows one object (a file, or a byte range of one) across as
many responses and OCAs as it takes. The pure parts decide; this module only does I/O:

- :class:`~nrdp.delivery.oca.OcaSelector` picks the OCA (sticky, health, exclusion);
- :class:`~nrdp.delivery.resume.RangeResume` asks ``Range: bytes=<next>-<end>`` and checks
  each answer, so bytes from a dead OCA are kept and the next OCA sends only the rest;
- :class:`~nrdp.delivery.policy.LoadErrorPolicy` turns each failure into Retry (same OCA,
  after a delay), Fallback LOCATION (exclude this OCA, go on elsewhere) or Fatal.

Failures seen here: connect refused/reset, HTTP errors, no first byte in time, no body byte
for ``stall_timeout`` seconds (:class:`~nrdp.errors.StallTimeout`), a body cut short
(:class:`~nrdp.errors.TruncatedBody`) and, when the caller says what bitrate it needs, a
transfer far slower than that (:class:`~nrdp.errors.ThroughputTooLow`). When every OCA is
excluded the downloader waits for the first to become probe-able, up to
``all_down_wait`` seconds in total, then raises :class:`~nrdp.errors.AllOcasFailed`.

Time to first byte (request sent -> headers) and transfer time (headers -> last byte) are
measured apart, as :class:`abr.types.ThroughputSample` wants them.

With a :class:`SegmentAuth` (the playback session), every request carries its headers (the
playback token, which the OCA checks and knows the client by); an OCA's 403 that the auth
says is about those credentials renews them and the same OCA is asked again, once per
fetch. Their values are :class:`~mediacore.secret.Secret`: revealed only into the request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from abr.types import ThroughputSample
from mediacore.errors import NetworkError, SdkError
from mediacore.secret import Secret
from nrdp.clock import Clock, MonotonicClock
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import (
    DefaultLoadErrorPolicy,
    Fallback,
    FallbackOptions,
    FallbackType,
    Fatal,
    LoadErrorDecision,
    LoadErrorInfo,
    LoadErrorPolicy,
    Retry,
)
from nrdp.delivery.progress import ProgressMeter, ProgressRule
from nrdp.delivery.reasons import classify
from nrdp.delivery.resume import ByteRange, RangeResume
from nrdp.errors import (
    AllOcasFailed,
    HttpStatusError,
    InvalidArgument,
    StallTimeout,
    ThroughputTooLow,
)

__all__ = [
    "Attempt",
    "DownloadResult",
    "Downloader",
    "SegmentAuth",
    "SegmentResponse",
    "SegmentTransport",
    "UrlDecorator",
]

UrlDecorator = Callable[[str], tuple[str, Mapping[str, str]]]
"""Turns a URL into (URL, extra headers) per attempt: CMCD uses it."""


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


class _CredentialsRefused(Exception):
    """Internal: an OCA refused the request's credentials and the auth renewed them."""


def _error_code(body: bytes) -> int | None:
    """The ``error.code`` of a services' JSON error body, if it is one."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    return code if isinstance(code, int) else None


def _missed_deadline(err: SdkError) -> bool:
    return isinstance(err, ThroughputTooLow) and err.rule == "deadline"


def _decided(err: SdkError, decision: LoadErrorDecision) -> SdkError:
    """``err`` carrying the policy's decision (``err.decision``) for the caller."""
    err.decision = decision  # type: ignore[attr-defined]
    return err


@dataclass(frozen=True)
class _Limits:
    """What one fetch's responses are held to besides the progress rule."""

    required_bps: float | None
    deadline_s: float | None


SLOW_CHECK_AFTER_S = 0.5
"""A transfer is judged too slow only once it has run this long (avoid TCP slow start)."""


@dataclass(frozen=True)
class Attempt:
    """One response of a download (for events, stats and tests)."""

    oca_id: str
    status: int | None
    received: int
    error: str | None
    resumed_from: int


@dataclass(frozen=True)
class DownloadResult:
    """The whole object and how it was fetched."""

    data: bytes
    oca_id: str
    ttfb_s: float
    transfer_s: float
    attempts: tuple[Attempt, ...] = ()
    failovers: tuple[tuple[str, str, str], ...] = field(default=())
    end_s: float = 0.0

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sample(self) -> ThroughputSample:
        """The throughput sample of the final response (the bytes it carried)."""
        last = self.attempts[-1].received if self.attempts else len(self.data)
        return ThroughputSample(
            bytes=last, ttfb_s=self.ttfb_s, transfer_s=self.transfer_s, end_s=self.end_s
        )


class Downloader:
    """Fetches objects by path from the selector's OCAs over the playback channel."""

    def __init__(
        self,
        channel: SegmentTransport,
        selector: OcaSelector,
        policy: LoadErrorPolicy | None = None,
        *,
        clock: Clock | None = None,
        stall_timeout: float = 3.0,
        ttfb_timeout: float | None = None,
        all_down_wait: float = 10.0,
        slow_factor: float = 0.5,
        max_attempts: int = 16,
        on_failover: Callable[[str, str | None, str], None] | None = None,
        auth: SegmentAuth | None = None,
        progress: ProgressRule | None = None,
    ) -> None:
        if stall_timeout <= 0 or all_down_wait < 0 or max_attempts < 1:
            raise InvalidArgument("timeouts must be > 0 and attempts >= 1", argument="downloader")
        self.channel = channel
        self.selector = selector
        self.policy = policy if policy is not None else DefaultLoadErrorPolicy()
        self.clock = clock if clock is not None else MonotonicClock()
        self.stall_timeout = stall_timeout
        self.ttfb_timeout = ttfb_timeout if ttfb_timeout is not None else stall_timeout
        self.all_down_wait = all_down_wait
        self.slow_factor = slow_factor
        self.max_attempts = max_attempts
        self.on_failover = on_failover
        self.auth = auth
        self.progress = progress if progress is not None else ProgressRule()
        self.bytes_total = 0
        self.credential_renewals = 0

    async def fetch(
        self,
        path: str,
        byte_range: ByteRange | None = None,
        *,
        required_bps: float | None = None,
        decorate: UrlDecorator | None = None,
        lower_tracks: int = 0,
        deadline_s: float | None = None,
    ) -> DownloadResult:
        """The bytes of ``path`` (relative to each OCA's base URL), ``byte_range`` only if given.

        ``required_bps`` (the rung's bitrate) enables the too-slow check; ``lower_tracks`` says
        how many lower rungs exist, so the policy may answer Fallback TRACK, which this method
        reports by raising the error for the caller to downswitch. Every response is held
        to the progress rule (:mod:`nrdp.delivery.progress`) and, with ``deadline_s``, must
        end within that many seconds of its request (what the buffer can afford: the engine
        passes its buffer level less a margin); a trip fails over and resumes by Range.

        Every error raised after the policy was asked carries its decision as
        ``err.decision`` (:class:`Retry`, :class:`Fallback` or :class:`Fatal`), so the
        caller acts on it (e.g. Fallback TRACK: a lower rung) instead of re-deriving it.
        """
        resume = RangeResume(byte_range)
        attempts: list[Attempt] = []
        failovers: list[tuple[str, str, str]] = []
        tried: list[str] = []
        errors = 0
        waited = 0.0
        last_reason = "none"
        renewed = False
        while True:
            now = self.clock.now()
            oca = self.selector.select(now)
            if oca is None:
                wake = self.selector.next_available_at(now)
                if wake is None or waited + max(0.0, wake - now) > self.all_down_wait:
                    raise AllOcasFailed(tried=tuple(tried), last_reason=last_reason)
                pause = max(0.01, wake - now)
                waited += pause
                await asyncio.sleep(pause)
                continue
            if oca.id not in tried:
                tried.append(oca.id)
            start_offset = resume.next_offset
            try:
                sample = await self._attempt(
                    oca,
                    path,
                    resume,
                    _Limits(required_bps, deadline_s),
                    decorate,
                    attempts,
                    may_renew=not renewed,
                )
            except asyncio.CancelledError:
                self.selector.report_cancelled(oca.id)
                raise
            except _CredentialsRefused:
                renewed = True  # the same OCA again, with the renewed credentials
                self.credential_renewals += 1
                continue
            except SdkError as err:
                errors += 1
                last_reason = classify(err).value
                attempts.append(
                    Attempt(
                        oca.id,
                        getattr(err, "status", None),
                        resume.received - start_offset + resume.start,
                        type(err).__name__,
                        start_offset,
                    )
                )
                now = self.clock.now()
                decision = self.policy.on_load_error(
                    LoadErrorInfo(err, errors, resume.received),
                    self._options(oca, now, lower_tracks),
                )
                err.decision = decision  # type: ignore[attr-defined]
                if isinstance(decision, Retry):
                    self.selector.report_failure(oca.id, classify(err), now, exclude=False)
                    if _missed_deadline(err) and errors < self.max_attempts:
                        deadline_s = None  # nowhere faster to go: a stall beats giving up
                        continue
                    if errors >= self.max_attempts or isinstance(err, ThroughputTooLow):
                        raise  # too slow and nowhere else to go: the caller abandons
                    await asyncio.sleep(decision.delay)
                    continue
                if isinstance(decision, Fallback) and decision.kind is FallbackType.LOCATION:
                    self.selector.report_failure(
                        oca.id, classify(err), now, exclude=True, exclusion_s=decision.exclusion
                    )
                    if not decision.resume:
                        resume.reset()
                    nxt = self.selector.select(self.clock.now())
                    failovers.append((oca.id, nxt.id if nxt else "", last_reason))
                    if self.on_failover is not None:
                        self.on_failover(oca.id, nxt.id if nxt else None, last_reason)
                    if errors >= self.max_attempts:
                        raise _decided(
                            AllOcasFailed(tried=tuple(tried), last_reason=last_reason), decision
                        ) from err
                    continue
                self.selector.report_failure(oca.id, classify(err), now, exclude=False)
                if isinstance(decision, Fallback):  # TRACK: the caller picks a lower rung
                    raise
                if isinstance(decision, Fatal) and isinstance(err, NetworkError):
                    # a location fault with no location left: the whole fleet failed us
                    raise _decided(
                        AllOcasFailed(tried=tuple(tried), last_reason=last_reason), decision
                    ) from err
                raise
            ttfb, transfer, end = sample
            data = resume.data()
            self.bytes_total += attempts[-1].received
            self.selector.report_success(oca.id, attempts[-1].received, ttfb + transfer, end)
            return DownloadResult(
                data=data,
                oca_id=oca.id,
                ttfb_s=ttfb,
                transfer_s=transfer,
                attempts=tuple(attempts),
                failovers=tuple(failovers),
                end_s=end,
            )

    def _options(self, oca: Oca, now: float, lower_tracks: int) -> FallbackOptions:
        """What the policy may fall back to. The current OCA counts as not excluded even
        when a concurrent fetch (the audio beside the video) has just excluded it, or the
        policy would see one location fewer than there is."""
        excluded = self.selector.excluded_count(now)
        if self.selector.is_excluded(oca.id, now):
            excluded -= 1
        return FallbackOptions(
            locations=len(self.selector.candidates),
            excluded_locations=excluded,
            tracks=lower_tracks + 1,
        )

    async def _attempt(
        self,
        oca: Oca,
        path: str,
        resume: RangeResume,
        limits: _Limits,
        decorate: UrlDecorator | None,
        attempts: list[Attempt],
        *,
        may_renew: bool = False,
    ) -> tuple[float, float, float]:
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
        offset = resume.next_offset
        before = resume.received
        sent = self.clock.now()
        async with self.channel.stream("GET", url, headers=headers) as resp:
            got_headers = self.clock.now()
            if resp.status not in (200, 206):
                if resp.status == 403 and creds and may_renew and self.auth is not None:
                    code = await self._read_error_code(resp)
                    if await self.auth.segment_refused(creds, code):
                        raise _CredentialsRefused()
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
        attempts.append(Attempt(oca.id, resp.status, resume.received - before, None, offset))
        return got_headers - sent, done - got_headers, self.clock.now()

    async def _read_body(
        self,
        resp: SegmentResponse,
        url: str,
        resume: RangeResume,
        limits: _Limits,
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
        return _error_code(body)

    def _check_speed(self, url: str, nbytes: int, since: float, required_bps: float) -> None:
        elapsed = self.clock.now() - since
        if elapsed < SLOW_CHECK_AFTER_S:
            return
        measured = nbytes * 8 / elapsed
        if measured < required_bps * self.slow_factor:
            raise ThroughputTooLow(url=url, measured_bps=measured, required_bps=required_bps)
