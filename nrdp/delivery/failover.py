"""Acting on the load error policy's decision for one failed response of a download.

:class:`~nrdp.delivery.policy.LoadErrorPolicy` decides (Retry, Fallback LOCATION or
TRACK, Fatal); :class:`FailureHandler` tells the OCA selector, records the failover,
sleeps a retry's delay, and either lets the download go on (returns) or ends it with the
error, which carries the decision as ``err.decision`` so the caller acts on it (e.g.
Fallback TRACK: a lower rung) instead of re-deriving it. :class:`FetchHistory` is what
one download has seen so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from mediacore.errors import NetworkError, SdkError
from nrdp.clock import Clock
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import (
    Fallback,
    FallbackOptions,
    FallbackType,
    Fatal,
    LoadErrorDecision,
    LoadErrorInfo,
    LoadErrorPolicy,
    Retry,
)
from nrdp.delivery.reasons import classify
from nrdp.delivery.response import Attempt
from nrdp.delivery.resume import RangeResume
from nrdp.errors import AllOcasFailed, ThroughputTooLow

__all__ = ["FailureHandler", "FetchHistory", "OnFailover"]

OnFailover = Callable[[str, str | None, str], None]
"""Called with (from OCA, to OCA or None, reason) when a download leaves an OCA."""


@dataclass
class FetchHistory:
    """One download's responses, OCAs tried and failures so far."""

    deadline_s: float | None = None
    """The per-response deadline still in force (dropped when nothing faster is left,
    unless ``hard_deadline``)."""
    hard_deadline: bool = False
    """The caller would rather go without than wait past the deadline (subtitles)."""
    attempts: list[Attempt] = field(default_factory=list)
    failovers: list[tuple[str, str, str]] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    errors: int = 0
    last_reason: str = "none"
    renewed: bool = False
    waited: float = 0.0

    def all_failed(self) -> AllOcasFailed:
        return AllOcasFailed(tried=tuple(self.tried), last_reason=self.last_reason)


def _decided(err: SdkError, decision: LoadErrorDecision) -> SdkError:
    """``err`` carrying the policy's decision (``err.decision``) for the caller."""
    err.decision = decision  # type: ignore[attr-defined]
    return err


def _missed_deadline(err: SdkError) -> bool:
    return isinstance(err, ThroughputTooLow) and err.rule == "deadline"


class FailureHandler:
    """Asks the policy about a failed response and carries out its decision."""

    def __init__(
        self,
        selector: OcaSelector,
        policy: LoadErrorPolicy,
        clock: Clock,
        *,
        max_attempts: int,
        on_failover: OnFailover | None = None,
    ) -> None:
        self.selector = selector
        self.policy = policy
        self.clock = clock
        self.max_attempts = max_attempts
        self.on_failover = on_failover

    async def handle(
        self,
        err: SdkError,
        oca: Oca,
        resume: RangeResume,
        history: FetchHistory,
        *,
        resumed_from: int,
        lower_tracks: int,
    ) -> None:
        """Returns when the download should go on (another OCA, or the same one after a
        delay); raises (``err`` or :class:`AllOcasFailed`, with ``err.decision``) when it
        ends here."""
        history.errors += 1
        history.last_reason = classify(err).value
        received = resume.received - resumed_from + resume.start
        status = getattr(err, "status", None)
        history.attempts.append(Attempt(oca.id, status, received, type(err).__name__, resumed_from))
        now = self.clock.now()
        decision = self.policy.on_load_error(
            LoadErrorInfo(err, history.errors, resume.received),
            self.options(oca, now, lower_tracks),
        )
        _decided(err, decision)
        if isinstance(decision, Retry):
            await self._retry(err, oca, decision, history, now)
        elif isinstance(decision, Fallback) and decision.kind is FallbackType.LOCATION:
            self._leave(err, oca, decision, resume, history, now)
        else:
            self._end(err, oca, decision, history, now)

    async def _retry(
        self, err: SdkError, oca: Oca, decision: Retry, history: FetchHistory, now: float
    ) -> None:
        self.selector.report_failure(oca.id, classify(err), now, exclude=False)
        if (
            _missed_deadline(err)
            and not history.hard_deadline
            and history.errors < self.max_attempts
        ):
            history.deadline_s = None  # nowhere faster to go: a stall beats giving up
            return
        if history.errors >= self.max_attempts or isinstance(err, ThroughputTooLow):
            raise err  # too slow and nowhere else to go: the caller abandons
        await asyncio.sleep(decision.delay)

    def _leave(
        self,
        err: SdkError,
        oca: Oca,
        decision: Fallback,
        resume: RangeResume,
        history: FetchHistory,
        now: float,
    ) -> None:
        """Fallback LOCATION: exclude ``oca`` and go on elsewhere (resuming, or not)."""
        reason = classify(err)
        self.selector.report_failure(
            oca.id, reason, now, exclude=True, exclusion_s=decision.exclusion
        )
        if not decision.resume:
            resume.reset()
        nxt = self.selector.select(self.clock.now())
        history.failovers.append((oca.id, nxt.id if nxt else "", history.last_reason))
        if self.on_failover is not None:
            self.on_failover(oca.id, nxt.id if nxt else None, history.last_reason)
        if history.errors >= self.max_attempts:
            raise _decided(history.all_failed(), decision) from err

    def _end(
        self,
        err: SdkError,
        oca: Oca,
        decision: LoadErrorDecision,
        history: FetchHistory,
        now: float,
    ) -> None:
        """Fallback TRACK (the caller picks a lower rung) or Fatal."""
        self.selector.report_failure(oca.id, classify(err), now, exclude=False)
        if isinstance(decision, Fatal) and isinstance(err, NetworkError):
            # a location fault with no location left: the whole fleet failed us
            raise _decided(history.all_failed(), decision) from err
        raise err

    def options(self, oca: Oca, now: float, lower_tracks: int) -> FallbackOptions:
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
