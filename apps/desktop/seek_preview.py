"""Seek-bar thumbnails: a small adapter over the SDK's ``Player.thumbnail_at`` and the widget.

``player.thumbnail_at(t)`` (``nrdp.Player``'s is async and answers an ``nrdp.Thumbnail``)
returns the image bytes of a thumbnail tile sheet and the rectangle of the tile for ``t``
(older or other players: a ``(bytes, rect)`` pair). :func:`thumbnail_of` calls it and
tolerates everything short of a thumbnail (no such method, a title without thumbnails, an
SDK error): the answer is then ``None`` and the preview shows nothing.
:class:`SeekPreview` takes ``(bytes, rect)``, cuts the tile out and shows it with the time.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

import nrdp
from apps.desktop.app_state import format_time

__all__ = ["PREVIEW", "SeekPreview", "Thumbnail", "as_rect", "thumbnail_of"]

PREVIEW = QSize(240, 135)
Thumbnail = tuple[bytes, tuple[int, int, int, int]]


def as_rect(rect: Any) -> tuple[int, int, int, int] | None:
    """``(x, y, w, h)`` from a 4-sequence or an object with x/y and w/h or width/height."""
    if isinstance(rect, Sequence) and len(rect) == 4:
        vals = tuple(rect)
    else:
        w = getattr(rect, "width", getattr(rect, "w", None))
        h = getattr(rect, "height", getattr(rect, "h", None))
        vals = (getattr(rect, "x", None), getattr(rect, "y", None), w, h)
    if not all(isinstance(v, int | float) for v in vals):
        return None
    x, y, w, h = (int(v) for v in vals)
    return (x, y, w, h) if w > 0 and h > 0 and x >= 0 and y >= 0 else None


async def thumbnail_of(player: Any, t: float) -> Thumbnail | None:
    """The thumbnail for ``t`` as ``(bytes, (x, y, w, h))``, or ``None`` (see module doc)."""
    fn = getattr(player, "thumbnail_at", None)
    if fn is None:
        return None
    try:
        got = fn(t)
        if inspect.isawaitable(got):
            got = await got
    except nrdp.SdkError:
        return None
    if got is None:
        return None
    data: Any
    rect: Any
    if isinstance(got, nrdp.Thumbnail):
        data, rect = got.data, got.rect
    elif isinstance(got, tuple) and len(got) == 2:
        data, rect = got
    else:
        data = getattr(got, "data", getattr(got, "image", None))
        rect = getattr(got, "rect", None)
    box = as_rect(rect)
    if not isinstance(data, bytes | bytearray | memoryview) or box is None:
        return None
    return bytes(data), box


class SeekPreview(QWidget):
    """The tile for a seek target above the seek bar, and its time under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel()
        self.picture.setFixedSize(PREVIEW)
        self.picture.setStyleSheet("border: 3px solid white; border-radius: 4px;")
        self.time = QLabel()
        self.time.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.picture)
        box.addWidget(self.time)
        self.setFixedSize(self.sizeHint())
        self.at: float | None = None
        self.hide()

    def set_thumbnail(self, t: float, data: bytes, rect: tuple[int, int, int, int]) -> bool:
        """Show the ``rect`` tile of the image in ``data`` for time ``t``; False (and hidden)
        if the bytes are not a picture or the tile is outside it."""
        sheet = QImage.fromData(data)
        tile = QRect(*rect)
        if sheet.isNull() or not sheet.rect().contains(tile):
            self.clear()
            return False
        pix = QPixmap.fromImage(sheet.copy(tile)).scaled(
            PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.picture.setPixmap(pix)
        self.time.setText(format_time(t))
        self.at = t
        self.show()
        self.raise_()
        return True

    def clear(self) -> None:
        self.at = None
        self.hide()
