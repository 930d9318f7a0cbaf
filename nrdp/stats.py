"""Running playback statistics, aggregated from the SDK's events (pure: time is an argument).

One :class:`StatsCollector` per playback session; feed it every event with
:meth:`StatsCollector.on_event` and ask for a :class:`StatsSnapshot` whenever a report, an
overlay or telemetry needs one. An ongoing stall counts up to the snapshot's ``now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Any

from nrdp.events import (
    BandwidthEstimated,
    BufferLevel,
    ErrorEvent,
    Event,
    FramesRendered,
    LicenseAcquired,
    OcaFailover,
    QualityChanged,
    RebufferEnded,
    RebufferStarted,
    SegmentDownloaded,
    StateChanged,
    SteeringUpdated,
    TrackChanged,
)
from nrdp.live.events import LiveEdgeJumped, LiveLatency, ManifestRefreshed, SegmentSkipped
from nrdp.live.latency import latency_summary
from nrdp.scheduler.buffer import TrackKind
from nrdp.state import PlayerState

__all__ = ["LiveFold", "StatsCollector", "StatsSnapshot", "SwitchRecord"]

MAX_SWITCH_HISTORY = 200
MAX_LATENCY_SAMPLES = 10_000


@dataclass(frozen=True)
class SwitchRecord:
    at: float
    track: str
    old_bitrate: int | None
    new_bitrate: int
    reason: str


@dataclass(frozen=True)
class StatsSnapshot:
    """Everything the session has measured so far."""

    state: str
    startup_time: float | None
    playing_time: float
    stall_count: int
    stall_time: float
    rebuffer_ratio: float
    switch_count: int
    switches: tuple[SwitchRecord, ...]
    video_bitrate: int | None
    audio_bitrate: int | None
    bandwidth_bps: float | None
    mean_throughput_bps: float | None
    mean_ttfb: float | None
    bytes_downloaded: int
    segments_downloaded: int
    buffer_ahead: Mapping[str, float]
    decoded_frames: int
    dropped_frames: int
    license_time: float | None
    current_oca: str | None
    oca_failovers: int
    error_count: int
    last_error: Mapping[str, Any] | None
    presented_frames: int = 0
    """Video frames shown (or, with ``decode=False``, whose slot passed on schedule)."""
    audio_track: str | None = None
    """The selected audio track's id (``TrackInfo.id``)."""
    text_track: str | None = None
    """The selected text track's id, None while subtitles are off."""
    steering_pathways: tuple[str, ...] = ()
    """The OCA order the content steering server last set (empty: the Play API's ranking)."""
    live: bool = False
    """A live (dynamic MPD) playback."""
    live_latency_s: Mapping[str, float | None] | None = None
    """Distance to the live edge while playing: ``{"median", "p95"}`` seconds (live only)."""
    mpd_refreshes: int = 0
    """MPD updates merged (live)."""
    edge_jumps: int = 0
    """Jumps to the live edge (after a stall with the latency beyond target + margin)."""
    segments_skipped: int = 0
    """Live segments given up (left the time-shift window, or stayed missing)."""

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["switches"] = [asdict(s) for s in self.switches]
        out["buffer_ahead"] = dict(self.buffer_ahead)
        out["last_error"] = dict(self.last_error) if self.last_error is not None else None
        if self.live_latency_s is not None:
            out["live_latency_s"] = dict(self.live_latency_s)
        return out


class LiveFold:
    """The live fields of a snapshot, from the live events."""

    def __init__(self) -> None:
        self.live = False
        self.latencies: deque[float] = deque(maxlen=MAX_LATENCY_SAMPLES)
        self.refreshes = 0
        self.jumps = 0
        self.skipped = 0

    def handlers(self) -> dict[type[Event], Callable[[Any], None]]:
        return {
            LiveLatency: self._on_latency,
            ManifestRefreshed: self._on_refreshed,
            LiveEdgeJumped: self._on_jump,
            SegmentSkipped: self._on_skip,
        }

    def _on_latency(self, ev: LiveLatency) -> None:
        self.live = True
        self.latencies.append(ev.latency_s)

    def _on_refreshed(self, ev: ManifestRefreshed) -> None:
        self.live = True
        self.refreshes = max(self.refreshes, ev.refreshes)

    def _on_jump(self, ev: LiveEdgeJumped) -> None:
        self.jumps += 1

    def _on_skip(self, ev: SegmentSkipped) -> None:
        self.skipped += 1

    def fields(self) -> dict[str, Any]:
        summary = latency_summary(list(self.latencies)) if self.latencies else None
        return {
            "live": self.live,
            "live_latency_s": MappingProxyType(summary) if summary is not None else None,
            "mpd_refreshes": self.refreshes,
            "edge_jumps": self.jumps,
            "segments_skipped": self.skipped,
        }


