"""Rows of posters walked with the arrows: the home screen's grid for the remote.

:class:`PosterTile` is one focusable poster (a white ring and a lift when current, a
progress bar when the card carries a bookmark). :class:`PosterRow` scrolls horizontally
and :class:`FocusRows` stacks the rows in a vertical scroll area: Left/Right move within a
row, Up/Down between rows (keeping the column as far as the next row reaches), and the
current tile is always scrolled into view. OK on a tile (or a click) emits ``activated``.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from apps.desktop.app_state import TitleCard
from apps.desktop.posters import POSTER, poster_pixmap, scaled_poster
from apps.desktop.theme import ACCENT, FOCUS, MUTED
from apps.desktop.tv_widgets import is_ok

__all__ = ["FocusRows", "PosterRow", "PosterTile"]

RING = 5  # the focus ring's width, and the margin kept around each poster for it
ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}


class PosterTile(QWidget):
    """One title's poster; emits intents, the row decides where focus goes."""

    moved = Signal(int, int)  # dx, dy
    activated = Signal()
    typed = Signal(str)  # printable text typed here: it belongs in the search entry
    focused = Signal()

    def __init__(self, card: TitleCard, image: QImage | None = None) -> None:
        super().__init__()
        self.card = card
        self.current = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFixedSize(POSTER + QSize(2 * RING, 2 * RING))
        self.setToolTip(card.synopsis)
        self.pixmap = poster_pixmap(card)
        self.fetched = False
        if image is not None:
            self.set_image(image)

    def set_image(self, image: QImage) -> None:
        self.pixmap = scaled_poster(image)
        self.fetched = True
        self.update()

    def set_current(self, current: bool) -> None:
        if current != self.current:
            self.current = current
            self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = ARROWS.get(Qt.Key(event.key()))
        if step is not None:
            self.moved.emit(*step)
        elif is_ok(event):
            self.activated.emit()
        elif event.text().isprintable() and event.text().strip():
            self.typed.emit(event.text())
        else:
            event.ignore()  # Back and the rest: the page's

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.activated.emit()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focused.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        target = QRectF(RING, RING, POSTER.width(), POSTER.height())
        if not self.current:
            target.adjust(6, 9, -6, -9)  # the current tile stands out by size, too
            p.setOpacity(0.8)
        p.drawPixmap(target.toRect(), self.pixmap)
        p.setOpacity(1.0)
        progress = self.card.progress
        if progress is not None:
            bar = QRectF(target.left() + 8, target.bottom() - 12, target.width() - 16, 5)
            p.fillRect(bar, MUTED)
            p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * progress, 5), ACCENT)
        if self.current:
            p.setPen(QPen(FOCUS, RING))
            p.drawRoundedRect(target.adjusted(-2, -2, 2, 2), 6, 6)
        p.end()


class PosterRow(QScrollArea):
    """One horizontal row of tiles; scrolls so the current tile is in view."""

    def __init__(self, cards: tuple[TitleCard, ...], posters: dict[str, QImage]) -> None:
        super().__init__()
        self.cards = cards
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        # a thin bar, for the mouse; the remote scrolls by moving the focus
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip = QWidget()
        box = QHBoxLayout(strip)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(12)
        self.tiles = [PosterTile(card, posters.get(card.id)) for card in cards]
        for tile in self.tiles:
            box.addWidget(tile)
        box.addStretch(1)
        self.setWidget(strip)
        self.setWidgetResizable(True)
        self.setFixedHeight(POSTER.height() + 2 * RING + 14)

    def title_ids(self) -> list[str]:
        return [c.id for c in self.cards]

    def set_poster(self, title_id: str, image: QImage) -> int:
        """Show ``image`` on the tiles of ``title_id``; returns how many tiles changed."""
        hits = [t for t in self.tiles if t.card.id == title_id]
        for tile in hits:
            tile.set_image(image)
        return len(hits)

    def tile_pixmap(self, index: int) -> QPixmap:
        """The poster a tile shows (tests, screenshots)."""
        return self.tiles[index].pixmap


