"""A title's details: poster, synopsis, facts, languages, the bookmark, and what to do.

Buttons for the remote (``tv_widgets.TvButton``): with a bookmark, *Resume from m:ss*
(focused first) and *Start over*; without one, *Play*. Left/Right walk them, OK presses,
Back (Escape/Backspace) returns (``back_requested``).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from apps.desktop.app_state import TitleCard, TitleDetails, format_time
from apps.desktop.posters import poster_pixmap, scaled_poster
from apps.desktop.tv_widgets import TvButton, is_back, link_row

__all__ = ["DetailsPage", "facts_line", "languages_line"]


def facts_line(details: TitleDetails) -> str:
    """Year · maturity · duration · genres · best quality."""
    card = details.card
    parts = [str(card.year or ""), card.maturity, format_time(card.duration_s)]
    parts.append(", ".join(g.title() for g in card.genres))
    if details.qualities:
        parts.append(f"up to {details.qualities[-1].height}p")
    return "   ·   ".join(p for p in parts if p and p != "--:--")


def languages_line(details: TitleDetails) -> str:
    """Audio and subtitle languages, where the details list them ("" when they do not)."""
    parts = []
    if details.audio_languages:
        parts.append("Audio: " + ", ".join(details.audio_languages))
    if details.subtitle_languages:
        parts.append("Subtitles: " + ", ".join(details.subtitle_languages))
    return "     ".join(parts)


class DetailsPage(QWidget):
    """Play from the start, or resume from the bookmark."""

    play_requested = Signal(str, float)
    back_requested = Signal()

    BIG = QSize(260, 390)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details: TitleDetails | None = None
        self.posters: dict[str, QImage] = {}  # shared with the home page by the window
        self.poster = QLabel()
        self.name = QLabel()
        self.name.setObjectName("heading")
        self.name.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setObjectName("meta")
        self.languages = QLabel()
        self.languages.setObjectName("meta")
        self.synopsis = QLabel()
        self.synopsis.setObjectName("synopsis")
        self.synopsis.setWordWrap(True)
        self.resume_note = QLabel()
        self.resume_note.setObjectName("meta")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(320)
        self.resume_button = TvButton("Resume")
        self.play_button = TvButton("Play")
        self.back_button = TvButton("Back")
        self.buttons = (self.resume_button, self.play_button, self.back_button)
        link_row(self.buttons)
        self.play_button.clicked.connect(lambda: self._play(0.0))
        self.resume_button.clicked.connect(self._resume)
        self.back_button.clicked.connect(self.back_requested)
        self._layout()

    def _layout(self) -> None:
        text = QVBoxLayout()
        text.setSpacing(14)
        for w in (self.name, self.meta, self.languages, self.synopsis):
            text.addWidget(w)
        text.addSpacing(10)
        text.addWidget(self.resume_note)
        text.addWidget(self.progress)
        row = QHBoxLayout()
        row.setSpacing(16)
        for b in self.buttons:
            row.addWidget(b)
        row.addStretch(1)
        text.addLayout(row)
        text.addStretch(1)
        box = QHBoxLayout(self)
        box.setContentsMargins(56, 48, 56, 48)
        box.setSpacing(48)
        box.addWidget(self.poster, alignment=Qt.AlignmentFlag.AlignTop)
        box.addLayout(text, 1)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_back(event):
            self.back_requested.emit()
        else:
            super().keyPressEvent(event)

    def _play(self, start: float) -> None:
        if self.details is not None:
            self.play_requested.emit(self.details.card.id, start)

    def _resume(self) -> None:
        if self.details is not None and self.details.resume_at is not None:
            self._play(self.details.resume_at)

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
        self.name.setText(card.name)
        self.meta.setText(facts_line(details))
        self.languages.setText(languages_line(details))
        self.languages.setVisible(bool(self.languages.text()))
        self.synopsis.setText(card.synopsis)
        resume = details.resume_at
        for w in (self.resume_button, self.resume_note, self.progress):
            w.setVisible(resume is not None)
        self.play_button.setText("Start over" if resume is not None else "Play")
        if resume is not None:
            self.resume_button.setText(f"Resume from {format_time(resume)}")
            left = (card.duration_s or resume) - resume
            self.resume_note.setText(f"{format_time(left)} left")
            self.progress.setValue(round(1000 * resume / (card.duration_s or resume or 1)))

    def focus_first(self) -> None:
        """The page was shown: Resume if there is a bookmark, else Play, has the focus."""
        first = self.resume_button if not self.resume_button.isHidden() else self.play_button
        first.setFocus(Qt.FocusReason.OtherFocusReason)