class StatsCollector:
    """Folds events into counters; :meth:`snapshot` is cheap and side-effect free."""

    def __init__(self) -> None:
        self._state = PlayerState.IDLE
        self._state_since = 0.0
        self._load_at: float | None = None
        self._startup: float | None = None
        self._playing_time = 0.0
        self._stalls = 0
        self._stall_time = 0.0
        self._stall_started: float | None = None
        self._switch_count = 0
        self._switches: deque[SwitchRecord] = deque(maxlen=MAX_SWITCH_HISTORY)
        self._bitrate: dict[TrackKind, int] = {}
        self._bandwidth: float | None = None
        self._bytes = 0
        self._segments = 0
        self._download_time = 0.0
        self._ttfb_total = 0.0
        self._buffer: dict[str, float] = {}
        self._decoded = 0
        self._dropped = 0
        self._presented = 0
        self._tracks: dict[str, str | None] = {}
        self._steering: tuple[str, ...] = ()
        self._license: float | None = None
        self._oca: str | None = None
        self._failovers = 0
        self._errors = 0
        self._last_error: dict[str, Any] | None = None
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            StateChanged: self._on_state,
            QualityChanged: self._on_quality,
            RebufferStarted: self._on_rebuffer_started,
            RebufferEnded: self._on_rebuffer_ended,
            OcaFailover: self._on_failover,
            LicenseAcquired: self._on_license,
            SegmentDownloaded: self._on_segment,
            BufferLevel: self._on_buffer,
            BandwidthEstimated: self._on_bandwidth,
            FramesRendered: self._on_frames,
            ErrorEvent: self._on_error,
            TrackChanged: self._on_track,
            SteeringUpdated: self._on_steering,
        }
        self.live = LiveFold()
        self._handlers.update(self.live.handlers())

    def on_event(self, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    # ------------------------------------------------------------------ handlers

    def _on_state(self, ev: StateChanged) -> None:
        if self._state is PlayerState.PLAYING:
            self._playing_time += max(0.0, ev.at - self._state_since)
        if ev.new is PlayerState.LOADING and self._load_at is None:
            self._load_at = ev.at
        if ev.new is PlayerState.PLAYING and self._startup is None and self._load_at is not None:
            self._startup = ev.at - self._load_at
        self._state = ev.new
        self._state_since = ev.at

    def _on_quality(self, ev: QualityChanged) -> None:
        self._bitrate[ev.track] = ev.new_bitrate
        if ev.old_bitrate is not None:
            self._switch_count += 1
        self._switches.append(
            SwitchRecord(ev.at, ev.track.value, ev.old_bitrate, ev.new_bitrate, ev.reason.value)
        )

    def _on_rebuffer_started(self, ev: RebufferStarted) -> None:
        if self._stall_started is None:
            self._stalls += 1
            self._stall_started = ev.at

    def _on_rebuffer_ended(self, ev: RebufferEnded) -> None:
        if self._stall_started is not None:
            self._stall_time += max(0.0, ev.at - self._stall_started)
            self._stall_started = None

    def _on_failover(self, ev: OcaFailover) -> None:
        self._failovers += 1
        self._oca = ev.to_oca

    def _on_license(self, ev: LicenseAcquired) -> None:
        self._license = ev.seconds

    def _on_segment(self, ev: SegmentDownloaded) -> None:
        self._bytes += ev.size
        self._segments += 1
        self._download_time += ev.seconds
        self._ttfb_total += ev.ttfb
        self._oca = ev.oca

    def _on_buffer(self, ev: BufferLevel) -> None:
        self._buffer[ev.track.value] = ev.ahead

    def _on_bandwidth(self, ev: BandwidthEstimated) -> None:
        self._bandwidth = ev.bps

    def _on_frames(self, ev: FramesRendered) -> None:
        self._decoded += ev.decoded
        self._dropped += ev.dropped
        self._presented += ev.presented

    def _on_track(self, ev: TrackChanged) -> None:
        self._tracks[ev.kind] = ev.to_id

    def _on_steering(self, ev: SteeringUpdated) -> None:
        self._steering = ev.pathways

    def _on_error(self, ev: ErrorEvent) -> None:
        self._errors += 1
        self._last_error = dict(ev.error)

    # ------------------------------------------------------------------ snapshot

    def snapshot(self, now: float) -> StatsSnapshot:
        playing = self._playing_time
        if self._state is PlayerState.PLAYING:
            playing += max(0.0, now - self._state_since)
        stall = self._stall_time
        if self._stall_started is not None:
            stall += max(0.0, now - self._stall_started)
        watched = playing + stall
        return StatsSnapshot(
            state=self._state.value,
            startup_time=self._startup,
            playing_time=playing,
            stall_count=self._stalls,
            stall_time=stall,
            rebuffer_ratio=stall / watched if watched > 0 else 0.0,
            switch_count=self._switch_count,
            switches=tuple(self._switches),
            video_bitrate=self._bitrate.get(TrackKind.VIDEO),
            audio_bitrate=self._bitrate.get(TrackKind.AUDIO),
            bandwidth_bps=self._bandwidth,
            mean_throughput_bps=(
                self._bytes * 8 / self._download_time if self._download_time > 0 else None
            ),
            mean_ttfb=self._ttfb_total / self._segments if self._segments else None,
            bytes_downloaded=self._bytes,
            segments_downloaded=self._segments,
            buffer_ahead=MappingProxyType(dict(self._buffer)),
            decoded_frames=self._decoded,
            dropped_frames=self._dropped,
            license_time=self._license,
            current_oca=self._oca,
            oca_failovers=self._failovers,
            error_count=self._errors,
            last_error=MappingProxyType(self._last_error) if self._last_error else None,
            presented_frames=self._presented,
            audio_track=self._tracks.get("audio"),
            text_track=self._tracks.get("text"),
            steering_pathways=self._steering,
            **self.live.fields(),
        )
