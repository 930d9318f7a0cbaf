"""Transport controls: intent signals out, :class:`PlaybackState` in (``set_state``).

Like the Qt for Python player example's ``PlayerControls``: the widget never drives the
player; ``playback_controller.py`` wires its signals to the session. For a live source the
seek bar spans the DVR window (``PlaybackState.live``) and the time reads ``LIVE`` or how
far behind the live point the playhead is (``-0:12``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QWidget,
)

from apps.desktop.app_state import PlaybackState, format_time

__all__ = ["PlayerControls", "SeekBar"]


class SeekBar(QWidget):
    """Played and buffered ranges over ``start``..``duration`` (0..the title's duration, or
    a live source's DVR window); a click or drag asks to seek (``seek_requested``)."""

    seek_requested = Signal(float)
    hovered = Signal(float)  # the time under the mouse (for the thumbnail preview)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumHeight(14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.position = 0.0
        self.buffered_to = 0.0
        self.start = 0.0
        self.duration: float | None = None  # the end of the range

    def set_range(
        self, position: float, buffered_to: float, duration: float | None, start: float = 0.0
    ) -> None:
        self.position, self.buffered_to, self.duration = position, buffered_to, duration
        self.start = start
        self.update()

    @property
    def span(self) -> float:
        """The range's length in seconds (0: nothing to seek in)."""
        return max(0.0, (self.duration or 0.0) - self.start)

    def x_of(self, t: float) -> float:
        """Where ``t`` is on the bar (pixels from its left edge)."""
        return self._x(t)

    def _x(self, t: float) -> float:
        if not self.span:
            return 0.0
        return max(0.0, min(1.0, (t - self.start) / self.span)) * self.width()

    def time_at(self, x: float) -> float | None:
        if not self.span or self.width() <= 0:
            return None
        return self.start + max(0.0, min(1.0, x / self.width())) * self.span

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        h = self.height()
        track = QRectF(0, h / 2 - 3, self.width(), 6)
        p.fillRect(track, QColor(70, 70, 70))
        p.fillRect(QRectF(0, track.y(), self._x(self.buffered_to), 6), QColor(150, 150, 150))
        played = self._x(self.position)
        p.fillRect(QRectF(0, track.y(), played, 6), QColor(229, 9, 20))
        p.setBrush(QColor(229, 9, 20))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QPointF(played, h / 2), 5, 5)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        t = self.time_at(event.position().x())
        if t is not None:
            self.seek_requested.emit(t)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.mousePressEvent(event)
        else:
            t = self.time_at(event.position().x())
            if t is not None:
                self.hovered.emit(t)


