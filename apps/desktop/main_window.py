"""The main window: wires the pages' intent signals to the session, and its signals back.

Pages (login, home, details, player) only render values and emit intents; this module is
the one place that knows which intent calls which session method and which signal feeds
which slot. A 4 Hz poll of the player (on the loop thread) feeds the controls, the
overlay and the graph. Frames arrive on their own signal as the SDK presents them and are
shown at once: with no audio device the SDK's session clock paces them; with one, audio is
the master clock: a 4 ms timer publishes the device's played-out position
(``av_sync.DeviceClock``), which the SDK reads to pace video and drop late frames
(``nrdp.Player.set_master_clock``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

import nrdp
from apps.desktop.app_state import (
    ErrorInfo,
    PlaybackState,
    TitleDetails,
)
from apps.desktop.audio import AudioOutput
from apps.desktop.bridge import Poll
from apps.desktop.browse import DetailsPage, HomePage, LoginPage
from apps.desktop.error_page import ErrorPage
from apps.desktop.osd import HIDE_AFTER_MS
from apps.desktop.player_page import PlayerPage
from apps.desktop.poll_feed import PollFeed
from apps.desktop.remote import PlayerRemote
from apps.desktop.session import Session
from apps.desktop.subtitles import SubtitleFeed, cue_text
from apps.desktop.theme import apply_theme

__all__ = ["MainWindow", "PlayerPage", "cue_text"]

POLL_MS = 250
SYNC_MS = 4


class MainWindow(QMainWindow):
    """The app's window; ``error_shown`` fires with each error page shown (tests, scripts)."""

    error_shown = Signal(object)  # ErrorInfo
    first_frame = Signal()

    def __init__(
        self,
        session: Session,
        audio: AudioOutput | None = None,
        parent: QWidget | None = None,
        *,
        video_path: str = "auto",
        hide_after_ms: int = HIDE_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        apply_theme(self)
        self.setWindowTitle("nrdp desktop")
        self.resize(1024, 680)
        self.session = session
        self.bridge = session.bridge
        self.audio = audio if audio is not None else AudioOutput(self)
        self.bridge.audio_enabled = self.audio.available
        if self.audio.available:  # audio is the master clock: the SDK paces video on it
            self.session.master_clock = self.bridge.device_clock
        self._sync_timer = QTimer(self)
        self._sync_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._sync_timer.setInterval(SYNC_MS)
        self._sync_timer.timeout.connect(self._publish_clock)
        self.login_page = LoginPage()
        self.home_page = HomePage()
        self.details_page = DetailsPage()
        self.details_page.posters = self.home_page.posters
        self.player_page = PlayerPage(video_path=video_path, hide_after_ms=hide_after_ms)
        self.error_page = ErrorPage()
        self.pages = QStackedWidget()
        pages = (self.login_page, self.home_page, self.details_page, self.player_page)
        for page in (*pages, self.error_page):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.video = self.player_page.video
        self.subtitles = SubtitleFeed(self.video, self.session, self)
        self.remote = PlayerRemote(self)
        self._thumbnail_asked = -1
        self.bridge.wants_pixels = self.video.wants_pixels
        self.bridge.wants_chroma = self.video.wants_chroma
        self.overlay = self.player_page.overlay
        self.controls = self.player_page.controls
        self.playback = PlaybackState()
        self.details: TitleDetails | None = None
        self.last_error: ErrorInfo | None = None
        self._error_for_attempt = False
        self.poll_feed = PollFeed(self)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self.session.poll)
        self._wire()

    # -- wiring --------------------------------------------------------------------------
    def _wire(self) -> None:
        s, b, c = self.session, self.bridge, self.controls
        self.login_page.login_requested.connect(self._login)
        s.logged_in.connect(self._on_logged_in)
        s.home_ready.connect(self.home_page.set_home)
        s.search_ready.connect(self.home_page.set_results)
        s.home_ready.connect(lambda _h: s.load_posters(self.home_page.cards()))
        s.search_ready.connect(lambda _q, _c: s.load_posters(self.home_page.cards()))
        s.poster_ready.connect(self.home_page.set_poster)
        s.poster_ready.connect(self.details_page.set_poster)
        s.details_ready.connect(lambda d: s.load_posters((d.card,)))
        s.details_ready.connect(self._on_details)
        s.failed.connect(self._on_failed)
        self.home_page.search_requested.connect(s.search)
        self.home_page.refresh_requested.connect(s.load_home)
        self.home_page.title_activated.connect(s.load_details)
        self.details_page.play_requested.connect(self.play)
        self.details_page.back_requested.connect(self._back_to_home)
        self.error_page.retry_requested.connect(self.retry)
        self.error_page.back_requested.connect(self.stop)
        s.thumbnail_ready.connect(self._on_thumbnail)
        c.seek_bar.hovered.connect(self._ask_thumbnail)
        b.frame_ready.connect(self._on_frame)
        b.audio_ready.connect(self.audio.play)
        b.polled.connect(self.poll_feed.on_poll)
        b.state_changed.connect(self._on_state)
        b.quality_changed.connect(self._on_quality)
        b.fatal_error.connect(lambda e: self.show_error(ErrorInfo.from_dict(e)))
        b.flushed.connect(self._on_flushed)
        b.cue.connect(self.subtitles.show_cue)
        b.tracks_changed.connect(self.session.poll)
        c.play_requested.connect(s.resume)
        c.pause_requested.connect(s.pause)
        c.seek_requested.connect(self.seek)
        c.volume_changed.connect(self._on_volume)
        c.mute_toggled.connect(self._on_mute)
        c.quality_requested.connect(self._on_quality_requested)
        c.audio_track_requested.connect(s.select_audio_track)
        c.subtitle_requested.connect(self.subtitles.select)
        c.stats_toggled.connect(self.toggle_stats)
        c.fullscreen_toggled.connect(self.toggle_fullscreen)
        self.video.activated.connect(self.toggle_fullscreen)

    def set_playback(self, **changes: Any) -> None:
        """Change the playback state the controls and the OSD show."""
        self.playback = dataclasses.replace(self.playback, **changes)
        self.controls.set_state(self.playback)
        self.player_page.osd.set_time(self.playback.position, self.playback.duration)
        self.player_page.autohide.may_hide = self.playback.state == "playing"

    # -- browsing ------------------------------------------------------------------------
    def _login(self, email: str, password: str) -> None:
        self.login_page.set_status("Signing in…", busy=True)
        self.session.login(email, password)

    def _on_logged_in(self, email: str) -> None:
        self.login_page.set_status(f"Signed in as {email}")
        self.show_home()
        self.session.load_home()

    def show_login(self, email: str = "", password: str = "") -> None:
        self.login_page.set_credentials(email, password)
        self.pages.setCurrentWidget(self.login_page)
        (self.login_page.password if email else self.login_page.email).setFocus()

    def show_home(self) -> None:
        self.pages.setCurrentWidget(self.home_page)
        self.home_page.restore_focus()

    def _back_to_home(self) -> None:
        """Back from the details: the home rows again, reloaded (bookmarks moved on)."""
        self.show_home()
        self.session.load_home()

    def _on_details(self, details: TitleDetails) -> None:
        self.details = details
        self.details_page.set_details(details)
        if self.pages.currentWidget() is self.player_page:  # started with --play: fill in
            self.set_playback(
                duration=details.card.duration_s,
                qualities=details.qualities,
                audio_tracks=details.audio_tracks,
            )
        elif self.pages.currentWidget() is not self.error_page:
            self.pages.setCurrentWidget(self.details_page)
            self.details_page.focus_first()
        self.player_page.osd.set_title(details.card.name)

    def _on_failed(self, what: str, error: dict[str, Any]) -> None:
        info = ErrorInfo.from_dict(error)
        if what == "login":
            self.login_page.set_status(f"Sign-in failed: [{info.code}] {info.message}")
        elif what == "play":
            self.show_error(info)
        elif what != "stop":
            self.home_page.set_status(f"{what} failed: [{info.code}] {info.name}")

    # -- playback ------------------------------------------------------------------------
    def play(self, title_id: str | nrdp.DashSource, start: float = 0.0) -> None:
        """Open the player page and load ``title_id`` (or an open MPD) at ``start`` seconds."""
        d = self.details if self.details and self.details.card.id == title_id else None
        self._error_for_attempt = False
        self.video.show_frame(None)
        self.video.set_message("Loading…")
        self.audio.flush()
        self._reset_clock()
        self.playback = PlaybackState(
            state="loading",
            position=start,
            duration=d.card.duration_s if d else None,
            volume=self.playback.volume,
            muted=self.playback.muted,
            qualities=d.qualities if d else (),
            audio_tracks=d.audio_tracks if d else (),
        )
        self.controls.set_state(self.playback)
        self.pages.setCurrentWidget(self.player_page)
        self.player_page.setFocus()
        self.player_page.osd.set_title(d.card.name if d else str(title_id))
        self.player_page.osd.set_quality(None, None)
        self.player_page.poke()
        self.subtitles.reset()
        self.session.play(title_id, start)
        self._poll_timer.start()
        if self.audio_master:
            self._sync_timer.start()
        if d is None and isinstance(title_id, str):  # an open MPD has no catalog details
            self.session.load_details(title_id)

    def stop(self) -> None:
        self._poll_timer.stop()
        self._sync_timer.stop()
        self.session.stop()
        self.audio.flush()
        self._reset_clock()
        if self.isFullScreen():
            self.showNormal()
        if self.details is not None and self.details.card.id == self.session.title_id:
            self._show_resume_point(self.details, self.playback.position)
        else:
            self.show_home()

    def _show_resume_point(self, details: TitleDetails, position: float) -> None:
        """Back on the details after playing: the resume point is where playback stopped
        (the SDK saves the same bookmark in the background; the server's copy is read at the
        next details load)."""
        duration = details.card.duration_s
        near_end = duration is not None and position >= 0.95 * duration
        resume = position if position > 0 and not near_end else None
        self.details = dataclasses.replace(details, resume_at=resume)
        self.details_page.set_details(self.details)
        self.pages.setCurrentWidget(self.details_page)
        self.details_page.focus_first()

    def seek(self, position: float) -> None:
        self.set_playback(position=position)
        self.session.seek(position)

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
            self.first_frame.emit()

    def _on_flushed(self, _position: float) -> None:
        self.audio.flush()
        self._reset_clock()  # the bridge held the clock since the seek (on the loop thread)
        self.subtitles.clear()

    def _on_state(self, state: str) -> None:
        self.set_playback(state=state)
        self.audio.set_paused(state != "playing")
        self.video.set_message("Buffering…" if state == "buffering" else "")

    def _on_quality(self, rung: int, bitrate: int) -> None:
        heights = [q.height for q in self.playback.qualities if q.rung == rung]
        self.player_page.osd.set_quality(heights[0] if heights else None, bitrate)
        self.overlay.set_stats(dataclasses.replace(self.overlay.stats, video_bitrate=bitrate))

    def _on_quality_requested(self, rung: int | None) -> None:
        self.set_playback(quality=rung)
        self.session.set_quality(rung)

    def _on_volume(self, volume: float) -> None:
        self.set_playback(volume=volume)
        self.audio.set_volume(volume)

    def _on_mute(self, muted: bool) -> None:
        self.set_playback(muted=muted)
        self.audio.set_muted(muted)

    def _clock_note(self) -> str:
        return self.poll_feed.clock_note()

    @property
    def _last_poll(self) -> Poll | None:
        """The latest reading of the player (benchmarks read it too)."""
        return self.poll_feed.last

    def show_error(self, info: ErrorInfo) -> None:
        """Slot: the error page (once per playback attempt) with its code and Retry."""
        if self._error_for_attempt:
            return
        self._error_for_attempt = True
        self.last_error = info
        self._poll_timer.stop()
        self._sync_timer.stop()
        self.video.set_message(f"Error {info.code}")
        self.error_page.set_error(info)
        self.pages.setCurrentWidget(self.error_page)
        self.error_page.retry_button.setFocus()
        self.error_shown.emit(info)

    def retry(self) -> None:
        """Retry on the error page: the same title again, from where it failed."""
        if self.session.title_id is not None:
            self.play(self.session.title_id, self.playback.position)

    def _ask_thumbnail(self, t: float) -> None:
        """The mouse over the seek bar: one request per second of title it passes over."""
        if int(t) != self._thumbnail_asked:
            self._thumbnail_asked = int(t)
            self.session.thumbnail(t)

    def _on_thumbnail(self, t: float, thumbnail: Any) -> None:
        if thumbnail is not None and self.pages.currentWidget() is self.player_page:
            self.player_page.show_preview(t, thumbnail)

    # -- view toggles and keys -----------------------------------------------------------
    def toggle_stats(self) -> None:
        self.overlay.setVisible(self.overlay.isHidden())
        self.overlay.raise_()

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.set_playback(fullscreen=self.isFullScreen())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Player keys (``remote.py``); the rest go on up."""
        if not self.remote.handle(event):
            super().keyPressEvent(event)
