"""Where every event of a :class:`~nrdp.player.Player` goes, in one order: the stats
collector, the session's telemetry, the "done" flag ``wait_until_done`` waits on, then the
app's callbacks and subscriptions (:class:`~nrdp.hub.EventHub`).

The engine, the live task, steering, the track selection and the player itself all emit
through :meth:`PlayerEvents.emit`, so a counter in ``stats()`` and a record in the session
summary can never disagree with what the app saw.
"""

from __future__ import annotations

import asyncio

from mediacore.errors import SdkError
from nrdp.clock import Clock
from nrdp.events import ErrorEvent, Event, StateChanged
from nrdp.hub import EventHub
from nrdp.playback.play_api import PlaybackManifest
from nrdp.state import PlayerEvent, PlayerState, PlayerStateMachine
from nrdp.stats import StatsCollector, StatsSnapshot
from nrdp.telemetry import SessionTelemetry, TelemetryReporter

__all__ = ["DONE_STATES", "PlayerEvents"]

DONE_STATES = (PlayerState.ENDED, PlayerState.ERROR, PlayerState.STOPPED)
"""The states that end a session: reaching one sets the flag ``wait_until_done`` waits on."""


class PlayerEvents:
    """The event fan-out of one player: stats and telemetry first, then the app."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.hub = EventHub()
        self.stats = StatsCollector()
        self.telemetry: SessionTelemetry | None = None
        self.done = asyncio.Event()

    def new_session(self, *, play_intent: bool) -> PlayerStateMachine:
        """A ``load``: fresh counters, not done, and the session's state machine (LOADING)."""
        self.stats = StatsCollector()
        self.done.clear()
        machine = PlayerStateMachine(play_intent=play_intent)
        self.step(machine, PlayerEvent.LOAD)
        return machine

    def emit(self, event: Event) -> None:
        self.stats.on_event(event)
        if self.telemetry is not None:
            self.telemetry.on_event(event)
        if isinstance(event, StateChanged) and event.new in DONE_STATES:
            self.done.set()
        self.hub.publish(event)

    def snapshot(self) -> StatsSnapshot:
        return self.stats.snapshot(self.clock.now())

    def step(self, machine: PlayerStateMachine, event: PlayerEvent) -> None:
        """Feed ``event`` to ``machine``; a change of state is announced."""
        tr = machine.process(event, self.clock.now())
        if tr.changed:
            self.emit(StateChanged.from_transition(tr))

    def fail(self, machine: PlayerStateMachine, err: SdkError) -> None:
        """A fatal error before the engine ran (``load``): error event, ERROR, summary."""
        self.emit(ErrorEvent.from_error(err, at=self.clock.now(), fatal=True))
        self.step(machine, PlayerEvent.FAIL)
        self.finish("error")

    def start_telemetry(
        self, reporter: TelemetryReporter, pm: PlaybackManifest, title_id: str
    ) -> None:
        """Record this session (the Play API's playback id and A/B cell) until :meth:`finish`."""
        self.telemetry = SessionTelemetry(reporter, pm.playback_id, pm.experiment_cell)
        self.telemetry.record("session_start", {"title_id": title_id})

    def finish(self, reason: str) -> None:
        """Send the session summary once (``ended``, ``error`` or ``stopped``)."""
        tel, self.telemetry = self.telemetry, None
        if tel is not None:
            tel.end(self.snapshot(), reason)
