"""The player state machine: every legal transition is a row of :data:`TRANSITIONS`.

Theory of operation. ``LOAD`` starts a session (IDLE, or any finished state: ENDED, STOPPED,
ERROR) and moves to LOADING; ``LOADED`` (manifest and license ready) moves to BUFFERING.
From BUFFERING, ``BUFFER_READY`` goes to PLAYING or PAUSED depending on the *play intent*,
which ``PLAY`` and ``PAUSE`` set in any active state (ExoPlayer's ``playWhenReady``): a user
may press pause while the player is still loading or buffering, and it must not start
playing by itself afterwards. ``BUFFER_EMPTY`` while PLAYING is a stall (back to
BUFFERING); ``SEEK`` goes to SEEKING from any state that has media, and ``SEEK_DONE`` to
BUFFERING. ``END_OF_STREAM`` ends playback; ``STOP`` and ``FAIL`` are legal from every
state. Anything else raises :class:`nrdp.errors.InvalidState`, a local error: the caller
misused the API.

Rule: everything that decides a state change lives in this module, as data.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from nrdp.errors import InvalidState

__all__ = [
    "RESUME",
    "TRANSITIONS",
    "PlayerEvent",
    "PlayerState",
    "PlayerStateMachine",
    "StateTransition",
]


class PlayerState(enum.Enum):
    IDLE = "idle"
    LOADING = "loading"
    BUFFERING = "buffering"
    PLAYING = "playing"
    PAUSED = "paused"
    SEEKING = "seeking"
    ENDED = "ended"
    ERROR = "error"
    STOPPED = "stopped"


class PlayerEvent(enum.Enum):
    LOAD = "load"
    LOADED = "loaded"
    PLAY = "play"
    PAUSE = "pause"
    BUFFER_READY = "buffer-ready"
    BUFFER_EMPTY = "buffer-empty"
    SEEK = "seek"
    SEEK_DONE = "seek-done"
    END_OF_STREAM = "end-of-stream"
    STOP = "stop"
    FAIL = "fail"


class _Resume(enum.Enum):
    RESUME = "resume"


RESUME = _Resume.RESUME
"""Target meaning "PLAYING if the play intent is set, else PAUSED"."""

_S, _E = PlayerState, PlayerEvent
_ALWAYS = {_E.STOP: _S.STOPPED, _E.FAIL: _S.ERROR}

TRANSITIONS: Mapping[PlayerState, Mapping[PlayerEvent, PlayerState | _Resume]] = {
    _S.IDLE: {_E.LOAD: _S.LOADING, **_ALWAYS},
    _S.LOADING: {_E.LOADED: _S.BUFFERING, _E.PLAY: _S.LOADING, _E.PAUSE: _S.LOADING, **_ALWAYS},
    _S.BUFFERING: {
        _E.BUFFER_READY: RESUME,
        _E.PLAY: _S.BUFFERING,
        _E.PAUSE: _S.BUFFERING,
        _E.BUFFER_EMPTY: _S.BUFFERING,
        _E.SEEK: _S.SEEKING,
        _E.END_OF_STREAM: _S.ENDED,
        **_ALWAYS,
    },
    _S.PLAYING: {
        _E.PLAY: _S.PLAYING,
        _E.PAUSE: _S.PAUSED,
        _E.BUFFER_READY: _S.PLAYING,
        _E.BUFFER_EMPTY: _S.BUFFERING,
        _E.SEEK: _S.SEEKING,
        _E.END_OF_STREAM: _S.ENDED,
        **_ALWAYS,
    },
    _S.PAUSED: {
        _E.PLAY: _S.PLAYING,
        _E.PAUSE: _S.PAUSED,
        _E.BUFFER_READY: _S.PAUSED,
        _E.SEEK: _S.SEEKING,
        **_ALWAYS,
    },
    _S.SEEKING: {
        _E.SEEK: _S.SEEKING,
        _E.SEEK_DONE: _S.BUFFERING,
        _E.PLAY: _S.SEEKING,
        _E.PAUSE: _S.SEEKING,
        **_ALWAYS,
    },
    _S.ENDED: {_E.LOAD: _S.LOADING, _E.SEEK: _S.SEEKING, _E.PAUSE: _S.ENDED, **_ALWAYS},
    _S.ERROR: {_E.LOAD: _S.LOADING, **_ALWAYS},
    _S.STOPPED: {_E.LOAD: _S.LOADING, **_ALWAYS},
}

_INTENT: Mapping[PlayerEvent, bool] = {_E.PLAY: True, _E.PAUSE: False}
_FINISHED = frozenset({_S.IDLE, _S.ENDED, _S.ERROR, _S.STOPPED})


@dataclass(frozen=True)
class StateTransition:
    """One processed event: the states before and after, and when."""

    old: PlayerState
    new: PlayerState
    event: PlayerEvent
    at: float

    @property
    def changed(self) -> bool:
        return self.old is not self.new


class PlayerStateMachine:
    """Holds the current state and play intent; :meth:`process` is the only mutator."""

    def __init__(self, *, play_intent: bool = False) -> None:
        self._state = PlayerState.IDLE
        self._play_intent = play_intent
        self._entered_at = 0.0

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def play_intent(self) -> bool:
        return self._play_intent

    @property
    def entered_at(self) -> float:
        """When the current state was entered (the ``now`` of the changing event)."""
        return self._entered_at

    @property
    def active(self) -> bool:
        """Whether a session is in progress (not idle, ended, failed or stopped)."""
        return self._state not in _FINISHED

    def can(self, event: PlayerEvent) -> bool:
        return event in TRANSITIONS[self._state]

    def process(self, event: PlayerEvent, now: float) -> StateTransition:
        """Apply ``event``; raise :class:`InvalidState` if the table has no such row."""
        target = TRANSITIONS[self._state].get(event)
        if target is None:
            raise InvalidState(state=self._state.value, event=event.value)
        if event in _INTENT:
            self._play_intent = _INTENT[event]
        if target is RESUME:
            target = PlayerState.PLAYING if self._play_intent else PlayerState.PAUSED
        assert isinstance(target, PlayerState)
        old = self._state
        if target is not old:
            self._state = target
            self._entered_at = now
        return StateTransition(old, target, event, now)

    def __repr__(self) -> str:
        return f"PlayerStateMachine(state={self._state.value}, play_intent={self._play_intent})"