class PlayerControls(QWidget):
    """Play/pause, seek bar, time, volume, quality/audio/subtitle menus, stats, fullscreen."""

    play_requested = Signal()
    pause_requested = Signal()
    seek_requested = Signal(float)
    volume_changed = Signal(float)
    mute_toggled = Signal(bool)
    quality_requested = Signal(object)  # int rung, or None for Auto
    audio_track_requested = Signal(str)  # TrackOption.id
    subtitle_requested = Signal(object)  # TrackOption.id, or None for off
    stats_toggled = Signal()
    fullscreen_toggled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = PlaybackState()
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("play")
        self.play_button.clicked.connect(self._on_play_clicked)
        self.seek_bar = SeekBar()
        self.seek_bar.seek_requested.connect(self.seek_requested)
        self.time_label = QLabel("0:00 / --:--")
        self.mute_button = QToolButton()
        self.mute_button.setText("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self.mute_toggled)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(100)
        self.volume.setFixedWidth(90)
        self.volume.valueChanged.connect(lambda v: self.volume_changed.emit(v / 100.0))
        self.quality_button = QToolButton()
        self.quality_button.setText("Quality: Auto")
        self.quality_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.quality_menu = QMenu(self)
        self.quality_button.setMenu(self.quality_menu)
        self.audio_button = QToolButton()
        self.audio_button.setText("Audio")
        self.audio_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.audio_menu = QMenu(self)
        self.audio_button.setMenu(self.audio_menu)
        self.subtitle_button = QToolButton()
        self.subtitle_button.setText("Subtitles")
        self.subtitle_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.subtitle_menu = QMenu(self)
        self.subtitle_button.setMenu(self.subtitle_menu)
        self.stats_button = QToolButton()
        self.stats_button.setText("Stats")
        self.stats_button.clicked.connect(self.stats_toggled)
        self.fullscreen_button = QToolButton()
        self.fullscreen_button.setText("Fullscreen")
        self.fullscreen_button.clicked.connect(self.fullscreen_toggled)

        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 4)
        widgets: tuple[QWidget, ...] = (
            self.play_button,
            self.seek_bar,
            self.time_label,
            self.mute_button,
            self.volume,
            self.quality_button,
            self.audio_button,
            self.subtitle_button,
            self.stats_button,
            self.fullscreen_button,
        )
        for w in widgets:
            row.addWidget(w)
        self._menus_key: tuple[object, ...] = ()
        self.set_state(self.state)

    def _on_play_clicked(self) -> None:
        (self.pause_requested if self.state.playing else self.play_requested).emit()

    def set_state(self, state: PlaybackState) -> None:
        """Slot: render ``state`` (cheap; called several times a second)."""
        self.state = state
        self.play_button.setText("Pause" if state.playing else "Play")
        live = state.live
        if live is not None:
            self.seek_bar.set_range(state.position, state.buffered_to, live.edge, live.start)
            self.time_label.setText(live.label(state.position))
        else:
            self.seek_bar.set_range(state.position, state.buffered_to, state.duration)
            self.time_label.setText(
                f"{format_time(state.position)} / {format_time(state.duration)}"
            )
        self.volume.blockSignals(True)
        self.volume.setValue(round(state.volume * 100))
        self.volume.blockSignals(False)
        self.mute_button.blockSignals(True)
        self.mute_button.setChecked(state.muted)
        self.mute_button.blockSignals(False)
        current = next((q for q in state.qualities if q.rung == state.quality), None)
        self.quality_button.setText(
            f"Quality: {current.height}p" if current is not None else "Quality: Auto"
        )
        key = (state.qualities, state.quality, state.audio_tracks, state.subtitle_tracks)
        if key != self._menus_key:
            self._menus_key = key
            self._fill_menus(state)

    def _fill_menus(self, state: PlaybackState) -> None:
        self.quality_menu.clear()
        group = QActionGroup(self.quality_menu)
        auto = QAction("Auto", self.quality_menu, checkable=True)
        auto.setChecked(state.quality is None)
        auto.triggered.connect(lambda: self.quality_requested.emit(None))
        group.addAction(auto)
        self.quality_menu.addAction(auto)
        for q in reversed(state.qualities):
            act = QAction(q.label, self.quality_menu, checkable=True)
            act.setChecked(state.quality == q.rung)
            act.triggered.connect(lambda _=False, r=q.rung: self.quality_requested.emit(r))
            group.addAction(act)
            self.quality_menu.addAction(act)
        self.audio_menu.clear()
        audio_group = QActionGroup(self.audio_menu)
        for t in state.audio_tracks:
            act = QAction(t.label, self.audio_menu, checkable=True)
            act.setChecked(t.selected)
            act.triggered.connect(lambda _=False, i=t.id: self.audio_track_requested.emit(i))
            audio_group.addAction(act)
            self.audio_menu.addAction(act)
        self.audio_button.setEnabled(len(state.audio_tracks) > 1)
        self.subtitle_menu.clear()
        text_group = QActionGroup(self.subtitle_menu)
        off = QAction("Off", self.subtitle_menu, checkable=True)
        off.setChecked(not any(t.selected for t in state.subtitle_tracks))
        off.triggered.connect(lambda: self.subtitle_requested.emit(None))
        text_group.addAction(off)
        self.subtitle_menu.addAction(off)
        for t in state.subtitle_tracks:
            act = QAction(t.label, self.subtitle_menu, checkable=True)
            act.setChecked(t.selected)
            act.triggered.connect(lambda _=False, i=t.id: self.subtitle_requested.emit(i))
            text_group.addAction(act)
            self.subtitle_menu.addAction(act)
        self.subtitle_button.setEnabled(bool(state.subtitle_tracks))
