"""One presenter per track: decodes queued segments off the loop, just ahead of
presentation, and hands each frame to the sink when its time comes (audio in batches, up to
``AUDIO_LEAD_S`` ahead, as a device buffer is filled).

Video is streamed in parts (the first frame alone), with at most ``AHEAD_FRAMES`` pictures
of a segment decoded and not yet presented, and the next segment already decoding its first
ones; audio is decoded one whole segment ahead. Memory holds compressed media and a bounded
number of pictures. Frames come out of the decoder in media time and are put on the MPD
timeline with the segment's ``offset`` (Period start - presentationTimeOffset).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from nrdp.clock import busy, wait_event
from nrdp.media.pipeline import FrameStream
from nrdp.media.samples import SampleTime
from nrdp.media.sinks import VideoFrame
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.decisions import is_late, skip_frame
from nrdp.scheduler.runtime import Queued, TrackRuntime
from nrdp.state import PlayerState

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = [
    "AHEAD_FRAMES",
    "AUDIO_LEAD_S",
    "AUDIO_REFILL_S",
    "PART_FRAMES",
    "VERIFY_FRAMES",
    "Presenter",
    "shift_frame",
]

PART_FRAMES = 8
"""Video frames handed from the decoder to the presenter at a time (after the first alone)."""
AHEAD_FRAMES = 16
"""Video pictures of one segment decoded and not yet presented, at most (the segment being
presented and the next one each hold up to this many: ~100 MB at 1080p)."""
VERIFY_FRAMES = AHEAD_FRAMES
"""Video frames decoded before the first one is shown when a content key is used for the
first time. CENC has no key check: a wrong key shows up only as decoder errors a few
pictures in (the decoders run with ``err_detect=explode``), after the first garbage picture
may already have decoded without complaint, so those pictures must not reach the sink first.
Once a key decoded that many frames cleanly its segments stream from the first frame."""
POLL_S = 0.05
"""Longest wait on the clock before a presenter looks at the state again."""
AUDIO_LEAD_S = 0.2
"""How far (media seconds) ahead of its time an audio frame may be handed to the sink once
audio plays on a running clock, as a player writes audio into a device buffer ahead of time
(the device's clock, not the hand-over instant, decides when it sounds). Handing audio over
in batches cuts the loop's wake-ups (each ~0.1 ms of CPU) from one per AAC frame (47 a
second) to about 7. Video is still handed over at its time."""
AUDIO_REFILL_S = 0.05
"""The audio presenter sleeps until its next frame is due within this long, then hands
over everything due within :data:`AUDIO_LEAD_S` (~150 ms of audio per wake-up); the margin
covers a late timer and the live catch-up rate."""


def shift_frame(frame: Any, offset: float) -> Any:
    """``frame`` moved by ``offset`` seconds (a video frame keeps its digest unread)."""
    if not offset:
        return frame
    if isinstance(frame, VideoFrame):
        return VideoFrame(
            pts=frame.pts + offset,
            duration=frame.duration,
            width=frame.width,
            height=frame.height,
            rung=frame.rung,
            segment=frame.segment,
            luma=frame.luma,
            digest=frame.__dict__.get("_digest"),
            rgb=frame.rgb,
            u=frame.u,
            v=frame.v,
        )
    return dataclasses.replace(frame, pts=frame.pts + offset)


class Source:
    """One queued segment being decoded for the presenter, and the one queued after it once
    that one started decoding ahead (``next``)."""

    def __init__(
        self,
        item: Queued,
        *,
        task: asyncio.Task[Any] | None = None,
        stream: FrameStream | None = None,
    ) -> None:
        self.item = item
        self.next: Source | None = None
        self._task = task
        self._stream = stream

    async def frames(self, kind: TrackKind) -> list[Any] | None:
        """The next frames of this segment in presentation order, ``None`` after the last."""
        if self._stream is not None:
            part = await self._stream.next_part()
            if part is None:
                return None
            return list(part.video if kind is TrackKind.VIDEO else part.audio)
        if self._task is None:
            return None
        task, self._task = self._task, None
        decoded = await task
        if isinstance(decoded, list):  # sample slots (decode off)
            return decoded
        return list(decoded.video if kind is TrackKind.VIDEO else decoded.audio)

    async def close(self) -> None:
        """Stop decoding what was not taken; idempotent."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.aclose()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()


