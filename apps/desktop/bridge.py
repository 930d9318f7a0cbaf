"""nrdp -> Qt: the player's sink and event callback, re-emitted as queued Qt signals.

The SDK calls :class:`PlayerBridge` on its loop thread (``runtime.py``); the bridge object
lives on the UI thread, so every signal it emits from the loop thread is delivered through
the UI thread's event queue (a queued connection). What crosses is immutable:
:class:`nrdp.VideoFrame` / :class:`nrdp.AudioFrame` (read-only arrays), frozen events and
:class:`Poll` values. Video is coalesced: if the UI has not taken the previous frame yet,
the newer one replaces it and the replaced one counts as a display drop, so a slow paint
never builds a queue of stale pictures. With audio as the master clock the SDK itself
hands each frame over when the device plays its time (``device_clock``, installed with
``nrdp.Player.set_master_clock``), so the same path serves both clocks; a seek
(``on_flush``) holds that clock until the UI flushed the device. Subtitle cues
(``on_text``, when the SDK delivers them) and track changes cross the same way. For a live
source each poll carries the DVR window (``Player.live_window()``) and the SDK's target
latency (the latest ``nrdp.LiveLatency`` event's ``target_s``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

import nrdp
from apps.desktop.av_sync import DeviceClock

__all__ = ["PlayerBridge", "Poll"]

_TRACK_CHANGED: type = getattr(nrdp, "TrackChanged", type(None))  # SDKs before track menus


@dataclass(frozen=True)
class Poll:
    """One periodic reading of the player, taken on the loop thread."""

    snapshot: nrdp.StatsSnapshot
    position: float
    state: str
    throughput_bps: float | None
    audio_tracks: tuple[Any, ...] = ()  # nrdp.TrackInfo, when the SDK lists tracks
    text_tracks: tuple[Any, ...] = ()
    master_clock_active: bool = False  # video paced by the audio device's clock right now
    live_window: tuple[float, float] | None = None  # (DVR start, edge): a live source
    live_target_s: float | None = None  # the SDK's target latency (live, once reported)


class PlayerBridge(QObject):
    """A :class:`nrdp.Sink` plus an event callback whose outputs are Qt signals."""

    frame_ready = Signal()
    audio_ready = Signal(object)  # nrdp.AudioFrame
    state_changed = Signal(str)
    quality_changed = Signal(int, int)  # rung, bitrate
    fatal_error = Signal(object)  # dict: the error's to_dict()
    warning = Signal(object)  # dict: a non-fatal error's to_dict()
    failover = Signal(str, str)  # from, to
    polled = Signal(object)  # Poll
    flushed = Signal(float)
    ended = Signal()
    cue = Signal(object)  # nrdp.TextCue
    tracks_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: nrdp.VideoFrame | None = None
        self.device_clock = DeviceClock()  # the audio device's position, for the SDK
        # RGB is converted in the SDK's decode workers, never on the UI thread; the Qt video
        # path (``VideoView.path == "yuv"``) needs none.
        self.wants_pixels = True
        self.wants_chroma = False  # the Qt video path asks for the U/V planes instead
        self.display_dropped = 0
        self.frames_in = 0
        self.audio_enabled = False
        self._throughput: float | None = None
        self.live_target_s: float | None = None  # reset by the session at each load

    # -- nrdp.Sink (loop thread) -------------------------------------------------------
    def on_video(self, frame: nrdp.VideoFrame) -> None:
        with self._lock:
            self.frames_in += 1
            pending = self._latest is not None
            if pending:
                self.display_dropped += 1
            self._latest = frame
        if not pending:
            self.frame_ready.emit()

    def on_audio(self, frame: nrdp.AudioFrame) -> None:
        if self.audio_enabled:
            self.audio_ready.emit(frame)

    def on_text(self, cue: Any) -> None:
        """A subtitle cue (``nrdp.TextCue``) whose start time has come."""
        self.cue.emit(cue)

    def on_flush(self, position: float) -> None:
        self.device_clock.hold()  # the device still plays what came before the seek
        with self._lock:
            self._latest = None
        self.flushed.emit(position)

    def on_end(self) -> None:
        self.ended.emit()

    # -- UI thread -----------------------------------------------------------------------
    def take_frame(self) -> nrdp.VideoFrame | None:
        """The newest frame not yet shown (UI thread), or ``None``."""
        with self._lock:
            frame, self._latest = self._latest, None
        return frame

    # -- events (loop thread) ------------------------------------------------------------
    def on_event(self, event: nrdp.Event) -> None:
        if isinstance(event, nrdp.StateChanged):
            self.state_changed.emit(event.new.value)
        elif isinstance(event, nrdp.QualityChanged):
            if event.track.value == "video":
                self.quality_changed.emit(event.rung, event.new_bitrate)
        elif isinstance(event, nrdp.ErrorEvent):
            (self.fatal_error if event.fatal else self.warning).emit(dict(event.error))
        elif isinstance(event, nrdp.LiveLatency):
            self.live_target_s = float(event.target_s)
        elif isinstance(event, _TRACK_CHANGED):
            self.tracks_changed.emit()
        elif isinstance(event, nrdp.OcaFailover):
            self.failover.emit(event.from_oca or "", event.to_oca or "")
        elif (
            isinstance(event, nrdp.SegmentDownloaded)
            and event.track.value == "video"
            and event.throughput_bps is not None
        ):
            self._throughput = event.throughput_bps

    def poll(self, player: Any) -> None:
        """Read the player (loop thread) and emit a :class:`Poll` to the UI."""
        self.polled.emit(
            Poll(
                snapshot=player.stats(),
                position=float(player.position),
                state=player.state.value,
                throughput_bps=self._throughput,
                audio_tracks=_tracks(player, "audio_tracks"),
                text_tracks=_tracks(player, "text_tracks"),
                master_clock_active=bool(getattr(player, "master_clock_active", False)),
                live_window=_live_window(player),
                live_target_s=self.live_target_s,
            )
        )


def _live_window(player: Any) -> tuple[float, float] | None:
    """``player.live_window()`` (DVR start, edge) for a live source, else ``None``."""
    fn = getattr(player, "live_window", None)
    if fn is None:
        return None
    try:
        window = fn()
    except nrdp.SdkError:  # e.g. the clock not synced yet
        return None
    return (float(window[0]), float(window[1])) if window is not None else None


def _tracks(player: Any, name: str) -> tuple[Any, ...]:
    """``player.audio_tracks()`` / ``text_tracks()`` where the SDK has them, else ``()``."""
    fn = getattr(player, name, None)
    if fn is None:
        return ()
    try:
        return tuple(fn())
    except nrdp.SdkError:  # nothing loaded yet
        return ()
