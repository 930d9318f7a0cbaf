"""Fan-out of player events to callbacks and async-iterator subscribers.

Callbacks run synchronously on the loop (keep them short); each subscriber gets a bounded
queue, and a slow subscriber loses its *oldest* events (counted in ``dropped``) rather than
slowing playback down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from nrdp.events import Event

__all__ = ["EventHub", "Subscription"]


class Subscription:
    """An async iterator of events; ``close()`` (or leaving ``async with``) unsubscribes."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _put(self, event: Event | None) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self._queue.get_nowait()
                    self.dropped += 1

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self._hub._subs.discard(self)
        self._put(None)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class EventHub:
    """Where the engine's events go out to the app."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Event], None]] = []
        self._subs: set[Subscription] = set()

    def add_callback(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that removes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, maxsize)
        self._subs.add(sub)
        return sub

    def publish(self, event: Event) -> None:
        for cb in list(self._callbacks):
            cb(event)
        for sub in list(self._subs):
            sub._put(event)

    def close(self) -> None:
        """End every subscription (their iterators stop)."""
        for sub in list(self._subs):
            sub.close()
