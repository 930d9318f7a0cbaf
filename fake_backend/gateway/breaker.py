"""A circuit breaker per route (closed -> open -> half-open -> closed). Pure: clock-in.

Closed: calls pass; ``failure_threshold`` consecutive failures open it. Open: calls fail fast
(or take the route's fallback) until ``reset_timeout_s`` passed. Half-open: one trial call;
success closes, failure re-opens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["BreakerConfig", "BreakerState", "CircuitBreaker"]


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    reset_timeout_s: float = 10.0


class CircuitBreaker:
    def __init__(self, name: str, config: BreakerConfig) -> None:
        self.name = name
        self.config = config
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self._trial_in_flight = False

    def allow(self, now: float) -> bool:
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if now - self.opened_at < self.config.reset_timeout_s:
                return False
            self.state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        if self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def retry_after(self, now: float) -> float:
        return max(0.0, self.config.reset_timeout_s - (now - self.opened_at))

    def record_success(self) -> None:
        self.state = BreakerState.CLOSED
        self.failures = 0
        self._trial_in_flight = False

    def record_failure(self, now: float) -> None:
        self._trial_in_flight = False
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.config.failure_threshold:
            self.state = BreakerState.OPEN
            self.opened_at = now

    def reset(self) -> None:
        """Closed with no failures counted (the control plane's breaker reset)."""
        self.record_success()

    def snapshot(self) -> dict[str, object]:
        return {"route": self.name, "state": self.state.value, "failures": self.failures}
