"""Drives a link's rate along a trace: one ``tc`` change per second, on a daemon thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from apps.headless.netem.schedule import rate_at

__all__ = ["TraceShaper"]


class TraceShaper:
    """``start()`` sets the rate at t=0 and then at every whole second of the schedule
    (``[[time_s, kbps], ...]``, repeating past its end); ``stop()`` ends it. ``applied``
    keeps ``(t_s, kbps)`` of every change for the report. With a ``gate``, t=0 is when the
    gate is set (from any thread, e.g. one inside the player's namespace: the ``tc`` calls
    stay on the shaper's own thread, in the namespace that called ``start()``)."""

    def __init__(
        self,
        set_rate: Callable[[float], None],
        points: Sequence[Sequence[float]],
        *,
        step_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        gate: threading.Event | None = None,
    ) -> None:
        self.set_rate = set_rate
        self.points = [list(p) for p in points]
        self.step_s = step_s
        self.clock = clock
        self.applied: list[tuple[float, float]] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.gate = gate
        self.t0 = 0.0

    def start(self) -> None:
        if self.gate is None:
            self.t0 = self.clock()
            self._apply(0.0)
        self._thread = threading.Thread(target=self._loop, name="netem-shaper", daemon=True)
        self._thread.start()

    def _apply(self, t: float) -> None:
        kbps = rate_at(self.points, t)
        if not self.applied or self.applied[-1][1] != kbps:
            self.set_rate(kbps)
        self.applied.append((round(t, 3), kbps))

    def _opened(self) -> bool:
        """Wait for the gate (if any) and apply t=0; False when stopped first."""
        if self.gate is None:
            return True
        while not self.gate.wait(0.05):
            if self._stop.is_set():
                return False
        self.t0 = self.clock()
        try:
            self._apply(0.0)
        except BaseException as exc:
            self.error = exc
            return False
        return True

    def _loop(self) -> None:
        if not self._opened():
            return
        step = 1
        while True:
            wait = self.t0 + step * self.step_s - self.clock()
            if self._stop.wait(max(0.0, wait)):
                return
            try:
                self._apply(step * self.step_s)
            except BaseException as exc:
                self.error = exc
                return
            step += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self.error is not None:
            raise self.error
