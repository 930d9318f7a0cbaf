"""Telemetry of playback sessions: batched, low priority, on its own channel, best effort.

Events (``session_start``, ``quality_switch``, ``stall``, ``oca_failover``, ``error``,
``session_end`` with the QoE summary) are queued without blocking and posted in batches to
``POST /telemetry/v1/events`` over the telemetry channel (one connection of its own), so
they never compete with segment downloads. A batch that cannot be delivered is counted in
:attr:`TelemetryReporter.dropped`, never retried forever and never an error for playback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from mediacore.errors import SdkError
from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.events import (
    ErrorEvent,
    Event,
    OcaFailover,
    QualityChanged,
    RebufferEnded,
    SegmentDownloaded,
)
from nrdp.scheduler.buffer import TrackKind
from nrdp.stats import StatsSnapshot

__all__ = ["MAX_BATCH", "SessionTelemetry", "TelemetryReporter"]

MAX_BATCH = 500
PATH = "/telemetry/v1/events"


class TelemetryReporter:
    """Queue + background sender; ``async with`` starts and finally flushes it."""

    def __init__(
        self,
        channel: Channel,
        auth: AuthSession,
        *,
        interval: float = 2.0,
        max_queue: int = 5000,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.channel = channel
        self.auth = auth
        self.interval = interval
        self._queue: list[dict[str, Any]] = []
        self._max_queue = max_queue
        self._wall = wall
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.dropped = 0

    def record(
        self, type_: str, data: dict[str, Any] | None = None, *, playback_id: str | None = None
    ) -> None:
        """Queue one event (never blocks, never raises for a full queue: it drops)."""
        if len(self._queue) >= self._max_queue:
            self.dropped += 1
            return
        event: dict[str, Any] = {"type": type_, "ts": self._wall()}
        if playback_id is not None:
            event["playback_id"] = playback_id
        if data:
            event["data"] = data
        self._queue.append(event)
        if len(self._queue) >= MAX_BATCH:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="nrdp-device-telemetry")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Send everything queued now."""
        while self._queue and self.auth.logged_in:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self.auth.call(self.channel, "POST", PATH, json_body={"events": batch})
                self.sent += len(batch)
            except SdkError:
                self.dropped += len(batch)

    async def close(self) -> None:
        """Stop the sender and flush what is left (bounded by the channel's timeouts)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()


class SessionTelemetry:
    """Turns one playback's events into telemetry records (and the session_end summary)."""

    def __init__(self, reporter: TelemetryReporter, playback_id: str, cell: str | None) -> None:
        self.reporter = reporter
        self.playback_id = playback_id
        self.cell = cell
        self._bitrate_sum = 0.0
        self._bitrate_n = 0

    def record(self, type_: str, data: dict[str, Any] | None = None) -> None:
        payload = dict(data or {})
        if self.cell is not None:
            payload["cell"] = self.cell
        self.reporter.record(type_, payload, playback_id=self.playback_id)

    def on_event(self, ev: Event) -> None:
        if isinstance(ev, SegmentDownloaded) and ev.track is TrackKind.VIDEO:
            self._bitrate_sum += ev.bitrate
            self._bitrate_n += 1
        elif isinstance(ev, QualityChanged):
            self.record(
                "quality_switch",
                {
                    "track": ev.track.value,
                    "old_bitrate": ev.old_bitrate,
                    "new_bitrate": ev.new_bitrate,
                    "reason": ev.reason.value,
                },
            )
        elif isinstance(ev, RebufferEnded):
            self.record("stall", {"position_s": ev.position, "duration_ms": ev.duration * 1000})
        elif isinstance(ev, OcaFailover):
            self.record("oca_failover", {"from": ev.from_oca, "to": ev.to_oca, "reason": ev.reason})
        elif isinstance(ev, ErrorEvent):
            self.record(
                "error",
                {"code": ev.error.get("code"), "error": ev.error.get("error"), "fatal": ev.fatal},
            )

    def end(self, stats: StatsSnapshot, reason: str) -> None:
        avg = self._bitrate_sum / self._bitrate_n / 1000.0 if self._bitrate_n else 0.0
        self.record(
            "session_end",
            {
                "reason": reason,
                "startup_ms": round((stats.startup_time or 0.0) * 1000.0, 1),
                "rebuffer_ms": round(stats.stall_time * 1000.0, 1),
                "played_ms": round(stats.playing_time * 1000.0, 1),
                "avg_bitrate_kbps": round(avg, 1),
                "stalls": stats.stall_count,
                "switches": stats.switch_count,
                "failovers": stats.oca_failovers,
            },
        )
