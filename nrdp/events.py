"""Events the SDK emits to apps, stats and telemetry: frozen, self-checking value objects.

Every event carries ``at``, the session clock's time when it happened (h11 ``_events.py``
style: fields are checked when constructed). Error events carry the error's JSON-ready
``to_dict()``, never the exception object, so they can cross threads and processes.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields
from typing import Any

from mediacore.errors import SdkError, Severity
from nrdp.errors import InvalidArgument
from nrdp.scheduler.buffer import TrackKind
from nrdp.state import PlayerState, StateTransition

__all__ = [
    "BandwidthEstimated",
    "BufferLevel",
    "ErrorEvent",
    "Event",
    "FramesRendered",
    "LicenseAcquired",
    "OcaFailover",
    "QualityChanged",
    "RebufferEnded",
    "RebufferStarted",
    "SegmentDownloaded",
    "StateChanged",
    "SteeringUpdated",
    "SwitchReason",
    "TrackChanged",
]


def _non_negative(event: object, *names: str) -> None:
    for name in names:
        value = getattr(event, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgument("must be a number", argument=name)
        if not math.isfinite(value) or value < 0:
            raise InvalidArgument("must be finite and >= 0", argument=name)


@dataclass(frozen=True, kw_only=True)
class Event:
    at: float

    def __post_init__(self) -> None:
        if (
            isinstance(self.at, bool)
            or not isinstance(self.at, int | float)
            or not math.isfinite(self.at)
        ):
            raise InvalidArgument("must be a finite time", argument="at")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: enums become their values."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, enum.Enum) else value
        return out


class SwitchReason(enum.Enum):
    INITIAL = "initial"
    ABR = "abr"
    FALLBACK = "fallback"
    MANUAL = "manual"


@dataclass(frozen=True, kw_only=True)
class StateChanged(Event):
    old: PlayerState
    new: PlayerState

    @classmethod
    def from_transition(cls, transition: StateTransition) -> StateChanged:
        return cls(at=transition.at, old=transition.old, new=transition.new)


@dataclass(frozen=True, kw_only=True)
class QualityChanged(Event):
    track: TrackKind
    old_bitrate: int | None
    new_bitrate: int
    rung: int
    reason: SwitchReason

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "old_bitrate", "new_bitrate", "rung")


@dataclass(frozen=True, kw_only=True)
class RebufferStarted(Event):
    position: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "position")


@dataclass(frozen=True, kw_only=True)
class RebufferEnded(Event):
    position: float
    duration: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "position", "duration")


@dataclass(frozen=True, kw_only=True)
class OcaFailover(Event):
    from_oca: str | None
    to_oca: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class SteeringUpdated(Event):
    """The content steering server changed the OCA preference order (also its first answer):
    ``pathways`` are the session's OCA ids in the new order, ``ttl`` the seconds until the
    next steering request."""

    pathways: tuple[str, ...]
    ttl: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.pathways, tuple) or not all(
            isinstance(p, str) for p in self.pathways
        ):
            raise InvalidArgument("must be a tuple of OCA ids", argument="pathways")
        _non_negative(self, "ttl")


@dataclass(frozen=True, kw_only=True)
class LicenseAcquired(Event):
    seconds: float
    key_count: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "seconds", "key_count")


@dataclass(frozen=True, kw_only=True)
class SegmentDownloaded(Event):
    track: TrackKind
    number: int
    size: int
    seconds: float
    ttfb: float
    oca: str
    rung: int
    bitrate: int
    representation: str | None = None
    """The Representation id the segment belongs to (the audio language's, after a switch)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "number", "size", "seconds", "ttfb", "rung", "bitrate")
        if self.ttfb > self.seconds:
            raise InvalidArgument("time to first byte exceeds the download time", argument="ttfb")

    @property
    def throughput_bps(self) -> float | None:
        return self.size * 8 / self.seconds if self.seconds > 0 else None


@dataclass(frozen=True, kw_only=True)
class TrackChanged(Event):
    """The audio or text track changed: ``from_id`` is None at load (the first selection),
    ``to_id`` None when subtitles are turned off. Ids are ``TrackInfo.id`` values."""

    kind: str
    from_id: str | None
    to_id: str | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in ("audio", "text"):
            raise InvalidArgument("must be 'audio' or 'text'", argument="kind")


@dataclass(frozen=True, kw_only=True)
class BufferLevel(Event):
    track: TrackKind
    ahead: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "ahead")


@dataclass(frozen=True, kw_only=True)
class BandwidthEstimated(Event):
    bps: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "bps")


@dataclass(frozen=True, kw_only=True)
class FramesRendered(Event):
    """Video frames since the previous FramesRendered event (deltas): ``decoded`` by the
    decoder (0 with ``PlayerConfig(decode=False)``), ``dropped`` (too late for their slot,
    or refused by the sink) and ``presented`` (given to the sink; with ``decode=False`` the
    slots that passed on schedule). With decoding, decoded == presented + dropped."""

    decoded: int
    dropped: int
    presented: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "decoded", "dropped", "presented")


@dataclass(frozen=True, kw_only=True)
class ErrorEvent(Event):
    error: dict[str, Any]
    fatal: bool

    @classmethod
    def from_error(cls, error: SdkError, *, at: float, fatal: bool | None = None) -> ErrorEvent:
        is_fatal = error.severity is Severity.CRITICAL if fatal is None else fatal
        return cls(at=at, error=error.to_dict(), fatal=is_fatal)
