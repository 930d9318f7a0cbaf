"""The 10-foot look: one dark stylesheet, large type, one accent, one focus colour.

A TV is read from across the room, so text is large and the focused thing is obvious (a
white ring, never only a colour change). Every widget of the app takes its look from
:data:`STYLESHEET` (applied once to the window by :func:`apply_theme`); painted widgets
(posters, the seek bar, badges) read the same colours from here.
"""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

__all__ = [
    "ACCENT",
    "BACKGROUND",
    "FOCUS",
    "MUTED",
    "STYLESHEET",
    "SURFACE",
    "TEXT",
    "apply_theme",
]

BACKGROUND = QColor("#101014")
SURFACE = QColor("#1e1e24")
TEXT = QColor("#ececec")
MUTED = QColor("#9a9aa4")
ACCENT = QColor("#e50914")
FOCUS = QColor("#ffffff")

STYLESHEET = f"""
QMainWindow, QStackedWidget, QScrollArea, QScrollArea > QWidget > QWidget {{
    background: {BACKGROUND.name()};
}}
QWidget {{ color: {TEXT.name()}; font-size: 18px; }}
QLabel {{ background: transparent; }}
QLabel#heading {{ font-size: 40px; font-weight: 700; }}
QLabel#rowTitle {{ font-size: 22px; font-weight: 600; padding: 8px 0 2px 4px; }}
QLabel#meta, QLabel#status {{ color: {MUTED.name()}; font-size: 18px; }}
QLabel#synopsis {{ font-size: 20px; }}
QLabel#errorCode {{ color: {ACCENT.name()}; font-size: 24px; font-weight: 600; }}
QLabel#badge {{
    background: rgba(255, 255, 255, 40); border-radius: 6px; padding: 2px 10px;
    font-size: 16px; font-weight: 600;
}}
QLabel#liveBadge {{
    background: {ACCENT.name()}; border-radius: 6px; padding: 2px 10px;
    font-size: 16px; font-weight: 700;
}}
QLabel#liveBadge[behind="true"] {{ background: rgba(255, 255, 255, 40); color: {MUTED.name()}; }}
QPushButton#goLive {{ padding: 2px 14px; font-size: 16px; }}
QPushButton#goLive:disabled {{ color: {MUTED.name()}; }}
QLabel#osdTitle {{ font-size: 26px; font-weight: 700; }}
QLineEdit {{
    background: {SURFACE.name()}; border: 3px solid {SURFACE.name()}; border-radius: 8px;
    padding: 8px 14px; font-size: 22px; selection-background-color: {ACCENT.name()};
}}
QLineEdit:focus {{ border-color: {FOCUS.name()}; }}
QPushButton, QToolButton {{
    background: {SURFACE.name()}; border: 3px solid transparent; border-radius: 8px;
    padding: 10px 24px; font-size: 20px; font-weight: 600;
}}
QPushButton:hover, QToolButton:hover {{ background: #2c2c34; }}
QPushButton:focus, QPushButton[current="true"] {{
    background: {TEXT.name()}; color: {BACKGROUND.name()}; border-color: {FOCUS.name()};
}}
QWidget#controls {{ background: rgba(0, 0, 0, 210); }}
PlayerControls QPushButton, PlayerControls QToolButton {{ padding: 4px 12px; font-size: 16px; }}
QProgressBar {{
    background: #3a3a40; border: none; border-radius: 3px; max-height: 6px;
}}
QProgressBar::chunk {{ background: {ACCENT.name()}; border-radius: 3px; }}
QMenu {{ background: {SURFACE.name()}; font-size: 18px; }}
QMenu::item:selected {{ background: {ACCENT.name()}; }}
QScrollBar {{ background: transparent; width: 8px; height: 8px; }}
QScrollBar::handle {{ background: #3a3a44; border-radius: 4px; min-width: 40px; min-height: 40px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0px; height: 0px; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QWidget#stats, QWidget#stats QWidget {{ font-size: 12px; font-family: monospace; }}
"""


def apply_theme(widget: QWidget) -> None:
    """Give ``widget`` and everything in it the dark 10-foot look."""
    widget.setStyleSheet(STYLESHEET)
