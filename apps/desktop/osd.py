"""The on-screen display over the video: title, time, bitrate and LIVE badges; auto-hide.

:class:`AutoHide` hides the controls and the OSD after ``hide_after_ms`` without input
while playing, and :meth:`AutoHide.poke` (any key, a mouse move) brings them back. The
timer's interval is injected, so tests use a short one. :func:`is_live` reads the
player's stats defensively: SDKs without live stats report "not live".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from apps.desktop.app_state import format_bitrate, format_time

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
        row = QHBoxLayout(self)
        row.setContentsMargins(28, 28, 28, 14)
        row.setSpacing(14)
        row.addWidget(self.title)
        row.addWidget(self.live_badge)
        row.addStretch(1)
        row.addWidget(self.badge)
        row.addWidget(self.time)

    def set_title(self, name: str) -> None:
        self.title.setText(name)

    def set_time(self, position: float, duration: float | None) -> None:
        self.time.setText(f"{format_time(position)} / {format_time(duration)}")

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
        self.live_badge.setVisible(live)

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
