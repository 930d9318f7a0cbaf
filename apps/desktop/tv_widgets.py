"""Remote-control basics shared by the pages: what Back is, and buttons arrows move between.

A remote has arrows, OK and Back. On a keyboard OK is Enter/Return (or Select), Back is
Escape or Backspace. :class:`TvButton` is a push button that OK presses and Left/Right
leave for its neighbour (:func:`link_row`), so a row of buttons is walked with the arrows.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPushButton, QWidget

__all__ = ["BACK_KEYS", "OK_KEYS", "TvButton", "is_back", "is_ok", "link_row"]

OK_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Select})
BACK_KEYS = frozenset({Qt.Key.Key_Escape, Qt.Key.Key_Backspace, Qt.Key.Key_Back})


def is_ok(event: QKeyEvent) -> bool:
    return Qt.Key(event.key()) in OK_KEYS


def is_back(event: QKeyEvent) -> bool:
    return Qt.Key(event.key()) in BACK_KEYS


class TvButton(QPushButton):
    """A button for the remote: OK clicks it, Left/Right ask to move (``moved(-1|+1)``)."""

    moved = Signal(int)

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoDefault(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if is_ok(event):
            self.click()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.moved.emit(-1 if key == Qt.Key.Key_Left else 1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            event.ignore()  # the page decides (e.g. nothing above the buttons)
        else:
            super().keyPressEvent(event)


def link_row(buttons: Sequence[TvButton]) -> None:
    """Left/Right on any of ``buttons`` focuses the next visible one (stopping at the ends)."""

    def move(origin: TvButton, step: int) -> None:
        shown = [b for b in buttons if not b.isHidden()]
        if origin not in shown:
            return
        i = shown.index(origin) + step
        if 0 <= i < len(shown):
            shown[i].setFocus(Qt.FocusReason.OtherFocusReason)

    for b in buttons:
        b.moved.connect(lambda step, origin=b: move(origin, step))
