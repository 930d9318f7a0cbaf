"""The player's remote: each key of ``player_keys.KEYS`` turned into the window's intent.

Any key on the player page first brings the OSD and the controls back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeyEvent

from apps.desktop.player_keys import SEEK_STEP, PlayerAction, action_for

if TYPE_CHECKING:
    from apps.desktop.main_window import MainWindow

__all__ = ["REPEATABLE", "PlayerRemote"]

REPEATABLE = frozenset(
    {
        PlayerAction.BACK_STEP,
        PlayerAction.FORWARD_STEP,
        PlayerAction.VOLUME_UP,
        PlayerAction.VOLUME_DOWN,
    }
)  # held down, these keep going; the rest act once per press


class PlayerRemote:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def handle(self, event: QKeyEvent) -> bool:
        """Act on ``event`` if it is a player key on the player page; False if not ours."""
        w = self.window
        action = action_for(event.key())
        if w.pages.currentWidget() is not w.player_page or action is None:
            return False
        w.player_page.poke()
        if event.isAutoRepeat() and action not in REPEATABLE:
            return True  # a held OK (the one that pressed Play) must not pause at once
        volume = w.controls.volume
        if action in (PlayerAction.BACK_STEP, PlayerAction.FORWARD_STEP):
            w.controller.step(-SEEK_STEP if action is PlayerAction.BACK_STEP else SEEK_STEP)
        elif action in (PlayerAction.VOLUME_UP, PlayerAction.VOLUME_DOWN):
            step = 10 if action is PlayerAction.VOLUME_UP else -10
            volume.setValue(max(0, min(100, volume.value() + step)))
        elif action is PlayerAction.BACK and w.isFullScreen():
            w.toggle_fullscreen()
        else:
            self._simple()[action]()
        return True

    def _simple(self) -> dict[PlayerAction, Callable[[], object]]:
        w = self.window
        return {
            PlayerAction.TOGGLE: w.toggle_play,
            PlayerAction.PLAY: w.session.resume,
            PlayerAction.PAUSE: w.session.pause,
            PlayerAction.MUTE: w.controls.mute_button.toggle,
            PlayerAction.FULLSCREEN: w.toggle_fullscreen,
            PlayerAction.STATS: w.toggle_stats,
            PlayerAction.BACK: w.stop,
            PlayerAction.GO_LIVE: w.controller.go_live,
        }
