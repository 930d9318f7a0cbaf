"""The on-screen display over the video: title, time, bitrate and LIVE badges, the "Go to
live" button; auto-hide.

For a live source the badge reads ``LIVE`` at the live point and ``BEHIND LIVE`` (grey)
when the playhead is behind it, the time reads ``LIVE`` or ``-0:12``, and "Go to live"
(``go_live_requested``) is enabled while behind; an on-demand title shows none of them.

:class:`AutoHide` hides the controls and the OSD after ``hide_after_ms`` without input
while playing, and :meth:`AutoHide.poke` (any key, a mouse move) brings them back. The
timer's interval is injected, so tests use a short one. :func:`is_live` reads the
player's stats defensively: SDKs without live stats report "not live".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from apps.desktop.app_state import format_bitrate, format_time
from apps.desktop.live_state import DvrWindow

__all__ = ["HIDE_AFTER_MS", "AutoHide", "PlayerOsd", "is_live"]

HIDE_AFTER_MS = 4000


def is_live(snapshot: Any) -> bool:
    """Does the player's stats snapshot say the title is live? (False if it cannot say.)"""
    for name in ("is_live", "live"):
        value = getattr(snapshot, name, None)
        if isinstance(value, bool):
            return value
        if value is not None and not callable(value):
            return True  # live details (latency, edge...) exist only for a live title
    return False


class PlayerOsd(QWidget):
    """A bar across the bottom of the video: title, time, quality badge, LIVE badge."""

    go_live_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("osdTitle")
        self.time = QLabel("0:00 / --:--")
        self.badge = QLabel()
        self.badge.setObjectName("badge")
        self.badge.hide()
        self.live_badge = QLabel("LIVE")
        self.live_badge.setObjectName("liveBadge")
        self.live_badge.hide()
        self.go_live_button = QPushButton("Go to live")
        self.go_live_button.setObjectName("goLive")
        self.go_live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys: L or End
        self.go_live_button.clicked.connect(self.go_live_requested)
        self.go_live_button.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(28, 28, 28, 14)
        row.setSpacing(14)
        row.addWidget(self.title)
        row.addWidget(self.live_badge)
        row.addWidget(self.go_live_button)
        row.addStretch(1)
        row.addWidget(self.badge)
        row.addWidget(self.time)

    def set_title(self, name: str) -> None:
        self.title.setText(name)

    def set_time(
        self, position: float, duration: float | None, live: DvrWindow | None = None
    ) -> None:
        """``0:12 / 1:30``; for a live source ``LIVE`` or ``-0:12`` (behind the live point),
        with the badge and the "Go to live" button to match."""
        if live is None:
            self.time.setText(f"{format_time(position)} / {format_time(duration)}")
            self.go_live_button.hide()
            return
        at_live = live.at_live(position)
        self.time.setText(live.label(position))
        self._badge_behind(not at_live)
        self.live_badge.show()
        self.go_live_button.show()
        self.go_live_button.setEnabled(not at_live)

    def _badge_behind(self, behind: bool) -> None:
        self.live_badge.setText("BEHIND LIVE" if behind else "LIVE")
        if bool(self.live_badge.property("behind")) != behind:
            self.live_badge.setProperty("behind", behind)
            self.live_badge.style().unpolish(self.live_badge)  # restyle: grey when behind
            self.live_badge.style().polish(self.live_badge)

    def set_quality(self, height: int | None, bitrate: int | None) -> None:
        """The bitrate badge: ``360p · 1.20 Mb/s`` (hidden until the first quality)."""
        if bitrate is None:
            self.badge.hide()
            return
        parts = [f"{height}p"] if height else []
        parts.append(format_bitrate(bitrate))
        self.badge.setText(" · ".join(parts))
        self.badge.show()

    def set_live(self, live: bool) -> None:
        """The badge for a source the stats call live (before its first DVR window)."""
        self.live_badge.setVisible(live)
        if not live:
            self._badge_behind(False)
            self.go_live_button.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        shade = QLinearGradient(0, 0, 0, self.height())
        shade.setColorAt(0, QColor(0, 0, 0, 0))
        shade.setColorAt(1, QColor(0, 0, 0, 200))
        p.fillRect(self.rect(), shade)
        p.end()


class AutoHide(QObject):
    """Shows ``widgets`` on :meth:`poke` and hides them ``hide_after_ms`` later (if allowed)."""

    def __init__(
        self,
        widgets: tuple[QWidget, ...],
        hide_after_ms: int = HIDE_AFTER_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)  # parent: the page, so the timer dies with the widgets
        self.widgets = widgets
        self.may_hide = True  # e.g. only while playing: a paused picture keeps its controls
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(hide_after_ms)
        self.timer.timeout.connect(self._hide)

    @property
    def shown(self) -> bool:
        return not any(w.isHidden() for w in self.widgets)

    def poke(self) -> None:
        """Input arrived: show everything and restart the countdown."""
        for w in self.widgets:
            w.show()
            w.raise_()
        self.timer.start()

    def _hide(self) -> None:
        if not self.may_hide:
            self.timer.start()  # look again later
            return
        for w in self.widgets:
            w.hide()
