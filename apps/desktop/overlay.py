"""The stats overlay: text figures from :class:`OverlayStats` and the live graph.

A translucent child of the video area, toggled by the controls or the ``I`` key. State in
only (:meth:`set_stats`, :meth:`add_sample`); it never reads the player.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from apps.desktop.app_state import GraphSample, OverlayStats
from apps.desktop.graph import ThroughputGraph

__all__ = ["StatsOverlay"]


class StatsOverlay(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.stats = OverlayStats()
        self.text = QLabel()
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(9)
        self.text.setFont(font)
        self.text.setStyleSheet("color: #eeeeee; background: transparent;")
        self.graph = ThroughputGraph()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.text)
        layout.addWidget(self.graph)
        self.set_stats(self.stats)
        self.resize(340, 310)

    def set_stats(self, stats: OverlayStats) -> None:
        """Slot: show ``stats``."""
        self.stats = stats
        self.text.setText("\n".join(stats.lines()))

    def add_sample(self, sample: GraphSample) -> None:
        self.graph.add_sample(sample)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0, 170))
        p.end()
