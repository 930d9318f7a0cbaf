"""Paints the SDK's decoded frames: the newest frame, scaled to fit, black bars around it.

The SDK already presents each frame at its time (its presentation clock), so the view only
draws what it is given. The frame's RGB array was converted in the SDK's decode workers;
the :class:`QImage` wraps that read-only buffer without a copy (the frame is kept alive
while the image is in use). Without RGB (a sink that asked for no pixels) the luma plane is
drawn as grey. Qt's own YUV path (``QVideoSink``) would need the chroma planes, which the
public :class:`nrdp.VideoFrame` does not carry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

import nrdp

__all__ = ["VideoView", "frame_image"]


def _contiguous(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """PyAV's RGB arrays keep FFmpeg's row padding (not C-contiguous); a buffer for QImage
    must be one block, so only those are copied (about 1 ms for a 1080p frame)."""
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def frame_image(frame: nrdp.VideoFrame) -> tuple[QImage, np.ndarray[Any, Any]]:
    """A QImage over the frame's pixels, and the array it reads (keep it alive with it)."""
    if frame.rgb is not None:
        rgb = _contiguous(frame.rgb)
        h, w = rgb.shape[:2]
        return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888), rgb
    luma = _contiguous(frame.luma)
    h, w = luma.shape
    image = QImage(luma.data, w, h, luma.strides[0], QImage.Format.Format_Grayscale8)
    return image, luma


def fit_rect(src_w: int, src_h: int, area: QRect) -> QRectF:
    """The largest rectangle of the source's aspect ratio centred in ``area``."""
    if src_w <= 0 or src_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF(area)
    scale = min(area.width() / src_w, area.height() / src_h)
    w, h = src_w * scale, src_h * scale
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class VideoView(QWidget):
    """Intent out: ``activated`` (double click: fullscreen). State in: :meth:`show_frame`."""

    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self._frame: nrdp.VideoFrame | None = None
        self._image: QImage | None = None
        self._pixels: np.ndarray[Any, Any] | None = None
        self.frames_shown = 0
        self.message = ""

    @property
    def frame(self) -> nrdp.VideoFrame | None:
        return self._frame

    def show_frame(self, frame: nrdp.VideoFrame | None) -> None:
        """Slot: draw ``frame`` next (``None`` clears the picture)."""
        self._frame = frame
        self._image, self._pixels = frame_image(frame) if frame is not None else (None, None)
        if frame is not None:
            self.frames_shown += 1
        self.update()

    def set_message(self, text: str) -> None:
        """Slot: a line drawn over the picture (loading, buffering, errors)."""
        self.message = text
        self.update()

    def resolution(self) -> str:
        f = self._frame
        return f"{f.width}x{f.height}" if f is not None else "-"

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = fit_rect(self._image.width(), self._image.height(), self.rect())
            p.drawImage(target, self._image)
        if self.message:
            p.setPen(QColor(230, 230, 230))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        p.end()

    def mouseDoubleClickEvent(self, event: object) -> None:
        self.activated.emit()
