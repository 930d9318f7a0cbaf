"""What to do when a segment load fails: a small policy that returns a decision.

Modelled on ExoPlayer's ``LoadErrorHandlingPolicy``: the loop hands over a
:class:`LoadErrorInfo` and :class:`FallbackOptions` and gets back one of

- :class:`Retry` the same OCA after ``delay`` seconds;
- :class:`Fallback` ``LOCATION``: the same bytes from another OCA (the failed one is
  excluded for ``exclusion`` seconds; ``resume`` says whether the bytes already received
  are valid and the download continues with a Range request, see
  :mod:`nrdp.delivery.resume`), or ``TRACK``: a lower rung (downswitch);
- :class:`Fatal`: give up and report the error.

Default rules (:class:`DefaultLoadErrorPolicy`):

- location faults (connect refused/reset, timeouts, stalls, truncated bodies, wrong ranges,
  HTTP 403/404/410/416/5xx, throughput far below the rung's bitrate) fall back to another
  location when one is left; a slow OCA with no alternative location falls back to a lower
  track; otherwise retry with backoff up to ``min_retry_count`` times, then fatal;
- HTTP 408/429 are throttling: retry the same OCA with backoff, fall back after that;
- corrupt data (decrypt, demux, box errors) is refetched from another OCA (or the same one
  when alone), never resumed, at most ``corrupt_refetch_count`` times, then fatal;
- an open circuit waits for the breaker's ``retry_after_s``;
- license problems, other 4xx and unknown errors are fatal at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from nrdp.channels.retry import Backoff
from nrdp.config import LoadErrorConfig, RetryPolicy
from nrdp.delivery.reasons import FailureReason, classify
from nrdp.errors import CircuitOpen, HttpStatusError, InvalidArgument

__all__ = [
    "LOCATION_FALLBACK_STATUSES",
    "DefaultLoadErrorPolicy",
    "Fallback",
    "FallbackOptions",
    "FallbackType",
    "Fatal",
    "LoadErrorDecision",
    "LoadErrorInfo",
    "LoadErrorPolicy",
    "Retry",
]

LOCATION_FALLBACK_STATUSES = frozenset({403, 404, 410, 416, 500, 502, 503, 504})
_MISSING_STATUSES = frozenset({403, 404, 410})
_THROTTLE_STATUSES = frozenset({408, 429})


class FallbackType(enum.Enum):
    LOCATION = "location"
    TRACK = "track"


@dataclass(frozen=True)
class LoadErrorInfo:
    """One failed load: the error, how many times in a row this load failed (incl. this one)
    and how many bytes of it had arrived."""

    error: BaseException
    error_count: int
    bytes_received: int = 0

    def __post_init__(self) -> None:
        if self.error_count < 1:
            raise InvalidArgument("counts from 1", argument="error_count")
        if self.bytes_received < 0:
            raise InvalidArgument("must be >= 0", argument="bytes_received")


@dataclass(frozen=True)
class FallbackOptions:
    """How many locations (OCAs) and tracks (rungs at or below the current) exist and how
    many are excluded; the current one counts as not excluded."""

    locations: int
    excluded_locations: int = 0
    tracks: int = 1
    excluded_tracks: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.excluded_locations <= self.locations:
            raise InvalidArgument("must be within 0..locations", argument="excluded_locations")
        if not 0 <= self.excluded_tracks <= self.tracks:
            raise InvalidArgument("must be within 0..tracks", argument="excluded_tracks")

    def available(self, kind: FallbackType) -> bool:
        """Whether another, non-excluded alternative of this kind exists."""
        if kind is FallbackType.LOCATION:
            return self.locations - self.excluded_locations > 1
        return self.tracks - self.excluded_tracks > 1


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class Fallback:
    kind: FallbackType
    exclusion: float
    resume: bool = False


@dataclass(frozen=True)
class Fatal:
    error: BaseException


LoadErrorDecision = Retry | Fallback | Fatal


class LoadErrorPolicy(Protocol):
    def on_load_error(self, info: LoadErrorInfo, options: FallbackOptions) -> LoadErrorDecision: ...


_LOCATION_FAULTS = frozenset(
    {
        FailureReason.CONNECT,
        FailureReason.RESET,
        FailureReason.TIMEOUT,
        FailureReason.STALL,
        FailureReason.TRUNCATED,
        FailureReason.RANGE,
        FailureReason.SLOW,
    }
)
# Bytes received before these faults may not be the object's bytes: start over.
_NOT_RESUMABLE = frozenset({FailureReason.CORRUPT, FailureReason.RANGE})


class DefaultLoadErrorPolicy:
    """The rules in the module docstring, with ExoPlayer's defaults as a starting point."""

    def __init__(
        self, config: LoadErrorConfig | None = None, backoff: Backoff | None = None
    ) -> None:
        self.config = config if config is not None else LoadErrorConfig()
        self.backoff = backoff if backoff is not None else Backoff(RetryPolicy())

    def on_load_error(self, info: LoadErrorInfo, options: FallbackOptions) -> LoadErrorDecision:
        reason = classify(info.error)
        if reason is FailureReason.HTTP_STATUS:
            assert isinstance(info.error, HttpStatusError)
            return self._on_status(info, options, info.error.status)
        if reason in _LOCATION_FAULTS:
            return self._location_fault(
                info, options, reason, self.config.transient_location_exclusion
            )
        if reason is FailureReason.CORRUPT:
            if info.error_count > self.config.corrupt_refetch_count:
                return Fatal(info.error)
            if options.available(FallbackType.LOCATION):
                return Fallback(FallbackType.LOCATION, self.config.transient_location_exclusion)
            return Retry(self.backoff.delay(info.error_count))
        if reason is FailureReason.CIRCUIT:
            assert isinstance(info.error, CircuitOpen)
            if info.error_count > self.config.min_retry_count:
                return Fatal(info.error)
            return Retry(info.error.retry_after_s)
        return Fatal(info.error)

    def is_too_slow(self, measured_bps: float, required_bps: float) -> bool:
        """Whether a download's throughput is far below the rung's bitrate (``slow_factor``).

        The downloader raises :class:`nrdp.errors.ThroughputTooLow` when this holds, which
        the policy treats as a location fault (another OCA, else a downswitch).
        """
        return measured_bps < required_bps * self.config.slow_factor

    def _on_status(
        self, info: LoadErrorInfo, options: FallbackOptions, status: int
    ) -> LoadErrorDecision:
        if status in _THROTTLE_STATUSES:
            if info.error_count <= self.config.min_retry_count:
                return Retry(self.backoff.delay(info.error_count))
            if options.available(FallbackType.LOCATION):
                return self._fallback(
                    info, FailureReason.HTTP_STATUS, self.config.transient_location_exclusion
                )
            return Fatal(info.error)
        if status in LOCATION_FALLBACK_STATUSES or status >= 500:
            exclusion = (
                self.config.location_exclusion
                if status in _MISSING_STATUSES
                else self.config.transient_location_exclusion
            )
            return self._location_fault(info, options, FailureReason.HTTP_STATUS, exclusion)
        return Fatal(info.error)

    def _location_fault(
        self,
        info: LoadErrorInfo,
        options: FallbackOptions,
        reason: FailureReason,
        exclusion: float,
    ) -> LoadErrorDecision:
        if options.available(FallbackType.LOCATION):
            return self._fallback(info, reason, exclusion)
        if reason is FailureReason.SLOW and options.available(FallbackType.TRACK):
            return Fallback(FallbackType.TRACK, self.config.track_exclusion)
        if info.error_count <= self.config.min_retry_count:
            return Retry(self.backoff.delay(info.error_count))
        return Fatal(info.error)

    @staticmethod
    def _fallback(info: LoadErrorInfo, reason: FailureReason, exclusion: float) -> Fallback:
        resume = info.bytes_received > 0 and reason not in _NOT_RESUMABLE
        return Fallback(FallbackType.LOCATION, exclusion, resume=resume)
