"""The player page's controller: one playback's state, its frames and clocks, and the
transport intents (play, pause, seek, go to live, quality, volume) sent to the session.

Split from the window (which owns the pages and the navigation between them) so each has
one job. Frames arrive on the bridge's signal as the SDK presents them and are shown at
once: with no audio device the SDK's session clock paces them; with one, audio is the
master clock: a 4 ms timer publishes the device's played-out position
(``av_sync.DeviceClock``), which the SDK reads to pace video and drop late frames
(``nrdp.Player.set_master_clock``). A 4 Hz poll of the player (on the loop thread) feeds
the controls, the overlay and the graph (``poll_feed.py``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer

import nrdp
from apps.desktop.app_state import PlaybackState, TitleDetails
from apps.desktop.audio import AudioOutput

if TYPE_CHECKING:
    from apps.desktop.main_window import MainWindow

__all__ = ["POLL_MS", "SYNC_MS", "PlaybackController"]

POLL_MS = 250
SYNC_MS = 4


class PlaybackController(QObject):
    def __init__(self, window: MainWindow, audio: AudioOutput | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.bridge = window.session.bridge
        self.page = window.player_page
        self.video = window.player_page.video
        self.controls = window.player_page.controls
        self.audio = audio if audio is not None else AudioOutput(window)
        self.bridge.audio_enabled = self.audio.available
        if self.audio.available:  # audio is the master clock: the SDK paces video on it
            self.session.master_clock = self.bridge.device_clock
        self.bridge.wants_pixels = self.video.wants_pixels
        self.bridge.wants_chroma = self.video.wants_chroma
        self.playback = PlaybackState()
        self._thumbnail_asked = -1
        self.sync_timer = QTimer(self)
        self.sync_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.sync_timer.setInterval(SYNC_MS)
        self.sync_timer.timeout.connect(self._publish_clock)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.session.poll)

    def wire(self) -> None:
        """Connect the bridge's and the controls' signals to this controller."""
        s, b, c = self.session, self.bridge, self.controls
        s.thumbnail_ready.connect(self._on_thumbnail)
        c.seek_bar.hovered.connect(self._ask_thumbnail)
        b.frame_ready.connect(self._on_frame)
        b.audio_ready.connect(self.audio.play)
        b.state_changed.connect(self._on_state)
        b.quality_changed.connect(self._on_quality)
        b.flushed.connect(self._on_flushed)
        c.play_requested.connect(s.resume)
        c.pause_requested.connect(s.pause)
        c.seek_requested.connect(self.seek)
        c.volume_changed.connect(self._on_volume)
        c.mute_toggled.connect(self._on_mute)
        c.quality_requested.connect(self._on_quality_requested)
        c.audio_track_requested.connect(s.select_audio_track)
        self.page.osd.go_live_requested.connect(self.go_live)

    def set_playback(self, **changes: Any) -> None:
        """Change the playback state the controls and the OSD show."""
        self.playback = dataclasses.replace(self.playback, **changes)
        self.controls.set_state(self.playback)
        self.page.osd.set_time(self.playback.position, self.playback.duration, self.playback.live)
        self.page.autohide.may_hide = self.playback.state == "playing"

    # -- one playback --------------------------------------------------------------------
    def start(
        self, title_id: str | nrdp.DashSource, start: float, details: TitleDetails | None
    ) -> None:
        """Reset the picture, the audio and the state, and load ``title_id`` at ``start``."""
        d = details
        self.video.show_frame(None)
        self.video.set_message("Loading…")
        self.audio.flush()
        self._reset_clock()
        self.playback = PlaybackState(
            state="loading",
            position=start,
            duration=d.card.duration_s if d and not d.card.live else None,
            volume=self.playback.volume,
            muted=self.playback.muted,
            qualities=d.qualities if d else (),
            audio_tracks=d.audio_tracks if d else (),
        )
        self.controls.set_state(self.playback)
        self.page.osd.set_title(d.card.name if d else str(title_id))
        self.page.osd.set_quality(None, None)
        self.page.osd.set_live(False)  # until the player says (a live title's first poll)
        self.page.poke()
        self.window.subtitles.reset()
        self.session.play(title_id, start)
        self.poll_timer.start()
        if self.audio_master:
            self.sync_timer.start()

    def halt(self) -> None:
        """Stop the player, its timers and the audio (the window then navigates away)."""
        self.stop_timers()
        self.session.stop()
        self.audio.flush()
        self._reset_clock()

    def stop_timers(self) -> None:
        self.poll_timer.stop()
        self.sync_timer.stop()

    def seek(self, position: float) -> None:
        self.set_playback(position=position)
        self.session.seek(position)

    def step(self, seconds: float) -> None:
        """A seek ``seconds`` from here (the keys), kept inside the title or the DVR window;
        asks for the target's thumbnail (shown where the title has one)."""
        p = self.playback
        target = p.position + seconds
        if p.live is not None:
            target = p.live.clamp(target)
        else:
            target = max(0.0, min(p.duration, target) if p.duration else target)
        self.seek(target)
        self.session.thumbnail(target)

    def go_live(self) -> None:
        """Back to the live point ("Go to live", L, End); nothing for an on-demand title."""
        if self.playback.live is not None:
            self.session.go_live()

    def toggle_play(self) -> None:
        if self.playback.playing:
            self.session.pause()
        else:
            self.session.resume()

    @property
    def audio_master(self) -> bool:
        """Is the audio device the master clock (else the SDK's system clock paces video)?"""
        return self.audio.available

    @property
    def display_dropped(self) -> int:
        """Frames the view could not show in time (replaced before the UI took them); frames
        late on the master clock are dropped by the SDK (its ``dropped_frames``)."""
        return self.bridge.display_dropped

    # -- frames and clocks ---------------------------------------------------------------
    def _on_frame(self) -> None:
        frame = self.bridge.take_frame()
        if frame is not None:
            self._show(frame)

    def _publish_clock(self) -> None:
        """Audio master: hand the device's position to the SDK (read on its loop thread)."""
        self.bridge.device_clock.publish(self.audio.position())

    def _reset_clock(self) -> None:
        """The device was flushed: the SDK's clock paces video until it plays again."""
        self.bridge.device_clock.release()
        self.bridge.device_clock.publish(None)

    def _show(self, frame: Any) -> None:
        first = self.video.frame is None
        if self.video.message:
            self.video.set_message("")
        self.video.show_frame(frame)
        if first:
            self.window.first_frame.emit()

    def _on_flushed(self, _position: float) -> None:
        self.audio.flush()
        self._reset_clock()  # the bridge held the clock since the seek (on the loop thread)
        self.window.subtitles.clear()

    # -- what the player reports, what the controls ask ----------------------------------
    def _on_state(self, state: str) -> None:
        self.set_playback(state=state)
        self.audio.set_paused(state != "playing")
        self.video.set_message("Buffering…" if state == "buffering" else "")

    def _on_quality(self, rung: int, bitrate: int) -> None:
        heights = [q.height for q in self.playback.qualities if q.rung == rung]
        self.page.osd.set_quality(heights[0] if heights else None, bitrate)
        overlay = self.page.overlay
        overlay.set_stats(dataclasses.replace(overlay.stats, video_bitrate=bitrate))

    def _on_quality_requested(self, rung: int | None) -> None:
        self.set_playback(quality=rung)
        self.session.set_quality(rung)

    def _on_volume(self, volume: float) -> None:
        self.set_playback(volume=volume)
        self.audio.set_volume(volume)

    def _on_mute(self, muted: bool) -> None:
        self.set_playback(muted=muted)
        self.audio.set_muted(muted)

    def _ask_thumbnail(self, t: float) -> None:
        """The mouse over the seek bar: one request per second of title it passes over."""
        if int(t) != self._thumbnail_asked:
            self._thumbnail_asked = int(t)
            self.session.thumbnail(t)

    def _on_thumbnail(self, t: float, thumbnail: Any) -> None:
        if thumbnail is not None and self.window.pages.currentWidget() is self.page:
            self.page.show_preview(t, thumbnail)
