"""nrdp -> Qt: the player's sink and event callback, re-emitted as queued Qt signals.

The SDK calls :class:`PlayerBridge` on its loop thread (``runtime.py``); the bridge object
lives on the UI thread, so every signal it emits from the loop thread is delivered through
the UI thread's event queue (a queued connection). What crosses is immutable:
:class:`nrdp.VideoFrame` / :class:`nrdp.AudioFrame` (read-only arrays), frozen events and
:class:`Poll` values. Video is coalesced: if the UI has not taken the previous frame yet,
the newer one replaces it and the replaced one counts as a display drop, so a slow paint
never builds a queue of stale pictures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

import nrdp

__all__ = ["PlayerBridge", "Poll"]


@dataclass(frozen=True)
class Poll:
    """One periodic reading of the player, taken on the loop thread."""

    snapshot: nrdp.StatsSnapshot
    position: float
    state: str
    throughput_bps: float | None


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

    wants_pixels = True  # RGB is converted in the SDK's decode workers, never on the UI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: nrdp.VideoFrame | None = None
        self.display_dropped = 0
        self.frames_in = 0
        self.audio_enabled = False
        self._throughput: float | None = None

    # -- nrdp.Sink (loop thread) -------------------------------------------------------
    def on_video(self, frame: nrdp.VideoFrame) -> None:
        with self._lock:
            pending = self._latest is not None
            if pending:
                self.display_dropped += 1
            self._latest = frame
            self.frames_in += 1
        if not pending:
            self.frame_ready.emit()

    def on_audio(self, frame: nrdp.AudioFrame) -> None:
        if self.audio_enabled:
            self.audio_ready.emit(frame)

    def on_flush(self, position: float) -> None:
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
            )
        )
