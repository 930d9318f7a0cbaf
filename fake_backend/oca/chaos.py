"""Chaos mode: a seeded task that takes OCAs down and brings them back at random.

At least one OCA always stays up. Every transition is recorded in ``events`` (time since
start, OCA id, "down"/"up") so a test or a report can line failures up with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from fake_backend.oca.fleet import Fleet

__all__ = ["Chaos"]

log = logging.getLogger("fake_backend.chaos")
MAX_EVENTS = 1000


class Chaos:
    def __init__(self, fleet: Fleet, seed: int, interval_s: float = 5.0) -> None:
        self.fleet = fleet
        self.seed = seed
        self.interval_s = interval_s
        self.events: list[dict[str, object]] = []
        self._rng = random.Random(seed)
        self._task: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._t0 = time.monotonic()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def step(self) -> None:
        """One random transition (also used directly by tests)."""
        node = self._rng.choice(self.fleet.nodes)
        up_count = sum(1 for n in self.fleet.nodes if n.up)
        if node.up and up_count > 1:
            await node.go_down()
            action = "down"
        elif not node.up:
            await node.go_up()
            action = "up"
        else:
            return
        self.events.append(
            {"t_s": round(time.monotonic() - self._t0, 3), "oca_id": node.id, "action": action}
        )
        del self.events[:-MAX_EVENTS]
        log.info("chaos: %s %s", node.id, action)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s * (0.5 + self._rng.random()))
            await self.step()

    def to_json(self) -> dict[str, object]:
        return {
            "running": self.running,
            "seed": self.seed,
            "interval_s": self.interval_s,
            "events": list(self.events),
        }
