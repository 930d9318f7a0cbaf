"""A live graph of bitrate, throughput and buffer, drawn with QPainter polylines.

Cheap on purpose: a few hundred points per series, no chart library, repainted only when a
new sample arrives (a few times a second). Bitrate and throughput share a log scale from
100 kb/s (loopback throughput is hundreds of times the bitrate, and both must stay
readable); the buffer has a linear one (seconds).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from apps.desktop.app_state import GraphHistory, GraphSample, format_bitrate

__all__ = ["SERIES_COLOURS", "ThroughputGraph"]

MIN_SPAN = 5.0
BITS_FLOOR = 100_000.0  # bottom of the log scale
SERIES_COLOURS = {
    "bitrate": QColor(229, 9, 20),
    "throughput": QColor(70, 170, 255),
    "buffer": QColor(90, 220, 120),
}


class ThroughputGraph(QWidget):
    """State in: :meth:`add_sample` (or :meth:`set_history`)."""

    def __init__(self, parent: QWidget | None = None, window: float = 30.0) -> None:
        super().__init__(parent)
        self.history = GraphHistory(window)
        self.setMinimumSize(240, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def add_sample(self, sample: GraphSample) -> None:
        self.history.add(sample)
        self.update()

    def set_history(self, history: GraphHistory) -> None:
        self.history = history
        self.update()

    def _polyline(
        self, samples: tuple[GraphSample, ...], heights: list[float], area: QRectF
    ) -> QPolygonF:
        """``heights`` are fractions of the plot height (0..1)."""
        # the time axis grows with the history up to the window, then scrolls
        span = min(self.history.window, max(samples[-1].at - samples[0].at, MIN_SPAN))
        t0 = samples[-1].at - span
        pts = [
            QPointF(
                area.left() + (s.at - t0) / span * area.width(),
                area.bottom() - max(0.0, min(h, 1.0)) * area.height(),
            )
            for s, h in zip(samples, heights, strict=True)
        ]
        return QPolygonF(pts)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(0, 0, 0, 150))
        area = QRectF(self.rect()).adjusted(4, 28, -4, -4)
        p.setPen(QColor(90, 90, 90))
        p.drawRect(area)
        samples = self.history.samples()
        if samples:
            bits = [s.bitrate_bps for s in samples] + [s.throughput_bps for s in samples]
            top_bits = max(max(bits), BITS_FLOOR * 10)
            top_buf = max(max(s.buffer_s for s in samples), 1.0) * 1.1
            decades = math.log10(top_bits / BITS_FLOOR)

            def bits_height(v: float) -> float:
                return math.log10(max(v, BITS_FLOOR) / BITS_FLOOR) / decades

            series = (
                ("bitrate", [bits_height(s.bitrate_bps) for s in samples]),
                ("throughput", [bits_height(s.throughput_bps) for s in samples]),
                ("buffer", [s.buffer_s / top_buf for s in samples]),
            )
            for name, heights in series:
                p.setPen(QPen(SERIES_COLOURS[name], 1.5))
                p.drawPolyline(self._polyline(samples, heights, area))
            p.setPen(QColor(220, 220, 220))
            p.drawText(
                QRectF(4, 14, self.width() - 8, 14),
                Qt.AlignmentFlag.AlignLeft,
                f"log 100 kb/s..{format_bitrate(top_bits)}, buffer 0..{top_buf / 1.1:.1f}s",
            )
        x = self.width() - 4.0
        for name in reversed(list(SERIES_COLOURS)):
            w = p.fontMetrics().horizontalAdvance(name) + 10
            x -= w
            p.setPen(SERIES_COLOURS[name])
            p.drawText(QRectF(x, 0, w, 14), Qt.AlignmentFlag.AlignRight, name)
        p.end()
