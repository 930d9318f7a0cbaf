"""Chaos mode: a seeded task that takes OCAs down and brings them back at random.

At least one OCA always stays up. Every transition is recorded in ``events`` (time since
start, OCA id, "down"/"up"/"up_failed") so a test or a report can line failures up with
them. Chaos never dies silently: an OCA that cannot rebind its port (address in use) is
retried with exponential backoff, the failure is counted and shown by :meth:`to_json`
(``health``: ``ok``/``degraded``), and any other error of a step is logged and counted
while the task goes on. :meth:`stop` brings back every OCA chaos took down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

from fake_backend.oca.fleet import Fleet
from fake_backend.oca.server import OcaNode

__all__ = ["Chaos"]

log = logging.getLogger("fake_backend.chaos")
MAX_EVENTS = 1000
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 30.0
STOP_RESTORE_BUDGET_S = 5.0
"""How long :meth:`stop` keeps retrying to bring an OCA back before reporting it."""


class Chaos:
    def __init__(
        self,
        fleet: Fleet,
        seed: int,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fleet = fleet
        self.seed = seed
        self.interval_s = interval_s
        self.clock = clock
        self.events: list[dict[str, object]] = []
        self.taken_down: set[str] = set()
        """OCAs chaos took down and has not brought back (what ``stop`` restores)."""
        self.failures = 0
        self.last_error: str | None = None
        self._retry_at: dict[str, tuple[float, float]] = {}  # oca id -> (when, next backoff)
        self._rng = random.Random(seed)
        self._task: asyncio.Task[None] | None = None
        self._t0 = clock()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def reseed(self, seed: int) -> None:
        """Draw the next transitions from ``seed`` (a soak run names its chaos)."""
        self.seed = seed
        self._rng = random.Random(seed)

    def start(self) -> None:
        if not self.running:
            self._t0 = self.clock()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def cancel(self) -> None:
        """Stop transitions only (backend shutdown: nothing to restore)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def stop(self) -> list[str]:
        """Stop transitions and bring back what chaos took down; the ids still down after
        retrying for ``STOP_RESTORE_BUDGET_S`` (``to_json()["taken_down"]``)."""
        await self.cancel()
        deadline = self.clock() + STOP_RESTORE_BUDGET_S
        delay = BACKOFF_FIRST_S
        while True:
            for node in self._chaos_down():
                await self._bring_up(node)
            if not self.taken_down or self.clock() + delay > deadline:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
        return sorted(self.taken_down)

    def _chaos_down(self) -> list[OcaNode]:
        nodes = [n for n in self.fleet.nodes if n.id in self.taken_down]
        self.taken_down &= {n.id for n in nodes if not n.up}  # brought up by someone else
        return [n for n in nodes if not n.up]

    def _record(self, node: OcaNode, action: str) -> None:
        self.events.append(
            {"t_s": round(self.clock() - self._t0, 3), "oca_id": node.id, "action": action}
        )
        del self.events[:-MAX_EVENTS]
        log.info("chaos: %s %s", node.id, action)

    async def _bring_up(self, node: OcaNode) -> bool:
        try:
            await node.go_up()
        except OSError as exc:
            self.failures += 1
            self.last_error = f"{node.id}: cannot rebind port {node.port}: {exc.strerror or exc}"
            _when, backoff = self._retry_at.get(node.id, (0.0, BACKOFF_FIRST_S))
            self._retry_at[node.id] = (self.clock() + backoff, min(backoff * 2, BACKOFF_MAX_S))
            self._record(node, "up_failed")
            log.warning("chaos: %s (retry in %.1f s)", self.last_error, backoff)
            return False
        self._retry_at.pop(node.id, None)
        self.taken_down.discard(node.id)
        self._record(node, "up")
        return True

    async def _retry_due(self) -> None:
        now = self.clock()
        for node in self._chaos_down():
            when, _backoff = self._retry_at.get(node.id, (0.0, 0.0))
            if when <= now:
                await self._bring_up(node)

    async def step(self) -> None:
        """One random transition (also used directly by tests), after any due retries."""
        await self._retry_due()
        node = self._rng.choice(self.fleet.nodes)
        up_count = sum(1 for n in self.fleet.nodes if n.up)
        if node.up and up_count > 1:
            await node.go_down()
            self.taken_down.add(node.id)
            self._record(node, "down")
        elif not node.up and node.id not in self._retry_at:
            await self._bring_up(node)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s * (0.5 + self._rng.random()))
            try:
                await self.step()
            except Exception as exc:  # chaos must not die: count, log, go on
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("chaos step failed")

    @property
    def health(self) -> str:
        """``degraded`` while an OCA chaos took down cannot be brought back."""
        return "degraded" if self._retry_at else "ok"

    def to_json(self) -> dict[str, object]:
        return {
            "running": self.running,
            "seed": self.seed,
            "interval_s": self.interval_s,
            "health": self.health,
            "failures": self.failures,
            "last_error": self.last_error,
            "taken_down": sorted(self.taken_down),
            "retrying": sorted(self._retry_at),
            "events": list(self.events),
        }
