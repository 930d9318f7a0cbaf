"""The fetcher: asks the pure planner what to fetch next, the ABR algorithm and the rung
rules which rung (:mod:`.rung_choice`), downloads through the failover downloader within
what the buffer can afford (:mod:`nrdp.delivery.deadlines`), decrypts off the loop
(:mod:`.keys`) and queues the clear segment for its presenter (:mod:`.arrival`).

A download that turns out far too slow for its rung, with no other location to go to, is
the delivery policy's decision to drop to a lower rung: the downloader raises
:class:`~nrdp.errors.ThroughputTooLow` and the fetcher excludes that rung for
``track_exclusion`` seconds; the planner asks for the same segment again, lower.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.clock import busy, wait_event
from nrdp.delivery.deadlines import media_deadline
from nrdp.delivery.downloader import DownloadResult
from nrdp.delivery.resume import ByteRange
from nrdp.errors import DemuxFailed
from nrdp.media.pipeline import ClearInit
from nrdp.scheduler.arrival import accept_segment, skip_segment
from nrdp.scheduler.decisions import buffer_drain, track_fallback
from nrdp.scheduler.keys import SegmentKeys
from nrdp.scheduler.live import live_download
from nrdp.scheduler.planner import SegmentRequest, TrackCursor, plan
from nrdp.scheduler.rung_choice import choose_rung, cmcd_decorator
from nrdp.scheduler.runtime import Queued, TrackRuntime
from nrdp.timeline import media_offset

if TYPE_CHECKING:
    from manifest.model import SegmentRef
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["Fetcher"]

SAME_SEGMENT_S = 1e-4
"""A live request's segment is the one holding its start plus this (tracks' segment
boundaries differ by far more than this; a float's error by far less)."""
IDLE_WAIT_S = 0.25
"""Longest the fetcher sleeps on the clock with nothing to fetch before planning again."""


def _range(rng: object | None) -> ByteRange | None:
    if rng is None:
        return None
    return ByteRange(rng.first, rng.last)  # type: ignore[attr-defined]


