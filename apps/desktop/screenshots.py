"""``--screenshot PATH [--screenshot-screen home|details|player|error]``: one screen, saved.

Each screen is reached the way a user reaches it, through the real session:

- ``home``: S seconds after sign-in (rows and posters loaded by then);
- ``details``: the first title of the first row is opened, S seconds after its details;
- ``player``: ``--play TITLE`` (or the first title) plays, S seconds after the first frame,
  with the OSD and controls shown (and the stats overlay with ``--stats``);
- ``error``: ``--play TITLE`` (default ``no-such-title``, which the service refuses) fails,
  and the in-window error page is saved.

The exit status is 0 once the screen is saved, 1 if it was not reached within S + 120 s or
an error page opened on the way to another screen.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from apps.desktop.app_state import HomeState
from apps.desktop.main_window import MainWindow
from apps.desktop.session import Session

__all__ = ["SCREENS", "arrange_screenshot"]

SCREENS = ("home", "details", "player", "error")
MISSING_TITLE = "no-such-title"


def _first_title(home: HomeState) -> str | None:
    return next((row.items[0].id for row in home.rows if row.items), None)


def arrange_screenshot(
    app: QCoreApplication,
    window: MainWindow,
    session: Session,
    args: argparse.Namespace,
    status: dict[str, int],
) -> None:
    """Save ``args.screenshot`` once ``args.screenshot_screen`` is on show, then quit."""
    path: Path = args.screenshot
    screen = args.screenshot_screen or ("player" if args.play else "home")
    delay = int(args.quit_after * 1000)

    def shoot() -> None:
        if screen == "player":
            window.player_page.poke()  # the OSD and the controls, as after a key press
        path.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(path))
        print(f"screenshot: {path}", flush=True)
        app.quit()

    def fail() -> None:
        status["code"] = 1
        shoot()

    def later(fn: Callable[[], None], ms: int = delay) -> Callable[..., None]:
        return lambda *_a: QTimer.singleShot(ms, fn)

    def once(fn: Callable[[HomeState], object]) -> Callable[[HomeState], None]:
        done: list[bool] = []

        def run(home: HomeState) -> None:
            if not done:
                done.append(True)
                fn(home)

        return run

    if screen == "home":
        session.logged_in.connect(later(shoot))
    elif screen == "details":
        session.home_ready.connect(once(lambda h: session.load_details(_first_title(h) or "")))
        session.details_ready.connect(later(shoot))
    elif screen == "player":
        if not args.play:
            session.home_ready.connect(once(lambda h: window.play(_first_title(h) or "")))
        window.first_frame.connect(later(shoot))
    if screen == "error":
        if not args.play:
            session.logged_in.connect(lambda _e: window.play(MISSING_TITLE))
        window.error_shown.connect(later(shoot, 500))
    else:
        window.error_shown.connect(later(fail, 500))
    QTimer.singleShot(delay + 120_000, fail)
