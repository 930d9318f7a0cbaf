"""One object the engine holds per live playback: the running model, the server clock, the
latency target and the live counters, over the pure decisions of this package.

Still no I/O: the engine passes the device's wall time (``wall``, POSIX seconds) and feeds
in what its I/O produced (refresh outcomes, clock samples). Wiring live into the engine is
then: build one of these at load, ask it before each request and on each tick, hand it
refreshes, and merge :meth:`report` into the playback report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from manifest.model import Manifest, Representation, SegmentRef
from nrdp.errors import InvalidArgument
from nrdp.live.availability import Decision, NotFoundPolicy, Skip, on_not_found, plan_request
from nrdp.live.latency import LatencyAction, LatencyConfig, control_latency, latency_summary
from nrdp.live.refresh import RefreshOutcome, event_end, reached_end
from nrdp.live.utc import ClockOffset, ClockSync
from nrdp.live.window import LiveWindow, clamp_seek, live_window, start_position, target_latency

__all__ = ["LiveCounters", "LiveTimeline"]

MAX_SAMPLES = 10_000
"""Latency samples kept for the report (one a tick; older ones are dropped)."""


@dataclass
class LiveCounters:
    """What the report's live fields are computed from."""

    latency_samples: list[float] = field(default_factory=list)
    mpd_refreshes: int = 0
    edge_jumps: int = 0
    segments_skipped: int = 0
    clock_resyncs: int = 0


class LiveTimeline:
    """Live state of one playback. ``latency``: the configured target (None: the MPD's
    suggestedPresentationDelay, else three segment durations); ``margin_s`` and
    ``max_rate_delta`` as in :class:`~nrdp.live.latency.LatencyConfig`."""

    def __init__(
        self,
        manifest: Manifest,
        *,
        sync: ClockSync | None = None,
        latency: float | None = None,
        margin_s: float = 1.0,
        max_rate_delta: float = 0.05,
        not_found: NotFoundPolicy | None = None,
    ) -> None:
        if not manifest.is_dynamic:
            raise InvalidArgument("a live timeline needs a dynamic MPD", argument="manifest")
        self.manifest = manifest
        self.sync = sync or ClockSync()
        self._latency = latency
        self._margin = margin_s
        self._max_rate_delta = max_rate_delta
        self._not_found = not_found or NotFoundPolicy()
        self.counters = LiveCounters()
        self.following = True
        """Whether latency control applies. A seek behind the live point by more than the
        margin is the viewer's choice to watch behind live, which no rate nudge or jump may
        undo (dash.js likewise stops its catch-up far behind live); a seek back to it
        (``go_live``) or the engine's own jump resumes following. A start at a DVR offset
        still follows: the offset sets where playback starts, not how far behind it stays."""

    # -- clock ---------------------------------------------------------------------------
    def now(self, wall: float) -> datetime:
        return self.sync.now(wall)

    def on_clock_sample(self, sample: ClockOffset) -> bool:
        """Take a UTCTiming sample; True when it moved the estimate (a resync on drift)."""
        before = self.sync.drifts
        self.sync = self.sync.update(sample)
        drifted = self.sync.drifts > before
        self.counters.clock_resyncs += drifted
        return drifted

    # -- position ------------------------------------------------------------------------
    def window(self, wall: float) -> LiveWindow:
        return live_window(self.manifest, self.now(wall))

    def target(self, wall: float) -> float:
        return target_latency(self.manifest, self.window(wall), self._latency)

    def start_position(self, wall: float, *, dvr_offset: float | None = None) -> float:
        """Where to start (or "go to live" with no offset)."""
        w = self.window(wall)
        return start_position(self.manifest, w, latency=self._latency, dvr_offset=dvr_offset)

    def seek(self, wall: float, position: float) -> float:
        """``position`` clamped to the DVR window; decides whether the viewer follows the
        edge from there (see ``following``)."""
        w = self.window(wall)
        self._follow_if_near_edge(w, position)
        return clamp_seek(w, position)

    def _follow_if_near_edge(self, w: LiveWindow, position: float) -> None:
        edge = start_position(self.manifest, w, latency=self._latency)
        self.following = position >= edge - self._margin

    # -- segments ------------------------------------------------------------------------
    def plan(self, rep: Representation, ref: SegmentRef, wall: float) -> Decision:
        return self._count(plan_request(rep, ref, self.now(wall)))

    def on_not_found(
        self, rep: Representation, ref: SegmentRef, wall: float, attempt: int
    ) -> Decision:
        return self._count(on_not_found(rep, ref, self.now(wall), attempt, self._not_found))

    def _count(self, decision: Decision) -> Decision:
        self.counters.segments_skipped += isinstance(decision, Skip)
        return decision

    # -- refresh and end -----------------------------------------------------------------
    def on_refresh(self, outcome: RefreshOutcome) -> None:
        self.manifest = outcome.manifest
        self.counters.mpd_refreshes += 1

    @property
    def end(self) -> float | None:
        return event_end(self.manifest)

    def ended(self, position: float) -> bool:
        return reached_end(self.manifest, position)

    # -- latency -------------------------------------------------------------------------
    def tick(
        self,
        position: float,
        wall: float,
        *,
        current_rate: float = 1.0,
        after_stall: bool = False,
        rate_supported: bool = True,
    ) -> tuple[float, LatencyAction]:
        """(latency, action) at ``position``; the latency is sampled for the report and a
        jump is counted. After the event ended there is no edge to chase: rate 1."""
        if not self.manifest.is_dynamic:
            return 0.0, LatencyAction(1.0, None, "ended")
        w = self.window(wall)
        latency = w.latency(position)
        samples = self.counters.latency_samples
        samples.append(latency)
        if len(samples) > MAX_SAMPLES:
            del samples[: len(samples) - MAX_SAMPLES]
        cfg = LatencyConfig(
            target_latency(self.manifest, w, self._latency),
            self._margin,
            self._max_rate_delta,
        )
        if not self.following:
            return latency, LatencyAction(1.0, None, "behind_by_choice")
        action = control_latency(
            latency,
            w.now_s,
            cfg,
            current_rate=current_rate,
            after_stall=after_stall,
            rate_supported=rate_supported,
        )
        if action.jump_to is not None:
            action = LatencyAction(action.rate, clamp_seek(w, action.jump_to), action.reason)
            self.counters.edge_jumps += 1
        return latency, action

    def report(self) -> dict[str, object]:
        """The report's live fields (names from issue 16)."""
        c = self.counters
        return {
            "live": True,
            "live_latency_s": latency_summary(c.latency_samples),
            "mpd_refreshes": c.mpd_refreshes,
            "edge_jumps": c.edge_jumps,
            "segments_skipped": c.segments_skipped,
            "clock_resyncs": c.clock_resyncs,
        }
