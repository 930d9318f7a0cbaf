"""What one :meth:`~nrdp.player.Player.load` started, so that ``stop`` ends all of it in one
place: the engine and the task running its current epoch (a seek ends one epoch and starts
the next), the media worker pool, the live task, content steering and the thumbnails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from mediacore.errors import SdkError
from nrdp.delivery.steering_client import SteeringClient
from nrdp.media.pipeline import MediaPipeline
from nrdp.player_live import PlayerLive
from nrdp.routes import Opened
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.state import PlayerEvent, PlayerState
from nrdp.thumbnails import ThumbnailSource

__all__ = ["PlayerSession"]


class PlayerSession:
    """The running parts of one loaded source, from ``load`` to ``stop``."""

    def __init__(
        self,
        opened: Opened,
        engine: PlaybackEngine,
        pipeline: MediaPipeline,
        thumbs: ThumbnailSource,
        on_end: Callable[[str], None],
    ) -> None:
        self.opened = opened
        self.engine = engine
        self.pipeline = pipeline
        self.thumbs = thumbs
        self.live: PlayerLive | None = None
        self.steering: SteeringClient | None = None
        self._on_end = on_end
        self._epoch: asyncio.Task[None] | None = None
        self._live_task: asyncio.Task[None] | None = None

    def run(self, steering: SteeringClient | None) -> None:
        """``load`` is done: LOADED, the first epoch, the live task; ``steering`` (already
        started) is ended with the rest."""
        self.engine.process(PlayerEvent.LOADED)
        self.start_epoch()
        self.steering = steering
        if self.live is not None:
            self._live_task = asyncio.create_task(self.live.control.run(), name="nrdp-live")

    def start_epoch(self) -> None:
        """Run the engine from where it was reset to (after ``load`` or a seek)."""
        self._epoch = asyncio.create_task(self._drive(), name="nrdp-player")

    async def _drive(self) -> None:
        engine = self.engine
        with contextlib.suppress(SdkError):  # the engine has emitted it and is in ERROR
            await engine.run()
        if engine.state.state in (PlayerState.ENDED, PlayerState.ERROR):
            self._on_end("ended" if engine.state.state is PlayerState.ENDED else "error")

    async def end_epoch(self) -> None:
        task, self._epoch = self._epoch, None
        await _cancelled(task)

    async def close_tasks(self) -> None:
        """End every task of the session (live, epoch, steering) and the thumbnails; then
        :meth:`stop`."""
        live_task, self._live_task = self._live_task, None
        await _cancelled(live_task)
        await self.end_epoch()
        steering, self.steering = self.steering, None
        if steering is not None:
            await steering.close()
        self.thumbs.close()

    def stop(self) -> float | None:
        """After :meth:`close_tasks`: STOP the engine (the summary says ``stopped`` unless it
        ended) and close the worker pool. Returns where an on-demand engine stopped (what a
        bookmark keeps); None for live, or when it was not running."""
        engine, position = self.engine, None
        if engine.state.can(PlayerEvent.STOP):
            position = engine.position if engine.live is None else None
            if engine.state.state is not PlayerState.ENDED:
                self._on_end("stopped")
            engine.process(PlayerEvent.STOP)
        self.pipeline.close()
        return position


async def _cancelled(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if still running) and wait until it has ended."""
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
