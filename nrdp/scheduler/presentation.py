"""The presentation clock: media time that runs with the session clock while playing.

Pure apart from reading the injected :class:`~nrdp.clock.Clock`: the engine starts it when
playback runs, stops it while buffering or paused, and sets it on a seek.
"""

from __future__ import annotations

from nrdp.clock import Clock

__all__ = ["PresentationClock"]


class PresentationClock:
    """Media time that runs with the session clock while started (real-time mode)."""

    def __init__(self, clock: Clock, position: float = 0.0) -> None:
        self._clock = clock
        self._base = position
        self._since: float | None = None
        self.rate = 1.0
        """Media seconds per clock second (live catch-up nudges it within a few %)."""

    @property
    def running(self) -> bool:
        return self._since is not None

    def position(self) -> float:
        if self._since is None:
            return self._base
        return self._base + (self._clock.now() - self._since) * self.rate

    def start(self) -> None:
        if self._since is None:
            self._since = self._clock.now()

    def stop(self) -> None:
        if self._since is not None:
            self._base = self.position()
            self._since = None

    def set(self, position: float) -> None:
        self._base = position
        if self._since is not None:
            self._since = self._clock.now()

    def clock_seconds(self, media_s: float) -> float:
        """Session-clock seconds that ``media_s`` of media time take at the current rate."""
        return media_s / self.rate

    def set_rate(self, rate: float) -> None:
        """Run at ``rate`` from now on (the position so far is kept)."""
        if self._since is not None:
            self._base = self.position()
            self._since = self._clock.now()
        self.rate = rate
