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

One response (request, status, body under the stall timeout, the progress rule and the
speed check) is :class:`~nrdp.delivery.response.ResponseReader`'s job; acting on the
policy's decision for a failed one is :class:`~nrdp.delivery.failover.FailureHandler`'s.
This class only loops: pick an OCA, read, hand a failure over, until the object is whole.

With a :class:`SegmentAuth` (the playback session), every request carries its headers (the
playback token, which the OCA checks and knows the client by); an OCA's 403 that the auth
says is about those credentials renews them and the same OCA is asked again, once per
fetch. Their values are :class:`~mediacore.secret.Secret`: revealed only into the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from abr.types import ThroughputSample
from mediacore.errors import SdkError
from nrdp.clock import Clock, MonotonicClock
from nrdp.delivery.failover import FailureHandler, FetchHistory
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import DefaultLoadErrorPolicy, LoadErrorPolicy
from nrdp.delivery.progress import ProgressRule
from nrdp.delivery.response import (
    Attempt,
    CredentialsRefused,
    ResponseLimits,
    ResponseReader,
    SegmentAuth,
    SegmentResponse,
    SegmentTransport,
    Timing,
    UrlDecorator,
)
from nrdp.delivery.resume import ByteRange, RangeResume
from nrdp.errors import InvalidArgument

__all__ = [
    "Attempt",
    "DownloadResult",
    "Downloader",
    "SegmentAuth",
    "SegmentResponse",
    "SegmentTransport",
    "UrlDecorator",
]


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
        self.selector = selector
        self.clock = clock if clock is not None else MonotonicClock()
        self.all_down_wait = all_down_wait
        self.reader = ResponseReader(
            channel,
            self.clock,
            auth=auth,
            progress=progress if progress is not None else ProgressRule(),
            stall_timeout=stall_timeout,
            ttfb_timeout=ttfb_timeout if ttfb_timeout is not None else stall_timeout,
            slow_factor=slow_factor,
        )
        self.failures = FailureHandler(
            selector,
            policy if policy is not None else DefaultLoadErrorPolicy(),
            self.clock,
            max_attempts=max_attempts,
            on_failover=on_failover,
        )
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
        hard_deadline: bool = False,
    ) -> DownloadResult:
        """The bytes of ``path`` (relative to each OCA's base URL), ``byte_range`` only if given.

        ``required_bps`` (the rung's bitrate) enables the too-slow check; ``lower_tracks`` says
        how many lower rungs exist, so the policy may answer Fallback TRACK, which this method
        reports by raising the error for the caller to downswitch. Every response is held
        to the progress rule (:mod:`nrdp.delivery.progress`) and, with ``deadline_s``, must
        end within that many seconds of its request (what the buffer can afford, see
        :mod:`nrdp.delivery.deadlines`); a trip fails over and resumes by Range. With no
        location left the deadline is dropped (a stall beats giving up on media), unless
        ``hard_deadline``: then the trip is the caller's typed error (it goes without).

        Every error raised after the policy was asked carries its decision as
        ``err.decision`` (:class:`Retry`, :class:`Fallback` or :class:`Fatal`), so the
        caller acts on it (e.g. Fallback TRACK: a lower rung) instead of re-deriving it.
        """
        resume = RangeResume(byte_range)
        history = FetchHistory(deadline_s=deadline_s, hard_deadline=hard_deadline)
        while True:
            oca = await self._next_location(history)
            start_offset = resume.next_offset
            limits = ResponseLimits(required_bps, history.deadline_s)
            try:
                attempt, timing = await self.reader.read(
                    oca, path, resume, limits, decorate, may_renew=not history.renewed
                )
            except asyncio.CancelledError:
                self.selector.report_cancelled(oca.id)
                raise
            except CredentialsRefused:
                history.renewed = True  # the same OCA again, with the renewed credentials
                self.credential_renewals += 1
                continue
            except SdkError as err:
                await self.failures.handle(
                    err, oca, resume, history, resumed_from=start_offset, lower_tracks=lower_tracks
                )
                continue
            history.attempts.append(attempt)
            return self._done(oca, resume, timing, history)

    async def _next_location(self, history: FetchHistory) -> Oca:
        """The OCA to ask next; when every one is excluded, wait for the first to be
        probe-able, up to ``all_down_wait`` seconds in all, then :class:`AllOcasFailed`."""
        while True:
            now = self.clock.now()
            oca = self.selector.select(now)
            if oca is not None:
                if oca.id not in history.tried:
                    history.tried.append(oca.id)
                return oca
            wake = self.selector.next_available_at(now)
            if wake is None or history.waited + max(0.0, wake - now) > self.all_down_wait:
                raise history.all_failed()
            pause = max(0.01, wake - now)
            history.waited += pause
            await asyncio.sleep(pause)

    def _done(
        self, oca: Oca, resume: RangeResume, timing: Timing, history: FetchHistory
    ) -> DownloadResult:
        received = history.attempts[-1].received
        self.bytes_total += received
        self.selector.report_success(
            oca.id, received, timing.ttfb_s + timing.transfer_s, timing.end_s
        )
        return DownloadResult(
            data=resume.data(),
            oca_id=oca.id,
            ttfb_s=timing.ttfb_s,
            transfer_s=timing.transfer_s,
            attempts=tuple(history.attempts),
            failovers=tuple(history.failovers),
            end_s=timing.end_s,
        )
