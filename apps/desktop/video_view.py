"""Paints the SDK's decoded frames: the newest frame, scaled to fit, black bars around it.

Two paths, chosen per view (``path``):

- ``"yuv"``: Qt's own video path. The bridge asks the SDK for chroma planes
  (``wants_chroma``) and no RGB; the frame's planes are copied (numpy, about 0.3 ms for
  1080p) into a mapped :class:`QVideoFrame` (``Format_YUV420P`` when the frame carries its
  chroma planes, ``Format_Y8`` for luma only) and drawn with ``QVideoFrame.paint``, which
  converts on the GPU (Qt's RHI) where there is one and on the CPU otherwise.
- ``"rgb"``: the frame's RGB array, converted in the SDK's decode workers, wrapped in a
  :class:`QImage` without a copy; without RGB the luma plane is drawn as grey.

``"auto"`` takes ``"yuv"`` when the SDK's :class:`nrdp.VideoFrame` carries chroma planes
and Qt Multimedia is installed, else ``"rgb"``. Measured on a 2-core machine without a GPU
(docs/desktop.md, Measurements), where Qt converts on the CPU on the UI thread: 1080p at
30 fps took about 12 % less CPU than ``rgb`` with as few or fewer dropped frames; with a
GPU (:func:`qt_gpu_conversion`) the conversion leaves the CPU altogether.
The SDK already presents each frame at its time, so the view only draws what it is given.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

import nrdp

__all__ = [
    "VideoView",
    "chroma_planes",
    "frame_image",
    "frame_video_frame",
    "qt_gpu_conversion",
    "qt_video_available",
    "resolve_path",
]

PATHS = ("auto", "yuv", "rgb")

try:
    from PySide6 import QtMultimedia as _mm
except ImportError:  # PySide6-Addons missing: the RGB path only
    _mm = None  # type: ignore[assignment]


def qt_video_available() -> bool:
    return _mm is not None


def qt_gpu_conversion() -> bool:
    """Can Qt convert YUV on a GPU here (``QVideoFrame.paint`` through an RHI)?

    Qt Multimedia converts through Metal on macOS and Direct3D on Windows, and through
    OpenGL elsewhere; this probes an OpenGL RHI (``QRhi.probe``). ``False`` on the
    ``offscreen``/``minimal`` platforms and on machines with no GL: Qt then converts on the
    CPU, on the UI thread (``No RHI backend. Using CPU conversion.``). Needs a
    ``QGuiApplication``; without one the answer is ``False``.
    """
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        return False
    return _gpu_probe(QGuiApplication.platformName())


@functools.cache
def _gpu_probe(platform: str) -> bool:
    if platform in ("offscreen", "minimal", "vnc", "linuxfb"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    try:
        from PySide6.QtGui import QRhi, QRhiGles2InitParams

        params = QRhiGles2InitParams()
        params.fallbackSurface = QRhiGles2InitParams.newFallbackSurface()
        return bool(QRhi.probe(QRhi.Implementation.OpenGLES2, params))
    except (ImportError, AttributeError, RuntimeError):
        return False


def chroma_planes(frame: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """The frame's (U, V) planes of a 4:2:0 picture if it carries them, else ``None``."""
    u, v = getattr(frame, "u", None), getattr(frame, "v", None)
    if u is None or v is None:
        planes = getattr(frame, "planes", None)
        if planes is None or len(planes) < 3:
            return None
        u, v = planes[1], planes[2]
    return np.asarray(u), np.asarray(v)


def sdk_frames_have_chroma() -> bool:
    """Does the public :class:`nrdp.VideoFrame` declare chroma planes?"""
    names = {f.name for f in dataclasses.fields(nrdp.VideoFrame)}
    return {"u", "v"} <= names or "planes" in names


def resolve_path(path: str = "auto") -> str:
    """``"auto"`` -> ``"yuv"`` or ``"rgb"`` (see the module docstring)."""
    if path not in PATHS:
        raise ValueError(f"video path must be one of {PATHS}, not {path!r}")
    if path == "auto":
        return "yuv" if qt_video_available() and sdk_frames_have_chroma() else "rgb"
    if path == "yuv" and not qt_video_available():
        return "rgb"
    return path


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


