"""Seeks one at a time, the latest wins, and a ticket that tells a stale reading.

Keys seek faster than the SDK does: two Left presses 50 ms apart are two ``Player.seek``
calls whose tasks would interleave on the loop (the first could finish last), and a poll
taken before the SDK applied a seek still reports the old position, so the next press
would step from there. Here each seek (or "go to live") gets a ticket on the UI thread;
on the loop they run one at a time and a seek superseded while it waited is dropped.
``pending`` (UI thread) stays true until the latest ticket's seek was applied, and the
poll feed keeps the position the controls show until then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["SerialSeeks"]


class SerialSeeks:
    def __init__(self) -> None:
        self.asked = 0  # tickets given (UI thread)
        self.done = 0  # the newest ticket whose turn is over (loop thread)
        self._lock = asyncio.Lock()  # bound to the loop at first use

    def ticket(self) -> int:
        """A new seek was asked for (UI thread)."""
        self.asked += 1
        return self.asked

    @property
    def pending(self) -> bool:
        """Has a seek been asked for that the SDK has not applied yet?"""
        return self.done < self.asked

    async def run(self, ticket: int, seek: Callable[[], Awaitable[None]]) -> None:
        """On the loop: ``seek()`` unless a later ticket supersedes ``ticket``."""
        async with self._lock:
            try:
                if ticket == self.asked:
                    await seek()
            finally:
                self.done = max(self.done, ticket)
