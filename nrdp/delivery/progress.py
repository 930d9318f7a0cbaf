"""The progress rule every playback request is held to: one byte a second cannot pass it.

A stall timer alone is reset by every byte, so a server trickling one byte a second keeps
a request alive forever. :class:`ProgressRule` asks instead for at least ``min_bytes`` in
every ``window_s`` of the body (or the end of the body, whichever comes first), and
:class:`ProgressMeter` also enforces a deadline per response that the caller derives from
what its buffer can afford. A trip is a :class:`~nrdp.errors.ThroughputTooLow` (a location
fault: the downloader fails over and resumes with a Range request). Pure: time is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from nrdp.errors import InvalidArgument

__all__ = ["ProgressMeter", "ProgressRule", "Trip"]


@dataclass(frozen=True)
class ProgressRule:
    """At least ``min_bytes`` in every ``window_s`` seconds of a body (32 kbit/s by default:
    far below any rung, far above a trickle)."""

    window_s: float = 4.0
    min_bytes: int = 16_384

    def __post_init__(self) -> None:
        if not self.window_s > 0 or self.min_bytes < 1:
            raise InvalidArgument("window_s must be > 0 and min_bytes >= 1", argument="progress")

    @property
    def min_bps(self) -> float:
        return self.min_bytes * 8 / self.window_s


@dataclass(frozen=True)
class Trip:
    """Why a response broke the rule, with the rates for the typed error."""

    reason: str  # "window" or "deadline"
    measured_bps: float
    required_bps: float


class ProgressMeter:
    """One response's progress, from its headers on (``started``, on the caller's clock)."""

    def __init__(self, rule: ProgressRule, started: float, deadline_s: float | None) -> None:
        if deadline_s is not None and not deadline_s > 0:
            raise InvalidArgument("must be > 0", argument="deadline_s")
        self.rule = rule
        self.started = started
        self.deadline_at = None if deadline_s is None else started + deadline_s
        self._window_start = started
        self._window_bytes = 0
        self.received = 0

    def seconds_left(self, now: float) -> float | None:
        """Until the deadline (a read should not wait past it); None: no deadline."""
        return None if self.deadline_at is None else max(0.0, self.deadline_at - now)

    def update(self, received: int, remaining: int | None, now: float) -> Trip | None:
        """``received`` body bytes so far (``remaining`` still wanted, None unknown)."""
        self._window_bytes += received - self.received
        self.received = received
        elapsed = max(1e-9, now - self.started)
        if remaining == 0:
            return None
        if self.deadline_at is not None and now >= self.deadline_at:
            total = received + (remaining or 0)
            need = total * 8 / max(1e-9, self.deadline_at - self.started)
            return Trip("deadline", received * 8 / elapsed, need)
        if now - self._window_start < self.rule.window_s:
            return None
        needed = self.rule.min_bytes if remaining is None else min(self.rule.min_bytes, remaining)
        if self._window_bytes < needed:
            window = now - self._window_start
            return Trip("window", self._window_bytes * 8 / window, self.rule.min_bps)
        self._window_start, self._window_bytes = now, 0
        return None
