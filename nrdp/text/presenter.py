"""Deliver one subtitle track's cues to the sink at their presentation times.

The :class:`~nrdp.player.Player` owns one :class:`TextPresenter`. Selecting a track fetches
its WebVTT file (through the caller's ``fetch``: the playback channel's failover
downloader), parses it once (kept per track id) and starts a small task that polls the
playhead every ``tick`` seconds and hands due cues to ``sink.on_text`` (a sink without that
method is skipped: it is optional). Deselecting, a new selection and :meth:`close` cancel the
task; :meth:`seek` rewinds the timetable. A fetch or parse failure is reported through
``on_error(error, track_id)`` and turns subtitles off; playback is never affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from mediacore.errors import SdkError
from nrdp.text.cue import CueSchedule, TextCue
from nrdp.text.webvtt import parse_webvtt

__all__ = ["TextPresenter"]

log = logging.getLogger("nrdp.text")

TICK = 0.02


class TextPresenter:
    """One text track at a time: fetch, parse, deliver on time."""

    def __init__(
        self,
        *,
        fetch: Callable[[str], Awaitable[bytes]],
        deliver: Callable[[TextCue], None],
        position: Callable[[], float],
        on_error: Callable[[SdkError, str], None],
        tick: float = TICK,
    ) -> None:
        self._fetch = fetch
        self._deliver = deliver
        self._position = position
        self._on_error = on_error
        self._tick = tick
        self._cache: dict[str, tuple[TextCue, ...]] = {}
        self._task: asyncio.Task[None] | None = None
        self._schedule: CueSchedule | None = None
        self.track_id: str | None = None
        self.delivered = 0

    def select(self, track_id: str | None, path: str | None = None) -> None:
        """Show ``track_id`` (its WebVTT file at ``path``), or nothing when ``None``."""
        self._cancel()
        self._schedule = None
        self.track_id = track_id
        if track_id is not None and path is not None:
            self._task = asyncio.create_task(self._run(track_id, path), name="nrdp-text")

    def seek(self, position: float) -> None:
        """The playhead jumped: cues showing at ``position`` come again, passed ones do not."""
        if self._schedule is not None:
            self._schedule.reset(position)
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._deliver_loop(), name="nrdp-text")

    async def close(self) -> None:
        task = self._cancel()
        self.track_id = None
        self._schedule = None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _cancel(self) -> asyncio.Task[None] | None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        return task

    async def _cues(self, track_id: str, path: str) -> tuple[TextCue, ...]:
        cached = self._cache.get(track_id)
        if cached is not None:
            return cached
        doc = parse_webvtt(await self._fetch(path))
        cues = tuple(TextCue(c.start, c.end, c.text, track_id) for c in doc.cues)
        self._cache[track_id] = cues
        return cues

    async def _run(self, track_id: str, path: str) -> None:
        try:
            cues = await self._cues(track_id, path)
        except SdkError as err:
            log.warning("subtitles %s unavailable: %s", track_id, err)
            self.track_id = None
            self._on_error(err, track_id)
            return
        self._schedule = CueSchedule(cues, self._position())
        await self._deliver_loop()

    async def _deliver_loop(self) -> None:
        schedule = self._schedule
        while schedule is not None and not schedule.exhausted:
            for cue in schedule.due(self._position()):
                self.delivered += 1
                self._deliver(cue)
            await asyncio.sleep(self._tick)
