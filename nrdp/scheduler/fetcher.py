"""The fetcher: asks the pure planner what to fetch next, the ABR algorithm and the rung
rules which rung, downloads through the failover downloader, decrypts off the loop and
queues the clear segment for its presenter.

A download that turns out far too slow for its rung, with no other location to go to, is
the delivery policy's decision to drop to a lower rung: the downloader raises
:class:`~nrdp.errors.ThroughputTooLow` and the fetcher excludes that rung for
``track_exclusion`` seconds; the planner asks for the same segment again, lower.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from abr.types import Observation, Phase
from drm import KeyNotFound, find_pssh
from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.clock import busy, wait_event
from nrdp.cmcd import CmcdData, ObjectType, StreamingFormat, StreamType, apply
from nrdp.delivery.deadlines import media_deadline
from nrdp.delivery.downloader import DownloadResult, UrlDecorator
from nrdp.delivery.resume import ByteRange
from nrdp.errors import DemuxFailed
from nrdp.events import BandwidthEstimated, BufferLevel, QualityChanged, SegmentDownloaded
from nrdp.media.pipeline import ClearInit
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.decisions import (
    apply_rung_rules,
    buffer_drain,
    live_exclusions,
    segments_left,
    switch_reason,
    track_fallback,
)
from nrdp.scheduler.live import live_download
from nrdp.scheduler.planner import SegmentRequest, TrackCursor, plan
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


def segment_kids(data: bytes) -> set[bytes]:
    """KIDs the ``pssh`` boxes of a fragment list (key rotation announces them there)."""
    try:
        return {k for box in find_pssh(data) for k in box.kids}
    except SdkError:  # a pssh we cannot read: the seig group still names the KID
        return set()


def _range(rng: object | None) -> ByteRange | None:
    if rng is None:
        return None
    return ByteRange(rng.first, rng.last)  # type: ignore[attr-defined]


class Fetcher:
    """The fetch loop of one epoch of one Period."""

    def __init__(self, engine: PlaybackEngine, tg: asyncio.TaskGroup) -> None:
        self.engine = engine
        self.tg = tg

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

    # ------------------------------------------------------------------ rung

    def choose(self, track: TrackRuntime, req: SegmentRequest) -> int:
        """The rung for ``req``: ABR's choice (or the pin) under the rung rules."""
        engine = self.engine
        n = len(track.choice.representations)
        if track.kind is not TrackKind.VIDEO or n == 1:
            return 0
        now = engine.clock.now()
        track.excluded = live_exclusions(track.excluded, now)
        rules = {"cap": engine.quality_cap, "pin": engine.fixed_rung, "excluded": track.excluded}
        if engine.fixed_rung is not None:
            return apply_rung_rules(engine.fixed_rung, n, **rules)  # type: ignore[arg-type]
        try:
            count: int | None = len(track.choice.representations[0].index())
        except (TypeError, SdkError):  # open-ended (live) index: unknown
            count = None
        obs = Observation(
            now=now,
            buffer_s=req.buffered_ahead,
            phase=engine.phase,
            ladder=track.choice.ladder(),
            segment_index=max(0, req.number - 1),
            segments_left=segments_left(count, req.number),
            samples=tuple(engine.samples),
            last_decision=engine.last_decision,
            buffer_cap_s=engine.config.buffer.target,
        )
        decision = engine.abr.choose(obs)
        engine.last_decision = decision
        return apply_rung_rules(decision.rung, n, **rules)  # type: ignore[arg-type]

    def _cmcd(
        self, track: TrackRuntime, rep: Representation, req: SegmentRequest, kind: ObjectType
    ) -> UrlDecorator | None:
        engine = self.engine
        cfg = engine.config.cmcd
        if not cfg.enabled:
            return None
        mtp = engine.samples[-1].kbps if engine.samples else None
        top = max(int((r.bandwidth or 0) / 1000) for r in track.choice.representations)
        data = CmcdData(
            encoded_bitrate_kbps=int((rep.bandwidth or 0) / 1000) or None,
            buffer_length_ms=req.buffered_ahead * 1000.0,
            buffer_starvation=engine.stalled,
            content_id=cfg.content_id or engine.content_id,
            object_duration_ms=req.duration * 1000.0,
            measured_throughput_kbps=mtp,
            object_type=kind,
            streaming_format=StreamingFormat.DASH,
            session_id=engine.session_id,
            stream_type=StreamType.VOD if engine.live is None else StreamType.LIVE,
            startup=engine.phase is Phase.STARTUP,
            top_bitrate_kbps=top or None,
        )
        keys, mode = cfg.keys, cfg.mode

        def decorate(url: str) -> tuple[str, dict[str, str]]:
            return apply(url, data, mode=mode, keys=keys)

        return decorate

    # ------------------------------------------------------------------ download

    async def fetch(
        self,
        track: TrackRuntime,
        req: SegmentRequest,
        generation: int,
        init_prefix: str | None = None,
    ) -> None:
        """Download, decrypt and queue ``req`` (dropped if the track was switched since it
        was planned, ``generation``). ``init_prefix``: the init cache key's Period prefix
        when ``track`` belongs to the next Period (fetched ahead of its boundary)."""
        engine = self.engine
        try:
            if track.generation != generation:
                return
            rung = self.choose(track, req)
            rep = track.rep(rung)
            ahead_of_time = init_prefix is not None  # the next Period: no buffer spent on it
            init = await self.init_for(
                rep, init_prefix, deadline_s=None if ahead_of_time else self.deadline(track)
            )
            live = engine.live
            if live is None:
                ref = rep.index().by_number(req.number)
            else:  # live numbers may move between MPD updates: the start is the identity
                ref = rep.index(live.horizon()).at_time(req.start + SAME_SEGMENT_S)
            otype = ObjectType.VIDEO if track.kind is TrackKind.VIDEO else ObjectType.AUDIO
            need = float(rep.bandwidth) if rung > 0 and rep.bandwidth else None

            async def download() -> DownloadResult:
                with busy(engine.clock):
                    return await engine.downloader.fetch(
                        engine.locate(rep, ref.path),
                        _range(ref.byte_range),
                        required_bps=need,
                        decorate=self._cmcd(track, rep, req, otype),
                        lower_tracks=rung,
                        deadline_s=None if ahead_of_time else self.deadline(track),
                    )

            try:
                if live is None:
                    res = await download()
                else:
                    got = await live_download(live, rep, ref, track.kind.value, download)
                    if got is None:
                        self._skip(track, ref, generation)
                        return
                    res = got
            except SdkError as err:  # the policy's decision, carried on the error
                exclusion = track_fallback(err, engine.config.load_error.track_exclusion)
                if exclusion is None or rung == 0:
                    raise
                track.excluded[rung] = engine.clock.now() + exclusion
                return  # the planner asks for the same segment again; choose() goes lower
            clear = await self.decrypt(init, res.data)
            if track.generation != generation:
                return  # the track was switched meanwhile: this segment is not wanted
            item = Queued(
                ref.number, ref.start, ref.duration, init, clear, generation, media_offset(rep)
            )
            self._accept(track, rung, rep, item, ref, res)
        finally:
            track.in_flight = False
            engine.wake.set()

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

    def _skip(self, track: TrackRuntime, ref: SegmentRef, generation: int) -> None:
        """A live segment given up: its span counts as buffered (a gap the presenter
        crosses on the clock) and the track moves on to the next one."""
        if track.generation != generation:
            return
        track.buffer.append(ref.start, ref.duration)
        track.next_number = ref.number + 1
        self.engine.arrived.set()

    async def decrypt(self, init: ClearInit, data: bytes) -> bytes:
        """The clear segment. Key rotation: KIDs a fragment's ``pssh`` names are licensed
        before decrypting, and a KID first seen in its ``seig`` group (no pssh) once."""
        engine = self.engine
        if init.kids:
            await self._license(frozenset(segment_kids(data)))
        for attempt in range(2):
            try:
                with busy(engine.clock):
                    return await engine.pipeline.decrypt(init, data)
            except KeyNotFound as err:
                if attempt or engine.need_keys is None:
                    raise
                await self._license(frozenset({bytes.fromhex(err.kid)}))
        raise AssertionError("unreachable")

    async def _license(self, kids: frozenset[bytes]) -> None:
        engine = self.engine
        # an all-zero KID (key rotation's tenc) is a placeholder: the seig group names the key
        missing = frozenset(k for k in kids if k not in engine.pipeline.keys and any(k))
        if missing and engine.need_keys is not None:
            with busy(engine.clock):
                engine.pipeline.keys.update(await engine.need_keys(missing))

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
        await self._license(frozenset(init.kids))
        return init

    def _accept(
        self,
        track: TrackRuntime,
        rung: int,
        rep: Representation,
        item: Queued,
        ref: SegmentRef,
        res: DownloadResult,
    ) -> None:
        engine = self.engine
        now = engine.clock.now()
        track.queue.append(item)
        track.switching = False
        track.buffer.append(item.start, item.duration)
        engine.arrived.set()
        track.next_number = item.number + 1
        engine.samples.append(res.sample)
        bitrate = int(rep.bandwidth or 0)
        if track.rung != rung:
            old = track.rep(track.rung).bandwidth if track.rung is not None else None
            reason = switch_reason(track.rung, engine.fixed_rung is not None)
            engine.emit(
                QualityChanged(
                    at=now,
                    track=track.kind,
                    old_bitrate=old,
                    new_bitrate=bitrate,
                    rung=rung,
                    reason=reason,
                )
            )
            track.rung = rung
        engine.emit(
            SegmentDownloaded(
                at=now,
                track=track.kind,
                number=item.number,
                size=res.size,
                seconds=res.ttfb_s + res.transfer_s,
                ttfb=res.ttfb_s,
                oca=res.oca_id,
                rung=rung,
                bitrate=bitrate,
                representation=None if rep.id is None else str(rep.id),
            )
        )
        if res.sample.duration_s > 0:
            engine.emit(BandwidthEstimated(at=now, bps=res.sample.kbps * 1000.0))
        ahead = track.buffer.ahead(engine.position)
        engine.emit(BufferLevel(at=now, track=track.kind, ahead=ahead))
