"""A per-channel circuit breaker, as a state machine whose transitions are data (h11 ``_state.py``).

Theory of operation. A channel starts CLOSED and lets every request through, counting
consecutive failures; a success resets the count. When the count reaches
``failure_threshold`` the breaker TRIPs to OPEN: every request fails fast (the shell raises
:class:`nrdp.errors.CircuitOpen`) so a dead service costs nothing and is not hammered.
Once ``open_duration`` has passed, the next :meth:`CircuitBreaker.allow` COOLs DOWN to
HALF_OPEN, which admits at most ``half_open_probes`` trial requests. ``success_threshold``
successful probes close the circuit; a single failed probe re-opens it for another full
``open_duration``. Results that arrive while OPEN, or in HALF_OPEN with no probe in
flight, belong to requests started earlier and are ignored. The caller reports each
admitted request exactly once: success, failure or cancelled (the last frees a probe slot
without judging the service).

Rule: every state change happens in :meth:`CircuitBreaker._process`, and only along
:data:`TRANSITIONS`. Time is always an argument.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from nrdp.config import BreakerConfig
from nrdp.errors import CircuitOpen

__all__ = ["TRANSITIONS", "BreakerEvent", "BreakerState", "BreakerTransition", "CircuitBreaker"]


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class BreakerEvent(enum.Enum):
    TRIP = "trip"
    COOL_DOWN = "cool-down"
    PROBES_SUCCEEDED = "probes-succeeded"
    PROBE_FAILED = "probe-failed"


TRANSITIONS: Mapping[BreakerState, Mapping[BreakerEvent, BreakerState]] = {
    BreakerState.CLOSED: {BreakerEvent.TRIP: BreakerState.OPEN},
    BreakerState.OPEN: {BreakerEvent.COOL_DOWN: BreakerState.HALF_OPEN},
    BreakerState.HALF_OPEN: {
        BreakerEvent.PROBES_SUCCEEDED: BreakerState.CLOSED,
        BreakerEvent.PROBE_FAILED: BreakerState.OPEN,
    },
}


@dataclass(frozen=True)
class BreakerTransition:
    """One state change, for events and telemetry."""

    old: BreakerState
    new: BreakerState
    event: BreakerEvent
    at: float


class CircuitBreaker:
    """The breaker of one channel (playback and discovery each own one)."""

    def __init__(self, config: BreakerConfig | None = None, *, name: str = "channel") -> None:
        self.config = config if config is not None else BreakerConfig()
        self.name = name
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes_issued = 0
        self._probe_successes = 0
        self.transitions: list[BreakerTransition] = []

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    @property
    def probes_in_flight(self) -> int:
        return self._probes_issued - self._probe_successes

    def _process(self, event: BreakerEvent, now: float) -> None:
        new = TRANSITIONS[self._state][event]  # KeyError here is a bug in this module
        self.transitions.append(BreakerTransition(self._state, new, event, now))
        self._state = new
        if new is BreakerState.OPEN:
            self._opened_at = now
        if new is BreakerState.HALF_OPEN:
            self._probes_issued = 0
            self._probe_successes = 0
        if new is BreakerState.CLOSED:
            self._failures = 0

    def allow(self, now: float) -> bool:
        """Whether a request may start now; in HALF_OPEN, a ``True`` takes a probe slot."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            if now < self._opened_at + self.config.open_duration:
                return False
            self._process(BreakerEvent.COOL_DOWN, now)
        if self._probes_issued >= self.config.half_open_probes:
            return False
        self._probes_issued += 1
        return True

    def check(self, now: float) -> None:
        """:meth:`allow`, raising :class:`CircuitOpen` instead of returning ``False``."""
        if not self.allow(now):
            raise CircuitOpen(channel=self.name, retry_after_s=self.retry_after(now))

    def retry_after(self, now: float) -> float:
        """Seconds until a request could be admitted (0 when one could be now)."""
        if self._state is BreakerState.OPEN:
            return max(0.0, self._opened_at + self.config.open_duration - now)
        return 0.0

    def record_success(self, now: float) -> BreakerState:
        if self._state is BreakerState.CLOSED:
            self._failures = 0
        elif self._state is BreakerState.HALF_OPEN and self.probes_in_flight > 0:
            self._probe_successes += 1
            if self._probe_successes >= self.config.success_threshold:
                self._process(BreakerEvent.PROBES_SUCCEEDED, now)
        return self._state

    def record_failure(self, now: float) -> BreakerState:
        if self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self.config.failure_threshold:
                self._process(BreakerEvent.TRIP, now)
        elif self._state is BreakerState.HALF_OPEN and self.probes_in_flight > 0:
            self._process(BreakerEvent.PROBE_FAILED, now)
        return self._state

    def record_cancelled(self) -> None:
        """An admitted request ended without a verdict (cancelled); free its probe slot."""
        if self._state is BreakerState.HALF_OPEN and self.probes_in_flight > 0:
            self._probes_issued -= 1

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self._state.value})"
