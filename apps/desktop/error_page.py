"""The in-window error screen: the typed error's code, name and message, and Retry.

Shown in place of the player when playback fails (a TV has no dialog boxes to click away):
Retry is focused, Left/Right reach Back, OK presses, Back (Escape/Backspace) leaves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from apps.desktop.app_state import ErrorInfo
from apps.desktop.tv_widgets import TvButton, is_back, link_row

__all__ = ["ErrorPage"]


class ErrorPage(QWidget):
    retry_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: ErrorInfo | None = None
        self.heading = QLabel("Something went wrong")
        self.heading.setObjectName("heading")
        self.code = QLabel()
        self.code.setObjectName("errorCode")
        self.message = QLabel()
        self.message.setObjectName("synopsis")
        self.message.setWordWrap(True)
        self.retry_button = TvButton("Retry")
        self.back_button = TvButton("Back")
        link_row((self.retry_button, self.back_button))
        self.retry_button.clicked.connect(self.retry_requested)
        self.back_button.clicked.connect(self.back_requested)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(96, 64, 96, 64)
        box.setSpacing(18)
        box.addStretch(1)
        for w in (self.heading, self.code, self.message):
            box.addWidget(w)
        box.addSpacing(16)
        box.addLayout(buttons)
        box.addStretch(2)

    def set_error(self, info: ErrorInfo) -> None:
        """Slot: show ``info``; Retry takes the focus."""
        self.info = info
        self.code.setText(f"Error {info.code} · {info.name}")
        self.message.setText(info.message or "No details were given.")
        self.retry_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_back(event):
            self.back_requested.emit()
        else:
            super().keyPressEvent(event)
