"""Browsing: login, and the home screen (rows of posters, search) driven by the remote.

Each page renders view-model values (``app_state.py``) and emits intents. A poster is
first drawn here from the title (``posters.py``: a colour from its id, its name and year).
When the title lists artwork (``poster_url``), the session fetches it over the discovery
channel (``DiscoveryClient.artwork``) and decodes it on the loop thread, and
:meth:`HomePage.set_poster` swaps it in (and keeps it for the next rows and the details
page, whose ``DetailsPage.set_poster`` swaps it in when it arrives late). A poster that
fails keeps the placeholder.

Keys on the home screen: arrows walk the posters (``focus_rows.py``), Up from the first row
reaches the search entry, typing anywhere goes to the search entry, Enter searches, Down
goes back to the rows, Back (Escape/Backspace) leaves the search and its results.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from apps.desktop.app_state import HomeState, TitleCard
from apps.desktop.details_page import DetailsPage
from apps.desktop.focus_rows import FocusRows, PosterRow
from apps.desktop.posters import POSTER, poster_pixmap, scaled_poster
from apps.desktop.tv_widgets import TvButton, is_back

__all__ = [
    "POSTER",
    "DetailsPage",
    "HomePage",
    "LoginPage",
    "PosterRow",
    "SearchEntry",
    "poster_pixmap",
    "scaled_poster",
]


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
        self.email.returnPressed.connect(lambda: self.password.setFocus())  # OK: next field

    def _submit(self) -> None:
        self.login_requested.emit(self.email.text().strip(), self.password.text())

    def set_credentials(self, email: str, password: str) -> None:
        self.email.setText(email)
        self.password.setText(password)

    def set_status(self, text: str, busy: bool = False) -> None:
        self.status.setText(text)
        self.button.setEnabled(not busy)


class SearchEntry(QLineEdit):
    """The search box: Down leaves it for the rows, Back clears it and leaves."""

    down = Signal()
    back = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
        elif event.key() == Qt.Key.Key_Escape or (is_back(event) and not self.text()):
            self.back.emit()
        else:
            super().keyPressEvent(event)


class HomePage(QWidget):
    """A search entry and a Home button on top, rows of posters below."""

    title_activated = Signal(str)
    search_requested = Signal(str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = SearchEntry()
        self.search.setPlaceholderText("Search titles, genres…")
        self.search.returnPressed.connect(self._search)
        self.search.down.connect(self.focus_rows)
        self.search.back.connect(self._leave_search)
        self.refresh = TvButton("Home")
        self.refresh.clicked.connect(self._home)
        self.refresh.moved.connect(lambda step: step < 0 and self.search.setFocus())
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.view = FocusRows()
        self.view.activated.connect(self.title_activated)
        self.view.left_top.connect(lambda: self.search.setFocus())
        self.view.typed.connect(self._type_into_search)
        top = QHBoxLayout()
        top.setContentsMargins(28, 20, 28, 4)
        top.setSpacing(16)
        brand = QLabel("nrdp")
        brand.setObjectName("heading")
        brand.setStyleSheet("color: #e50914;")
        top.addWidget(brand)
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        self.status.setContentsMargins(30, 0, 0, 0)
        box.addWidget(self.status)
        box.addWidget(self.view, 1)
        self.posters: dict[str, QImage] = {}
        self.showing_results = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # holds the keys until rows come

    @property
    def rows(self) -> list[tuple[str, PosterRow]]:
        return self.view.rows

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

    def focus_rows(self) -> None:
        """Give the keyboard to the current poster (or keep it in the search entry)."""
        if self.rows:
            self.view.focus_at(*self.view.at)

    def _typing(self) -> bool:
        """Is the user in the search entry with something typed (keep the keyboard there)?"""
        return self.window().focusWidget() is self.search and bool(self.search.text())

    def restore_focus(self) -> None:
        """The page was shown: focus the current poster (or the page, until rows come)."""
        if self._typing():
            return
        if self.rows:
            self.focus_rows()
        else:
            self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_back(event) and self.showing_results:
            self._home()
        elif event.text().isprintable() and event.text().strip():
            self._type_into_search(event.text())
        else:
            super().keyPressEvent(event)

    def set_status(self, text: str) -> None:
        """The line under the search entry (hidden while there is nothing to say)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _type_into_search(self, text: str) -> None:
        self.search.setFocus()
        self.search.insert(text)

    def _leave_search(self) -> None:
        self.search.clear()
        if self.showing_results:
            self._home()
        self.focus_rows()

    def _search(self) -> None:
        q = self.search.text().strip()
        if q:
            self.search_requested.emit(q)

    def _home(self) -> None:
        self.search.clear()
        self.refresh_requested.emit()

    def _show(self, rows: list[tuple[str, tuple[TitleCard, ...]]]) -> None:
        typing = self._typing()
        self.view.set_rows(rows, self.posters)
        if self.isVisible() and not typing:
            self.focus_rows()

    def set_home(self, home: HomeState) -> None:
        """Slot: show the home rows."""
        self.showing_results = False
        self._show([(row.title, row.items) for row in home.rows])
        note = f"Some rows are missing ({', '.join(home.degraded)})" if home.degraded else ""
        self.set_status(note)

    def set_results(self, query: str, cards: tuple[TitleCard, ...]) -> None:
        """Slot: show search results as one row; the first result takes the focus."""
        self.showing_results = True
        self.view.at = (0, 0)
        self._show([(f"Results for “{query}”", cards)])
        self.set_status(f"{len(cards)} results" if cards else "No results")
        if cards and self.isVisible():
            self.focus_rows()
