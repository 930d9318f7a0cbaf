"""Browsing: login, home rows with posters, search, title details with resume.

Each page renders view-model values (``app_state.py``) and emits intents. A poster is
first drawn here from the title (a colour from its id, its name and year): the placeholder.
When the title lists artwork (``poster_url``), the session fetches it over the discovery
channel (``DiscoveryClient.artwork``) and decodes it on the loop thread, and
:meth:`HomePage.set_poster` swaps it in (and keeps it for the next rows and the details
page, whose :meth:`DetailsPage.set_poster` swaps it in when it arrives late). A poster that
fails keeps the placeholder.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from apps.desktop.app_state import HomeState, TitleCard, TitleDetails, format_time

__all__ = ["DetailsPage", "HomePage", "LoginPage", "RowView", "poster_pixmap", "scaled_poster"]

POSTER = QSize(120, 180)
ID_ROLE = Qt.ItemDataRole.UserRole
FETCHED_ROLE = Qt.ItemDataRole.UserRole + 1  # True once the tile shows fetched artwork


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
    font.setPointSize(11)
    p.setFont(font)
    inner = pix.rect().adjusted(8, 8, -8, -30)
    p.drawText(inner, Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap, card.name)
    font.setBold(False)
    font.setPointSize(8)
    p.setFont(font)
    meta = " · ".join(x for x in (str(card.year or ""), card.maturity) if x)
    p.drawText(QRect(8, size.height() - 24, size.width() - 16, 18), 0, meta)
    p.end()
    return pix


class LoginPage(QWidget):
    login_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.email = QLineEdit()
        self.email.setPlaceholderText("email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton("Sign in")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        box = QVBoxLayout(self)
        box.addStretch(1)
        title = QLabel("<h2>nrdp desktop</h2>")
        box.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        box.addLayout(form)
        box.addWidget(self.button)
        box.addWidget(self.status)
        box.addStretch(1)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)

    def _submit(self) -> None:
        self.login_requested.emit(self.email.text().strip(), self.password.text())

    def set_credentials(self, email: str, password: str) -> None:
        self.email.setText(email)
        self.password.setText(password)

    def set_status(self, text: str, busy: bool = False) -> None:
        self.status.setText(text)
        self.button.setEnabled(not busy)


def scaled_poster(image: QImage, size: QSize = POSTER) -> QPixmap:
    """A fetched poster as a pixmap of ``size`` (aspect kept, smooth)."""
    return QPixmap.fromImage(image).scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class RowView(QListWidget):
    """One horizontal row of posters."""

    def __init__(
        self,
        cards: tuple[TitleCard, ...],
        parent: QWidget | None = None,
        posters: dict[str, QImage] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(POSTER)
        self.setMovement(QListView.Movement.Static)
        self.setFixedHeight(POSTER.height() + 48)
        self.setSpacing(6)
        self.cards = cards
        posters = posters or {}
        for card in cards:
            image = posters.get(card.id)
            pix = scaled_poster(image) if image is not None else poster_pixmap(card)
            item = QListWidgetItem(QIcon(pix), card.name)
            item.setData(ID_ROLE, card.id)
            item.setData(FETCHED_ROLE, image is not None)
            item.setToolTip(card.synopsis)
            self.addItem(item)

    def title_ids(self) -> list[str]:
        return [self.item(i).data(ID_ROLE) for i in range(self.count())]

    def set_poster(self, title_id: str, image: QImage) -> int:
        """Show ``image`` on the tiles of ``title_id``; returns how many tiles changed."""
        pix = scaled_poster(image)
        n = 0
        for i in range(self.count()):
            item = self.item(i)
            if item.data(ID_ROLE) == title_id:
                item.setIcon(QIcon(pix))
                item.setData(FETCHED_ROLE, True)
                n += 1
        return n

    def tile_pixmap(self, index: int) -> QPixmap:
        """The poster a tile shows (tests, screenshots)."""
        return self.item(index).icon().pixmap(POSTER)


class HomePage(QWidget):
    """Rows of titles and a search box."""

    title_activated = Signal(str)
    search_requested = Signal(str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles")
        self.search.returnPressed.connect(self._search)
        self.refresh = QPushButton("Home")
        self.refresh.clicked.connect(self._home)
        self.status = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh)
        self.rows_box = QVBoxLayout()
        self.rows_box.addStretch(1)
        holder = QWidget()
        holder.setLayout(self.rows_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.status)
        box.addWidget(scroll, 1)
        self.rows: list[tuple[str, RowView]] = []
        self.posters: dict[str, QImage] = {}

    def cards(self) -> tuple[TitleCard, ...]:
        """Every card shown in the rows, each title once."""
        seen: dict[str, TitleCard] = {}
        for _title, view in self.rows:
            for card in view.cards:
                seen.setdefault(card.id, card)
        return tuple(seen.values())

    def set_poster(self, title_id: str, image: QImage) -> None:
        """Slot: a fetched poster; shown on every tile of the title and kept for later."""
        if image.isNull():
            return
        self.posters[title_id] = image
        for _title, view in self.rows:
            view.set_poster(title_id, image)

    def _search(self) -> None:
        q = self.search.text().strip()
        if q:
            self.search_requested.emit(q)

    def _home(self) -> None:
        self.search.clear()
        self.refresh_requested.emit()

    def _clear(self) -> None:
        while self.rows_box.count() > 1:
            item = self.rows_box.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.rows = []

    def _add_row(self, title: str, cards: tuple[TitleCard, ...]) -> None:
        label = QLabel(f"<b>{title}</b>")
        view = RowView(cards, posters=self.posters)
        view.itemActivated.connect(lambda it: self.title_activated.emit(it.data(ID_ROLE)))
        view.itemClicked.connect(lambda it: self.title_activated.emit(it.data(ID_ROLE)))
        n = self.rows_box.count() - 1
        self.rows_box.insertWidget(n, label)
        self.rows_box.insertWidget(n + 1, view)
        self.rows.append((title, view))

    def set_home(self, home: HomeState) -> None:
        """Slot: show the home rows."""
        self._clear()
        for row in home.rows:
            self._add_row(row.title, row.items)
        note = f" (degraded: {', '.join(home.degraded)})" if home.degraded else ""
        self.status.setText(f"{len(home.rows)} rows{note}")

    def set_results(self, query: str, cards: tuple[TitleCard, ...]) -> None:
        """Slot: show search results as one row."""
        self._clear()
        self._add_row(f"Results for “{query}”", cards)
        self.status.setText(f"{len(cards)} results" if cards else "No results")


class DetailsPage(QWidget):
    """A title's details: Play from the start, or Resume from the bookmark."""

    play_requested = Signal(str, float)
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details: TitleDetails | None = None
        self.posters: dict[str, QImage] = {}  # shared with the home page by the window
        self.poster = QLabel()
        self.name = QLabel()
        self.meta = QLabel()
        self.synopsis = QLabel()
        self.synopsis.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.resume_button = QPushButton("Resume")
        self.back_button = QPushButton("Back")
        self.play_button.clicked.connect(lambda: self._play(0.0))
        self.resume_button.clicked.connect(self._resume)
        self.back_button.clicked.connect(self.back_requested)
        text = QVBoxLayout()
        for w in (self.name, self.meta, self.synopsis):
            text.addWidget(w)
        buttons = QHBoxLayout()
        for b in (self.resume_button, self.play_button, self.back_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        text.addLayout(buttons)
        text.addStretch(1)
        box = QHBoxLayout(self)
        box.addWidget(self.poster, alignment=Qt.AlignmentFlag.AlignTop)
        box.addLayout(text, 1)

    def _play(self, start: float) -> None:
        if self.details is not None:
            self.play_requested.emit(self.details.card.id, start)

    def _resume(self) -> None:
        if self.details is not None and self.details.resume_at is not None:
            self._play(self.details.resume_at)

    BIG = QSize(200, 300)

    def _show_poster(self, card: TitleCard) -> None:
        image = self.posters.get(card.id)
        self.poster.setPixmap(
            scaled_poster(image, self.BIG) if image is not None else poster_pixmap(card, self.BIG)
        )
        self.poster.setProperty("fetched", image is not None)

    def set_poster(self, title_id: str, image: QImage) -> None:
        """Slot: a fetched poster; shown at once if it is the title on this page."""
        if image.isNull():
            return
        self.posters[title_id] = image
        if self.details is not None and self.details.card.id == title_id:
            self._show_poster(self.details.card)

    def set_details(self, details: TitleDetails) -> None:
        """Slot: show ``details``."""
        self.details = details
        card = details.card
        self._show_poster(card)
        self.name.setText(f"<h2>{card.name}</h2>")
        parts = [str(card.year or ""), card.maturity, format_time(card.duration_s)]
        parts.append(", ".join(card.genres))
        if details.qualities:
            parts.append(f"up to {details.qualities[-1].height}p")
        self.meta.setText(" · ".join(p for p in parts if p))
        self.synopsis.setText(card.synopsis)
        resume = details.resume_at
        self.resume_button.setVisible(resume is not None)
        if resume is not None:
            self.resume_button.setText(f"Resume from {format_time(resume)}")
