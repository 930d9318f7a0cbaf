"""The player's keys: a remote's buttons and their keyboard stand-ins, mapped to actions.

One table, so the docs, the window and the tests agree on what each key does.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Qt

__all__ = ["KEYS", "SEEK_STEP", "PlayerAction", "action_for"]

SEEK_STEP = (
    5.0  # seconds per Left/Right (and per fast-forward/rewind press; live: in the DVR window)
)


class PlayerAction(Enum):
    TOGGLE = "play/pause"
    PLAY = "play"
    PAUSE = "pause"
    BACK_STEP = "seek back"
    FORWARD_STEP = "seek forward"
    VOLUME_UP = "volume up"
    VOLUME_DOWN = "volume down"
    MUTE = "mute"
    FULLSCREEN = "fullscreen"
    STATS = "stats overlay"
    BACK = "back"
    GO_LIVE = "go to live"


K = Qt.Key
KEYS: dict[Qt.Key, PlayerAction] = {
    K.Key_Space: PlayerAction.TOGGLE,
    K.Key_K: PlayerAction.TOGGLE,
    K.Key_Return: PlayerAction.TOGGLE,
    K.Key_Enter: PlayerAction.TOGGLE,
    K.Key_MediaTogglePlayPause: PlayerAction.TOGGLE,
    K.Key_MediaPlay: PlayerAction.PLAY,
    K.Key_MediaPause: PlayerAction.PAUSE,
    K.Key_Left: PlayerAction.BACK_STEP,
    K.Key_AudioRewind: PlayerAction.BACK_STEP,  # Qt has no Key_MediaRewind
    K.Key_MediaPrevious: PlayerAction.BACK_STEP,
    K.Key_Right: PlayerAction.FORWARD_STEP,
    K.Key_AudioForward: PlayerAction.FORWARD_STEP,  # nor Key_MediaFastForward
    K.Key_MediaNext: PlayerAction.FORWARD_STEP,
    K.Key_Up: PlayerAction.VOLUME_UP,
    K.Key_VolumeUp: PlayerAction.VOLUME_UP,
    K.Key_Down: PlayerAction.VOLUME_DOWN,
    K.Key_VolumeDown: PlayerAction.VOLUME_DOWN,
    K.Key_M: PlayerAction.MUTE,
    K.Key_VolumeMute: PlayerAction.MUTE,
    K.Key_F: PlayerAction.FULLSCREEN,
    K.Key_I: PlayerAction.STATS,
    K.Key_S: PlayerAction.STATS,
    K.Key_Escape: PlayerAction.BACK,
    K.Key_Backspace: PlayerAction.BACK,
    K.Key_Back: PlayerAction.BACK,
    K.Key_MediaStop: PlayerAction.BACK,
    K.Key_L: PlayerAction.GO_LIVE,  # a live source: back to the live point
    K.Key_End: PlayerAction.GO_LIVE,
}


def action_for(key: int) -> PlayerAction | None:
    try:
        return KEYS.get(Qt.Key(key))
    except ValueError:  # not a key Qt names
        return None