def frame_video_frame(frame: nrdp.VideoFrame) -> Any:
    """A :class:`QVideoFrame` holding a copy of the frame's planes (YUV420P, or Y8)."""
    if _mm is None:
        raise RuntimeError("Qt Multimedia (PySide6-Addons) is not installed")
    pf = _mm.QVideoFrameFormat.PixelFormat
    chroma = chroma_planes(frame)
    planes = (frame.luma, *chroma) if chroma is not None else (frame.luma,)
    fmt = _mm.QVideoFrameFormat(
        QSize(frame.width, frame.height), pf.Format_YUV420P if chroma else pf.Format_Y8
    )
    out = _mm.QVideoFrame(fmt)
    if not out.map(_mm.QVideoFrame.MapMode.WriteOnly):
        raise RuntimeError("QVideoFrame.map failed")
    try:
        for i, plane in enumerate(planes):
            rows, cols = plane.shape[:2]
            bpl = out.bytesPerLine(i)
            dst = np.frombuffer(out.bits(i), np.uint8, rows * bpl).reshape(rows, bpl)
            dst[:, :cols] = plane
    finally:
        out.unmap()
    out.setStartTime(int(frame.pts * 1e6))
    out.setEndTime(int((frame.pts + frame.duration) * 1e6))
    return out


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

    def __init__(self, parent: QWidget | None = None, *, path: str = "auto") -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self.path = resolve_path(path)
        self._frame: nrdp.VideoFrame | None = None
        self._image: QImage | None = None
        self._pixels: np.ndarray[Any, Any] | None = None
        self._video_frame: Any = None
        self.frames_shown = 0
        self.frames_painted = 0  # distinct frames that reached the screen (paint events)
        self._last_painted: object = None
        self.message = ""
        self.subtitle = ""

    @property
    def frame(self) -> nrdp.VideoFrame | None:
        return self._frame

    @property
    def wants_pixels(self) -> bool:
        """Whether this view needs the SDK's RGB arrays."""
        return self.path == "rgb"

    @property
    def wants_chroma(self) -> bool:
        """Whether this view needs the SDK's chroma planes (``VideoFrame.u``/``v``)."""
        return self.path == "yuv"

    def show_frame(self, frame: nrdp.VideoFrame | None) -> None:
        """Slot: draw ``frame`` next (``None`` clears the picture)."""
        self._frame = frame
        self._image = self._pixels = self._video_frame = None
        if frame is not None:
            if self.path == "yuv":
                self._video_frame = frame_video_frame(frame)
            else:
                self._image, self._pixels = frame_image(frame)
            self.frames_shown += 1
        self.update()

    def set_message(self, text: str) -> None:
        """Slot: a line drawn over the picture (loading, buffering, errors)."""
        self.message = text
        self.update()

    def set_subtitle(self, text: str) -> None:
        """Slot: the subtitle cue shown at the bottom of the picture (``""``: none)."""
        if text != self.subtitle:
            self.subtitle = text
            self.update()

    def resolution(self) -> str:
        f = self._frame
        return f"{f.width}x{f.height}" if f is not None else "-"

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        f = self._frame
        if self._video_frame is not None and f is not None and _mm is not None:
            target = fit_rect(f.width, f.height, self.rect())
            self._video_frame.paint(p, target, _mm.QVideoFrame.PaintOptions())
            self._count_painted(f)
        elif self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = fit_rect(self._image.width(), self._image.height(), self.rect())
            p.drawImage(target, self._image)
            self._count_painted(f)
        if self.subtitle:
            self._paint_subtitle(p)
        if self.message:
            p.setPen(QColor(230, 230, 230))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        p.end()

    def _count_painted(self, frame: object) -> None:
        if frame is not self._last_painted:
            self._last_painted = frame
            self.frames_painted += 1

    def _paint_subtitle(self, p: QPainter) -> None:
        font = p.font()
        font.setPointSize(max(10, self.height() // 28))
        p.setFont(font)
        area = self.rect().adjusted(20, 0, -20, -max(12, self.height() // 20))
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
        box = p.boundingRect(area, int(flags | Qt.TextFlag.TextWordWrap), self.subtitle)
        p.fillRect(box.adjusted(-8, -4, 8, 4), QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 255, 255))
        p.drawText(area, int(flags | Qt.TextFlag.TextWordWrap), self.subtitle)

    def mouseDoubleClickEvent(self, event: object) -> None:
        self.activated.emit()