class FocusRows(QScrollArea):
    """Titled rows of posters in a vertical scroll area, with one current tile."""

    activated = Signal(str)  # title id
    left_top = Signal()  # Up from the first row: focus goes above the rows
    typed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(True)
        self.rows: list[tuple[str, PosterRow]] = []
        self.at = (0, 0)  # row, column of the current tile
        self._labels: list[QLabel] = []
        self._holder = QWidget()
        self._box = QVBoxLayout(self._holder)
        self._box.setContentsMargins(24, 0, 24, 24)
        self._box.addStretch(1)
        self.setWidget(self._holder)

    def set_rows(self, rows: list[tuple[str, tuple[TitleCard, ...]]], posters: dict) -> None:
        """Replace the rows; the current tile stays on the same title where it can."""
        keep = self.current_tile()
        keep_id = keep.card.id if keep is not None else None
        keep_row = self.rows[self.at[0]][0] if keep is not None else None
        for _title, view in self.rows:
            view.deleteLater()
        for label in self._labels:
            label.deleteLater()
        self.rows, self._labels = [], []
        for title, cards in rows:
            label = QLabel(title)
            label.setObjectName("rowTitle")
            view = PosterRow(cards, posters)
            n = self._box.count() - 1
            self._box.insertWidget(n, label)
            self._box.insertWidget(n + 1, view)
            self.rows.append((title, view))
            self._labels.append(label)
            for c, tile in enumerate(view.tiles):
                self._wire(tile, len(self.rows) - 1, c)
        self.at = self._find(keep_id, keep_row) or self._clamp(*self.at)
        self._mark()

    def _wire(self, tile: PosterTile, r: int, c: int) -> None:
        tile.moved.connect(lambda dx, dy: self.step(dx, dy))
        tile.activated.connect(lambda: self.activated.emit(tile.card.id))
        tile.typed.connect(self.typed)
        tile.focused.connect(lambda: self._follow(r, c))

    def _find(self, title_id: str | None, row_title: str | None) -> tuple[int, int] | None:
        """Where ``title_id`` is now: in the row of the same name first, else anywhere."""
        if title_id is None:
            return None
        spots = [
            (r, view.title_ids().index(title_id), title == row_title)
            for r, (title, view) in enumerate(self.rows)
            if title_id in view.title_ids()
        ]
        spots.sort(key=lambda spot: not spot[2])
        return (spots[0][0], spots[0][1]) if spots else None

    def _clamp(self, r: int, c: int) -> tuple[int, int]:
        if not self.rows:
            return (0, 0)
        r = max(0, min(r, len(self.rows) - 1))
        return (r, max(0, min(c, len(self.rows[r][1].tiles) - 1)))

    def current_tile(self) -> PosterTile | None:
        r, c = self.at
        if r < len(self.rows) and c < len(self.rows[r][1].tiles):
            return self.rows[r][1].tiles[c]
        return None

    def step(self, dx: int, dy: int) -> None:
        """Arrow intent from the current tile."""
        r, c = self.at
        if dy < 0 and r == 0:
            self.left_top.emit()
            return
        self.focus_at(*self._clamp(r + dy, c + dx))

    def focus_at(self, r: int, c: int) -> None:
        """Make tile (r, c) current, give it the keyboard focus, scroll it into view."""
        self.at = self._clamp(r, c)
        self._mark()
        tile = self.current_tile()
        if tile is None:
            return
        tile.setFocus(Qt.FocusReason.OtherFocusReason)
        row = self.rows[self.at[0]][1]
        row.ensureWidgetVisible(tile, RING * 4, 0)
        self.ensureWidgetVisible(self._labels[self.at[0]], 0, 0)
        self.ensureWidgetVisible(row, 0, 8)

    def _follow(self, r: int, c: int) -> None:
        """Focus came to a tile by other means (mouse, Tab): it becomes current."""
        if (r, c) != self.at:
            self.at = (r, c)
            self._mark()

    def _mark(self) -> None:
        current = self.current_tile()
        for _title, view in self.rows:
            for tile in view.tiles:
                tile.set_current(tile is current)