class Presenter:
    """Presents one track's queued segments in order, each frame at its time (audio up to
    :data:`AUDIO_LEAD_S` before it)."""

    def __init__(self, engine: PlaybackEngine, track: TrackRuntime, tg: asyncio.TaskGroup):
        self.engine = engine
        self.track = track
        self.tg = tg
        self.video = track.kind is TrackKind.VIDEO
        self._handed_pts: float | None = None
        """The last audio frame's time handed over (the first one goes at its time)."""

    async def run(self) -> None:
        track = self.track
        source: Source | None = None
        try:
            item = await self._next_item()
            source = self._open(item) if item is not None else None
            while source is not None:
                await self._present_segment(source)
                source = source.next
                if source is None:
                    item = await self._next_item()
                    source = self._open(item) if item is not None else None
            if self._handed_pts is not None:  # audio handed ahead: end at the last one's time
                await self._until(self._handed_pts, early=False)
        finally:  # cancelled (seek, stop, error): stop the decoders, leave no worker behind
            if source is not None:
                try:
                    await self._close(source)
                finally:
                    if source.next is not None:
                        await self._close(source.next)
        if self.video:
            self.engine.picture_ready()  # no picture left to wait for
        track.done = True

    async def _close(self, source: Source) -> None:
        with busy(self.engine.clock):  # waits for a decoder thread to leave
            await source.close()

    async def _next_item(self) -> Queued | None:
        """The next downloaded segment, or ``None`` at the track's end of stream."""
        track, engine = self.track, self.engine
        while not track.queue:
            if track.buffer.end_of_stream:
                return None
            engine.arrived.clear()
            await wait_event(engine.clock, engine.arrived, POLL_S)
        return track.queue.popleft()

    def _open(self, item: Queued) -> Source:
        """Start decoding ``item``: video streamed in parts with a bounded number of
        pictures ahead, audio as a whole segment, sample slots when decoding is off."""
        track, engine, opts = self.track, self.engine, self.engine.decode_options
        kind = track.kind.value
        if item.generation != track.generation:
            return Source(item)  # queued before a track switch: never presented
        if not opts.decode:
            # the sample slots from the boxes, parsed in the decode pool (never on the loop)
            pipeline = engine.pipeline
            slots = pipeline.sample_times(item.init, item.data, kind=kind, number=item.number)
            return Source(item, task=self.tg.create_task(slots, name="nrdp-slots"))
        common = {"pixels": opts.pixels, "digests": opts.digests, "chroma": opts.chroma}
        if self.video:
            first = 1 if set(item.init.kids) <= engine.verified_kids else VERIFY_FRAMES
            stream = engine.pipeline.stream(
                item.init,
                item.data,
                kind=kind,
                number=item.number,
                first=first,
                chunk=PART_FRAMES,
                ahead=AHEAD_FRAMES,
                **common,
            )
            return Source(item, stream=stream)
        coro = engine.pipeline.decode(item.init, item.data, kind=kind, number=item.number, **common)
        return Source(item, task=self.tg.create_task(coro, name=f"nrdp-decode-{kind}"))

    async def _present_segment(self, source: Source) -> None:
        track, engine = self.track, self.engine
        current = source.item
        try:
            while current.generation == track.generation:
                with busy(engine.clock):  # a decoder thread works: virtual time waits
                    frames = await source.frames(track.kind)
                if frames is None:
                    break
                if self.video:
                    engine.verified_kids.update(current.init.kids)  # decoded cleanly so far
                if not await self._present_frames(source, frames):
                    break  # switched while waiting for a frame's time
                del frames  # its pictures are not kept alive while the next part decodes
        finally:
            await self._close(source)
        if current.generation == track.generation:
            track.presented_to = max(track.presented_to or 0.0, current.start + current.duration)
        engine.wake.set()

    async def _present_frames(self, source: Source, frames: list[Any]) -> bool:
        """Present ``frames`` in order; ``False`` once the track was switched. The next
        segment starts decoding as soon as it is queued."""
        track, engine = self.track, self.engine
        current = source.item
        for raw in frames:
            if source.next is None and track.queue:  # decode the next segment ahead
                source.next = self._open(track.queue.popleft())
            frame = shift_frame(raw, current.offset)
            if skip_frame(
                frame.pts, frame.duration, floor=engine.floor, skip_before=track.skip_before
            ):
                continue
            if self.video:
                engine.picture_ready()
            await self._until(frame.pts)
            if current.generation != track.generation:
                return False
            track.presented_to = frame.pts + frame.duration
            self._hand_over(frame)
            if not self.video:
                self._handed_pts = frame.pts
        return True

    def _hand_over(self, frame: Any) -> None:
        track, engine = self.track, self.engine
        if not self.video:
            if not isinstance(frame, SampleTime):
                engine.sink.on_audio(frame)
            track.presented += 1
            return
        if engine.config.realtime and is_late(engine.video_clock(), frame.pts, frame.duration):
            track.dropped += 1  # a renderer skips a picture it is too late for
            return
        if not isinstance(frame, SampleTime) and engine.sink.on_video(frame) is False:
            track.dropped += 1  # the sink reported it could not show it
            return
        if engine.first_frame_at is None:
            engine.first_frame_at = engine.clock.now()
        track.presented += 1

    def _lead(self) -> float:
        """How long before its time the next frame may be handed over: audio, once its
        first frame went at its time and while the presentation clock runs (not while it
        waits for the first picture or the next Period), else nothing."""
        if self.video or self._handed_pts is None or not self.engine.pclock.running:
            return 0.0
        return AUDIO_LEAD_S

    async def _until(self, pts: float, *, early: bool = True) -> None:
        """Wait until a frame at ``pts`` may be shown (playing, and its time has come on
        the presentation clock, or for video on the master clock if there is one; audio
        may go up to :data:`AUDIO_LEAD_S` ahead unless ``early`` is false)."""
        engine = self.engine
        while True:
            playing = engine.state.state is PlayerState.PLAYING
            if playing and not engine.config.realtime:
                return
            if playing:
                now = engine.video_clock() if self.video else engine.pclock.position()
                lead = self._lead() if early else 0.0
                if pts - now <= lead:
                    return
                # media time runs at the presentation clock's rate (live catch-up nudge);
                # audio sleeps until the frame is almost due, then hands a batch over
                media_s = pts - now - AUDIO_REFILL_S if lead else pts - now
                wait = engine.pclock.clock_seconds(media_s)
                await engine.clock.sleep(min(wait, lead or POLL_S))
            else:
                engine.state_changed.clear()
                await wait_event(engine.clock, engine.state_changed, POLL_S)
