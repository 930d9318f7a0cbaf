"""The player page: the video, and over it the stats overlay, the OSD, the controls and the
seek preview.

The OSD (title, time, badges) and the controls share one bottom bar over the picture that
:class:`~apps.desktop.osd.AutoHide` hides after a few seconds of playing without input; a
key (the window calls :meth:`PlayerPage.poke`) or a mouse move brings it back. The
controls never take the keyboard: keys reach the window, which maps them
(``player_keys.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from apps.desktop.controls import PlayerControls
from apps.desktop.osd import HIDE_AFTER_MS, AutoHide, PlayerOsd
from apps.desktop.overlay import StatsOverlay
from apps.desktop.seek_preview import SeekPreview
from apps.desktop.video_view import VideoView

__all__ = ["PlayerPage"]


class PlayerPage(QWidget):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        video_path: str = "auto",
        hide_after_ms: int = HIDE_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.video = VideoView(path=video_path)
        self.video.setMouseTracking(True)
        self.video.installEventFilter(self)
        self.overlay = StatsOverlay(self.video)
        self.overlay.setObjectName("stats")  # the theme keeps its figures small
        self.overlay.move(8, 8)
        self.overlay.hide()
        self.bottom = QWidget(self.video)
        self.osd = PlayerOsd()
        self.controls = PlayerControls()
        self.controls.setObjectName("controls")
        self.controls.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        for w in (self.controls, *self.controls.findChildren(QWidget)):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar = QVBoxLayout(self.bottom)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(0)
        bar.addWidget(self.osd)
        bar.addWidget(self.controls)
        self.preview = SeekPreview(self.video)
        self.autohide = AutoHide((self.bottom,), hide_after_ms, parent=self)
        self.autohide.timer.timeout.connect(self._maybe_clear_preview)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.video, 1)
        self.setStyleSheet("PlayerPage { background: black; }")

    def poke(self) -> None:
        """Input arrived: show the OSD and the controls again."""
        self.autohide.poke()
        self._place()

    def show_preview(self, t: float, thumbnail: tuple[bytes, tuple[int, int, int, int]]) -> None:
        """Show the thumbnail for ``t`` above its place on the seek bar."""
        data, rect = thumbnail
        if not self.preview.set_thumbnail(t, data, rect):
            return
        bar = self.controls.seek_bar
        origin = bar.mapTo(self.video, QPoint(0, 0))
        x = int(origin.x() + bar.x_of(t) - self.preview.width() / 2)
        x = max(8, min(x, self.video.width() - self.preview.width() - 8))
        self.preview.move(x, self.bottom.y() - self.preview.height() - 8)

    def _maybe_clear_preview(self) -> None:
        if self.bottom.isHidden():
            self.preview.clear()

    def _place(self) -> None:
        h = self.bottom.sizeHint().height()
        self.bottom.setGeometry(0, self.video.height() - h, self.video.width(), h)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.video:
            if event.type() == QEvent.Type.Resize:
                self._place()
            elif event.type() == QEvent.Type.MouseMove:
                self.poke()
        return False
