"""A live source's DVR window as the seek bar, the OSD and the keys see it (no Qt, no SDK).

Positions are the SDK's: seconds on the MPD timeline (``nrdp.Player.position``,
``Player.live_window()``). The *live point* is where "go to live" puts the playhead: the
SDK's target latency behind now (``nrdp.LiveLatency.target_s``). The edge the SDK reports
is the end of the newest available segment, at most a segment behind now, so
``edge - target`` is a little before the live point, and right after "go to live" the
playhead is within half a segment of it (the SDK starts at the nearest segment start).
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.desktop.app_state import format_time

__all__ = ["AT_LIVE_TOLERANCE_S", "DvrWindow"]

AT_LIVE_TOLERANCE_S = 3.0
"""Behind the live point by up to this much still reads "LIVE": half a segment of start
alignment plus the SDK's 1 s latency margin, for segments of up to 4 s; one 5 s step back
(``player_keys.SEEK_STEP``) leaves it."""


@dataclass(frozen=True)
class DvrWindow:
    """The seekable range of a live source (``start``..``edge``) and the SDK's target
    latency (``None`` until the SDK reported it: the first second of playing)."""

    start: float
    edge: float
    target_s: float | None = None

    def behind(self, position: float) -> float:
        """Seconds the playhead is behind the live point (0 at or past it, or while the
        target is not known yet)."""
        if self.target_s is None:
            return 0.0
        return max(0.0, self.edge - self.target_s - position)

    def at_live(self, position: float) -> bool:
        return self.behind(position) <= AT_LIVE_TOLERANCE_S

    def clamp(self, position: float) -> float:
        """``position`` inside the window (the SDK clamps the same way)."""
        return min(max(position, self.start), self.edge)

    def label(self, position: float) -> str:
        """``LIVE`` at the live point, else how far behind it: ``-0:12``."""
        if self.at_live(position):
            return "LIVE"
        return f"-{format_time(self.behind(position))}"
