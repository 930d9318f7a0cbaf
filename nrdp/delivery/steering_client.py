"""The content steering task: fetch the steering manifest every TTL, reorder the OCAs.

One :class:`SteeringClient` per playback session, started by the player after ``load``
and cancelled by ``stop``. It asks the server over the playback channel with
``Channel.stream`` (the segment path: no retry loop and no breaker, so a dead steering
server can neither trip the breaker that the Play API and license calls need nor hold a
request in a retry loop), reads at most :data:`MAX_BODY` bytes, and gives the
PATHWAY-PRIORITY to :meth:`~nrdp.delivery.oca.OcaSelector.reprioritize`. Every failure
(network, HTTP status, malformed body) keeps the last good order and is retried later
(:class:`~nrdp.delivery.steering.SteeringSchedule`); the first failure of a run is reported
through ``on_error``. Steering never raises into playback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mediacore.errors import SdkError
from nrdp.clock import Clock, MonotonicClock
from nrdp.config import OcaConfig
from nrdp.delivery.downloader import SegmentTransport
from nrdp.delivery.oca import OcaSelector
from nrdp.delivery.steering import SteeringManifest, SteeringSchedule, parse_steering_manifest
from nrdp.errors import HttpStatusError, InvalidState, MalformedSteeringManifest, redact_url

__all__ = ["MAX_BODY", "SteeringClient"]

log = logging.getLogger("nrdp.steering")

MAX_BODY = 64 * 1024
"""A steering manifest is a few hundred bytes; anything longer is refused as malformed."""


class SteeringClient:
    """Polls one steering server and applies its PATHWAY-PRIORITY to one selector."""

    def __init__(
        self,
        transport: SegmentTransport,
        selector: OcaSelector,
        server_url: str,
        *,
        config: OcaConfig | None = None,
        clock: Clock | None = None,
        initial_ttl: float | None = None,
        read_timeout: float = 2.0,
        on_update: Callable[[SteeringManifest, tuple[str, ...], float], None] | None = None,
        on_error: Callable[[SdkError], None] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        cfg = config if config is not None else OcaConfig()
        self.transport = transport
        self.selector = selector
        self.clock = clock if clock is not None else MonotonicClock()
        self.schedule = SteeringSchedule(
            server_url,
            initial_ttl=initial_ttl,
            min_ttl=cfg.steering_min_ttl,
            max_ttl=cfg.steering_max_ttl,
        )
        self.read_timeout = read_timeout
        self.on_update = on_update
        self.on_error = on_error
        self._sleep = sleep if sleep is not None else self.clock.sleep  # TTLs on the clock
        self._task: asyncio.Task[None] | None = None
        self._successes: dict[str, int] = {}
        self.applied: tuple[str, ...] | None = None
        self.requests = 0
        self.failures = 0
        self.last_error: SdkError | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start polling in a background task (``nrdp-steering``); the first request goes
        out one TTL after the Play API answered (its ranking is as fresh as a manifest)."""
        if self.running:
            return
        self.schedule.start(self.clock.now())
        self._task = asyncio.create_task(self._run(), name="nrdp-steering")

    async def close(self) -> None:
        task, self._task = self._task, None
        self.schedule.stop()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        try:
            while True:
                wait = self.schedule.delay(self.clock.now())
                if wait is None:
                    return
                await self._sleep(wait)
                await self.refresh()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not reach playback: stop steering, keep playing
            log.exception("content steering stopped")
            self.schedule.stop()

    def _pathways(self) -> list[tuple[str, float | None]]:
        """The OCAs used since the previous request (and the current one), with their
        throughput, for ``_DASH_pathway``/``_DASH_throughput``."""
        out: list[tuple[str, float | None]] = []
        current = self.selector.current
        for oca in self.selector.candidates:
            h = self.selector.health(oca.id)
            used = h.successes > self._successes.get(oca.id, 0)
            self._successes[oca.id] = h.successes
            if used or (current is not None and oca.id == current.id):
                out.append((oca.id, h.throughput_bps))
        return out

    async def refresh(self) -> SteeringManifest | None:
        """Ask the steering server now; returns the manifest applied, or None on failure."""
        if self.schedule.stopped:
            return None
        url = self.schedule.request_url(self._pathways())
        self.requests += 1
        try:
            status, retry_after, body = await self._get(url)
        except InvalidState:  # the playback channel is closed: the session is over
            self.schedule.stop()
            return None
        except SdkError as err:
            self._failed(err)
            return None
        if not 200 <= status < 300:
            self._failed(HttpStatusError(status=status, url=url), status, retry_after)
            return None
        try:
            manifest = parse_steering_manifest(body, url=url)
        except MalformedSteeringManifest as err:
            self._failed(err)
            return None
        now = self.clock.now()
        wait = self.schedule.on_manifest(manifest, now)
        applied = self.selector.reprioritize(manifest.pathway_priority, now)
        known = {o.id for o in self.selector.candidates}
        if not known.intersection(manifest.pathway_priority):
            log.info("steering names no OCA of this session: %s", manifest.pathway_priority[:8])
        elif applied != self.applied:
            self.applied = applied
            log.info("steering: OCA order %s (next in %.1f s)", ",".join(applied), wait)
            if self.on_update is not None:
                self.on_update(manifest, applied, wait)
        return manifest

    async def _get(self, url: str) -> tuple[int, float | None, bytes]:
        async with self.transport.stream("GET", url) as resp:
            status = resp.status
            retry_after = _seconds(resp.headers.get("Retry-After"))
            if not 200 <= status < 300:
                return status, retry_after, b""
            chunks: list[bytes] = []
            size = 0
            while chunk := await resp.read_chunk(self.read_timeout):
                size += len(chunk)
                if size > MAX_BODY:
                    raise MalformedSteeringManifest(url=url, reason=f"body over {MAX_BODY} bytes")
                chunks.append(chunk)
            return status, retry_after, b"".join(chunks)

    def _failed(
        self, err: SdkError, status: int | None = None, retry_after: float | None = None
    ) -> None:
        self.failures += 1
        self.last_error = err
        first = self.schedule.failures == 0
        wait = self.schedule.on_failure(self.clock.now(), status=status, retry_after=retry_after)
        where = redact_url(self.schedule.reload_url)
        if wait is None:
            log.warning("steering server %s is gone (410): steering ends", where)
        else:
            log.warning("steering from %s failed (%s); retry in %.1f s", where, err, wait)
        if first and self.on_error is not None:
            self.on_error(err)


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