class Fetcher:
    """The fetch loop of one epoch of one Period."""

    def __init__(self, engine: PlaybackEngine, tg: asyncio.TaskGroup) -> None:
        self.engine = engine
        self.tg = tg
        self.keys = SegmentKeys(engine)

    async def run(self) -> None:
        engine = self.engine
        while True:
            horizon = engine.live.horizon() if engine.live is not None else None
            cursors = [
                TrackCursor(
                    t.kind,
                    t.choice.representations[t.rung or 0].index(horizon),
                    t.buffer,
                    t.next_number,
                    t.in_flight,
                )
                for t in engine.tracks
            ]
            p = plan(
                cursors,
                position=engine.position,
                config=engine.config.buffer,
                paused=not engine.state.play_intent,
                now=engine.clock.now(),
                max_requests=len(engine.tracks),
            )
            for kind in p.ended:
                track = engine.track(kind)
                if engine.live is not None and not engine.live.may_end(track.rep(track.rung or 0)):
                    continue  # live: no next segment yet, not the end
                if not track.buffer.end_of_stream:
                    track.buffer.mark_end_of_stream()
                    engine.wake.set()
                    engine.arrived.set()
            for req in p.requests:
                track = engine.track(req.kind)
                track.in_flight = True
                self.tg.create_task(
                    self.fetch(track, req, track.generation), name=f"nrdp-dl-{req.kind.value}"
                )
            # all tracks complete: idle until the presenters finish (a track switch may
            # still flush one and need fetching again); the engine cancels the fetcher
            engine.wake.clear()
            await wait_event(engine.clock, engine.wake, IDLE_WAIT_S)

    async def fetch(
        self,
        track: TrackRuntime,
        req: SegmentRequest,
        generation: int,
        init_prefix: str | None = None,
    ) -> None:
        """Download, decrypt and queue ``req`` (dropped if the track was switched since it
        was planned, ``generation``). ``init_prefix``: the init cache key's Period prefix
        when ``track`` belongs to the next Period (fetched ahead of its boundary: no
        buffer is spent on it, so no deadline)."""
        engine = self.engine
        try:
            if track.generation != generation:
                return
            rung = choose_rung(engine, track, req)
            rep = track.rep(rung)
            timed = init_prefix is None
            init = await self.init_for(
                rep, init_prefix, deadline_s=self.deadline(track) if timed else None
            )
            live = engine.live
            if live is None:
                ref = rep.index().by_number(req.number)
            else:  # live numbers may move between MPD updates: the start is the identity
                ref = rep.index(live.horizon()).at_time(req.start + SAME_SEGMENT_S)
            try:
                res = await self._download(track, req, rung, ref, timed=timed)
            except SdkError as err:  # the policy's decision, carried on the error
                exclusion = track_fallback(err, engine.config.load_error.track_exclusion)
                if exclusion is None or rung == 0:
                    raise
                track.excluded[rung] = engine.clock.now() + exclusion
                return  # the planner asks for the same segment again; choose() goes lower
            if res is None:
                skip_segment(engine, track, ref, generation)
                return
            clear = await self.keys.decrypt(init, res.data)
            if track.generation != generation:
                return  # the track was switched meanwhile: this segment is not wanted
            item = Queued(
                ref.number, ref.start, ref.duration, init, clear, generation, media_offset(rep)
            )
            accept_segment(engine, track, rung, rep, item, res)
        finally:
            track.in_flight = False
            engine.wake.set()

    async def _download(
        self, track: TrackRuntime, req: SegmentRequest, rung: int, ref: SegmentRef, *, timed: bool
    ) -> DownloadResult | None:
        """``ref``'s bytes at ``rung``; ``None``: a live segment given up (not available)."""
        engine = self.engine
        rep = track.rep(rung)
        need = float(rep.bandwidth) if rung > 0 and rep.bandwidth else None

        async def download() -> DownloadResult:
            with busy(engine.clock):
                return await engine.downloader.fetch(
                    engine.locate(rep, ref.path),
                    _range(ref.byte_range),
                    required_bps=need,
                    decorate=cmcd_decorator(engine, track, rep, req),
                    lower_tracks=rung,
                    deadline_s=self.deadline(track) if timed else None,
                )

        if engine.live is None:
            return await download()
        return await live_download(engine.live, rep, ref, track.kind.value, download)

    async def prefetch(self, track: TrackRuntime, start: float, prefix: str) -> None:
        """The first segment of ``track`` (of the next Period, starting at ``start``) and
        its init, so that Period's presenter has media the moment the boundary comes."""
        try:
            ref = track.rep(0).index().at_time(start)
        except (LookupError, SdkError):
            return  # nothing to fetch ahead: the Period's own fetcher will say why
        req = SegmentRequest(track.kind, ref.number, ref.start, ref.duration, 0.0, None)
        track.in_flight = True
        await self.fetch(track, req, track.generation, prefix)

    def deadline(self, track: TrackRuntime) -> float | None:
        """Seconds a response for ``track`` may take: what its buffer can afford now."""
        engine = self.engine
        drain = buffer_drain(
            engine.state.state, realtime=engine.config.realtime, holding=engine.holding
        )
        return media_deadline(track.buffer.ahead(engine.position), drain)

    async def init_for(
        self, rep: Representation, prefix: str | None = None, *, deadline_s: float | None = None
    ) -> ClearInit:
        """``rep``'s clear init (cached per Period); ``deadline_s``: what its track's
        buffer can afford (:meth:`deadline`), like the segment it is fetched for."""
        engine = self.engine
        key = engine.init_key(rep) if prefix is None else f"{prefix}/{rep.id}"
        cached = engine.pipeline.cached_init(key)
        if cached is not None:
            return cached
        ref = rep.init_segment()
        if ref is None:
            raise DemuxFailed(track=str(rep.id), reason="representation has no init segment")
        with busy(engine.clock):
            res = await engine.downloader.fetch(
                engine.locate(rep, ref.path), _range(ref.byte_range), deadline_s=deadline_s
            )
            init = await engine.pipeline.prepare_init(key, res.data)
        await self.keys.license(frozenset(init.kids))
        return init
