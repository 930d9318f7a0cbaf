"""Poster pictures: the placeholder drawn from a title, and fetched artwork scaled to fit.

A poster is first drawn from the title (a colour from its id, its name and year); when the
service's artwork arrives (``Session.poster_ready``) it replaces the drawing.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPixmap

from apps.desktop.app_state import TitleCard

__all__ = ["POSTER", "poster_pixmap", "scaled_poster"]

POSTER = QSize(160, 240)


def poster_pixmap(card: TitleCard, size: QSize = POSTER) -> QPixmap:
    """A poster for ``card``: a gradient in the title's colours, its name and year."""
    digest = hashlib.sha256(card.id.encode()).digest()
    top = QColor.fromHsv(digest[0] * 360 // 256, 160, 200)
    bottom = QColor.fromHsv(digest[1] * 360 // 256, 200, 70)
    pix = QPixmap(size)
    p = QPainter(pix)
    grad = QLinearGradient(0, 0, 0, size.height())
    grad.setColorAt(0, top)
    grad.setColorAt(1, bottom)
    p.fillRect(pix.rect(), grad)
    p.setPen(QColor(255, 255, 255))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(12, size.height() // 12))
    p.setFont(font)
    inner = pix.rect().adjusted(10, 10, -10, -34)
    p.drawText(inner, Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap, card.name)
    font.setBold(False)
    font.setPixelSize(max(10, size.height() // 18))
    p.setFont(font)
    meta = " · ".join(x for x in (str(card.year or ""), card.maturity) if x)
    p.drawText(QRect(10, size.height() - 28, size.width() - 20, 20), 0, meta)
    p.end()
    return pix


def scaled_poster(image: QImage, size: QSize = POSTER) -> QPixmap:
    """A fetched poster as a pixmap of ``size`` (aspect kept, smooth)."""
    return QPixmap.fromImage(image).scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
