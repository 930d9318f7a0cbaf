"""The main window: the pages, and the wiring of their intent signals to the session.

Pages (login, home, details, player, error) only render values and emit intents; this
module is the one place that knows which intent calls which session method and which page
shows when. One playback (its state, frames, clocks and transport intents) is the
:class:`~apps.desktop.playback_controller.PlaybackController`'s; the 4 Hz readings of the
player are fanned out by ``poll_feed.py``, the player's keys mapped by ``remote.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

import nrdp
from apps.desktop.app_state import ErrorInfo, PlaybackState, TitleDetails
from apps.desktop.audio import AudioOutput
from apps.desktop.bridge import Poll
from apps.desktop.browse import DetailsPage, HomePage, LoginPage
from apps.desktop.error_page import ErrorPage
from apps.desktop.osd import HIDE_AFTER_MS
from apps.desktop.playback_controller import PlaybackController
from apps.desktop.player_page import PlayerPage
from apps.desktop.poll_feed import PollFeed
from apps.desktop.remote import PlayerRemote
from apps.desktop.session import Session
from apps.desktop.subtitles import SubtitleFeed, cue_text
from apps.desktop.theme import apply_theme

__all__ = ["MainWindow", "PlayerPage", "cue_text"]


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
        self.overlay = self.player_page.overlay
        self.controls = self.player_page.controls
        self.subtitles = SubtitleFeed(self.video, self.session, self)
        self.controller = PlaybackController(self, audio)
        self.audio = self.controller.audio
        self.remote = PlayerRemote(self)
        self.details: TitleDetails | None = None
        self.last_error: ErrorInfo | None = None
        self._error_for_attempt = False
        self.poll_feed = PollFeed(self)
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
        self.controller.wire()
        b.polled.connect(self.poll_feed.on_poll)
        b.fatal_error.connect(lambda e: self.show_error(ErrorInfo.from_dict(e)))
        b.cue.connect(self.subtitles.show_cue)
        b.tracks_changed.connect(self.session.poll)
        c.subtitle_requested.connect(self.subtitles.select)
        c.stats_toggled.connect(self.toggle_stats)
        c.fullscreen_toggled.connect(self.toggle_fullscreen)
        self.video.activated.connect(self.toggle_fullscreen)

    # -- the playback (the controller's), as the window's callers know it ----------------
    @property
    def playback(self) -> PlaybackState:
        """What the controls show (the controller's state)."""
        return self.controller.playback

    def set_playback(self, **changes: Any) -> None:
        """Change the playback state the controls and the OSD show."""
        self.controller.set_playback(**changes)

    def seek(self, position: float) -> None:
        self.controller.seek(position)

    def toggle_play(self) -> None:
        self.controller.toggle_play()

    @property
    def audio_master(self) -> bool:
        """Is the audio device the master clock (else the SDK's system clock paces video)?"""
        return self.controller.audio_master

    @property
    def display_dropped(self) -> int:
        """Frames the view could not show in time (see the controller)."""
        return self.controller.display_dropped

    def _clock_note(self) -> str:
        return self.poll_feed.clock_note()

    @property
    def _last_poll(self) -> Poll | None:
        """The latest reading of the player (benchmarks read it too)."""
        return self.poll_feed.last

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
                duration=None if details.card.live else details.card.duration_s,
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

    # -- into and out of the player ------------------------------------------------------
    def play(self, title_id: str | nrdp.DashSource, start: float = 0.0) -> None:
        """Open the player page and load ``title_id`` (or an open MPD) at ``start`` seconds."""
        d = self.details if self.details and self.details.card.id == title_id else None
        self._error_for_attempt = False
        self.pages.setCurrentWidget(self.player_page)
        self.player_page.setFocus()
        self.controller.start(title_id, start, d)
        if d is None and isinstance(title_id, str):  # an open MPD has no catalog details
            self.session.load_details(title_id)

    def stop(self) -> None:
        self.controller.halt()
        if self.isFullScreen():
            self.showNormal()
        if self.details is not None and self.details.card.id == self.session.title_id:
            self._show_resume_point(self.details, self.playback.position)
        else:
            self.show_home()

    def _show_resume_point(self, details: TitleDetails, position: float) -> None:
        """Back on the details after playing: the resume point is where playback stopped
        (the SDK saves the same bookmark in the background; the server's copy is read at the
        next details load). A live channel has none."""
        duration = details.card.duration_s
        near_end = duration is not None and position >= 0.95 * duration
        resume = position if position > 0 and not near_end and not details.card.live else None
        self.details = dataclasses.replace(details, resume_at=resume)
        self.details_page.set_details(self.details)
        self.pages.setCurrentWidget(self.details_page)
        self.details_page.focus_first()

    def show_error(self, info: ErrorInfo) -> None:
        """Slot: the error page (once per playback attempt) with its code and Retry."""
        if self._error_for_attempt:
            return
        self._error_for_attempt = True
        self.last_error = info
        self.controller.stop_timers()
        self.video.set_message(f"Error {info.code}")
        self.error_page.set_error(info)
        self.pages.setCurrentWidget(self.error_page)
        self.error_page.retry_button.setFocus()
        self.error_shown.emit(info)

    def retry(self) -> None:
        """Retry on the error page: the same title again, from where it failed."""
        if self.session.title_id is not None:
            self.play(self.session.title_id, self.playback.position)

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
