"""Decrypt and decode off the event loop: CENC per segment, then PyAV, in a worker pool.

One :class:`MediaPipeline` per playback session owns small thread pools (so closing the
session leaves no thread behind, unlike the loop's default executor): one decrypts, one
decodes, so that decrypting segments fetched ahead never delays decoding the segment about
to be shown (the first frame, above all). For each
representation the init segment is decrypted once (:func:`drm.decrypt_init` gives the clear
init and the protection the media segments need); each media segment is then decrypted on its
own (:func:`drm.decrypt_segment`) and later decoded with that clear init: its samples are fed
as packets to a decoder context (:mod:`nrdp.media.decoder`), kept per representation for
video. :meth:`MediaPipeline.stream` (and :meth:`MediaPipeline.decode_frames` on top of it)
hands a segment's frames out in parts as they are decoded, the first frame alone (startup),
on a third pool whose workers wait while the consumer is a bounded number of pictures behind
(:class:`FrameStream`). Keys live only in the :class:`drm.KeyStore` handed in by the license
client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from drm import InitProtection, KeyStore, decrypt_init, decrypt_segment
from mediacore.errors import SdkError
from nrdp.errors import ContentKeyMismatch, DecodeFailed, DemuxFailed
from nrdp.media.codecs import DecoderPool
from nrdp.media.decoder import DecodedSegment, decode_segment, iter_segment
from nrdp.media.samples import SampleTime, segment_samples
from nrdp.media.sinks import VideoFrame

__all__ = ["ClearInit", "FrameStream", "MediaPipeline"]

T = TypeVar("T")


@dataclass(frozen=True)
class ClearInit:
    """A representation's decrypted init segment and its protection description."""

    rung: str
    data: bytes
    protection: InitProtection

    @property
    def kids(self) -> tuple[bytes, ...]:
        return tuple(self.protection.kids)


class MediaPipeline:
    """Decrypt + decode for one session; every blocking call runs in the pool."""

    def __init__(self, keys: KeyStore | None = None, *, decoders: int = 2) -> None:
        self.keys = keys if keys is not None else KeyStore()
        self._crypt = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="nrdp-media-decrypt"
        )
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=decoders, thread_name_prefix="nrdp-media-decode"
        )
        # Streamed segments block their worker while the presenter is behind (backpressure):
        # their own threads, so a blocked stream never delays audio decoding or decryption.
        self._stream = concurrent.futures.ThreadPoolExecutor(
            max_workers=decoders, thread_name_prefix="nrdp-media-stream"
        )
        self._streams: set[FrameStream] = set()  # workers still running
        self._open: set[FrameStream] = set()  # not yet closed nor read to the end
        self._inits: dict[str, ClearInit] = {}
        self.decoders = DecoderPool(per_key=decoders)
        self.decrypted = 0
        self.decoded = 0

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kw))

    async def _run_crypt(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._crypt, functools.partial(fn, *args))

    def cached_init(self, rung: str) -> ClearInit | None:
        return self._inits.get(rung)

    async def prepare_init(self, rung: str, init: bytes) -> ClearInit:
        """Parse and decrypt a representation's init once; later calls return the cache."""
        have = self._inits.get(rung)
        if have is not None:
            return have
        try:
            clear, protection = await self._run_crypt(decrypt_init, init)
        except SdkError:
            raise
        except Exception as exc:  # a parser bug must still surface typed
            raise DemuxFailed(track=rung, reason=type(exc).__name__) from exc
        result = ClearInit(rung, bytes(clear), protection)
        self._inits[rung] = result
        return result

    async def decrypt(self, init: ClearInit, segment: bytes) -> bytes:
        """The clear bytes of one media segment (typed drm errors on a missing key)."""
        out = await self._run_crypt(decrypt_segment, segment, init.protection, self.keys)
        self.decrypted += 1
        return bytes(out)

    async def decode(
        self,
        init: ClearInit,
        segment: bytes,
        *,
        kind: str,
        number: int,
        pixels: bool = False,
        digests: bool = False,
        chroma: bool = False,
    ) -> DecodedSegment:
        """Decode one clear segment in the pool (video through a reused decoder context)."""
        try:
            result = await self._run(
                decode_segment,
                init.data,
                segment,
                kind=kind,
                number=number,
                rung=init.rung,
                pixels=pixels,
                digests=digests,
                chroma=chroma,
                decoders=self.decoders,
            )
        except DecodeFailed as err:
            if init.kids:
                raise ContentKeyMismatch(track=kind, segment=number) from err
            raise
        self.decoded += 1
        return result

    async def sample_times(
        self, init: ClearInit, segment: bytes, *, kind: str, number: int
    ) -> list[SampleTime]:
        """The sample slots of one clear segment from its boxes alone (``decode=False``),
        read in the decode pool: parsing untrusted bytes never runs on the event loop, and
        a hostile table is refused by :mod:`mediacore.fmp4` in time bounded by its size."""
        return await self._run(segment_samples, init.data, segment, kind=kind, number=number)

    def stream(
        self,
        init: ClearInit,
        segment: bytes,
        *,
        kind: str,
        number: int,
        pixels: bool = False,
        digests: bool = False,
        chroma: bool = False,
        first: int = 1,
        chunk: int = 8,
        ahead: int | None = 16,
    ) -> FrameStream:
        """Start decoding one clear segment on a stream worker; its frames come out of the
        returned :class:`FrameStream` in parts (see there). Must be called on the loop."""
        return FrameStream(
            self,
            init,
            segment,
            kind=kind,
            number=number,
            pixels=pixels,
            digests=digests,
            chroma=chroma,
            first=first,
            chunk=chunk,
            ahead=ahead,
        )

    async def decode_frames(
        self,
        init: ClearInit,
        segment: bytes,
        *,
        kind: str,
        number: int,
        pixels: bool = False,
        digests: bool = False,
        chroma: bool = False,
        first: int = 1,
        chunk: int = 8,
        ahead: int | None = 16,
    ) -> AsyncGenerator[DecodedSegment, None]:
        """:meth:`decode` in parts: the first ``first`` frames as soon as they are decoded,
        then parts of at most ``chunk`` frames (or what ~50 ms of decoding gave to a caller
        already waiting), with at most ``ahead`` frames decoded and not yet taken (see
        :class:`FrameStream`). At startup a player can show a segment's first picture after
        decoding one instead of all (a 4 s 1080p segment is 120 pictures). Same errors as
        :meth:`decode`; leaving the loop early stops the worker at its next frame."""
        frames = self.stream(
            init,
            segment,
            kind=kind,
            number=number,
            pixels=pixels,
            digests=digests,
            chroma=chroma,
            first=first,
            chunk=chunk,
            ahead=ahead,
        )
        try:
            while (part := await frames.next_part()) is not None:
                yield part
        finally:
            await frames.aclose()

    @property
    def streams(self) -> int:
        """How many :class:`FrameStream` workers are open (started and not yet left)."""
        return len(self._streams)

    @property
    def held(self) -> int:
        """Pictures the open streams decoded and their consumers have not taken back yet
        (queued parts and the part each consumer holds)."""
        return sum(s.held for s in list(self._open))

    def close(self) -> None:
        """Stop the pools; running jobs finish (open streams stop at their next frame),
        queued ones are cancelled."""
        for stream in list(self._streams):
            stream.halt()
        self._crypt.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._stream.shutdown(wait=True, cancel_futures=True)
        self._inits.clear()
        self.decoders.clear()


_Part = tuple[list[Any], BaseException | None, bool]
_END = object()
POST_EVERY = 0.05
"""Seconds of decoding after which a stream worker hands out what it has, even a short part."""


class FrameStream:
    """One clear segment decoding on a worker thread, handed out in parts.

    The worker hands out the first ``first`` frames as soon as they are decoded, then parts
    of ``chunk`` frames (fewer when it has to wait, or when the consumer is waiting and ~50
    ms of decoding gave fewer: a part handed out early to nobody waiting would only cost
    the loop a wake-up).
    Backpressure: at most ``ahead`` frames are decoded and not yet taken back; a part counts
    until the consumer asks for the next one (:meth:`next_part`) or closes the stream, and
    the worker blocks (without holding the loop) until there is room. So a presenter that
    takes parts as their pictures are shown keeps at most ``ahead`` decoded pictures of this
    segment alive (``None``: no bound). :meth:`aclose` (or :meth:`MediaPipeline.close`)
    stops the worker at its next frame; it never waits for a consumer.
    """

    def __init__(
        self,
        pipeline: MediaPipeline,
        init: ClearInit,
        segment: bytes,
        *,
        kind: str,
        number: int,
        pixels: bool,
        digests: bool,
        chroma: bool,
        first: int,
        chunk: int,
        ahead: int | None,
    ) -> None:
        if first < 1 or chunk < 1 or (ahead is not None and ahead < 1):
            raise ValueError("first, chunk and ahead must be at least 1")
        self.kind = kind
        self.number = number
        self.ahead = ahead
        self._pipeline = pipeline
        self._init = init
        self._loop = asyncio.get_running_loop()
        self._parts: asyncio.Queue[_Part] = asyncio.Queue()
        self._cond = threading.Condition()
        self._held = 0  # decoded by the worker, not yet taken back (guarded by _cond)
        self._taken = 0  # frames of the part the consumer holds
        self._halted = False
        self._finished = False
        self._waiting = False  # the consumer awaits a part (set and read without the lock:
        # a stale read only delays a short part to the next frame)
        self.peak = 0
        """The most frames this stream ever held decoded and not taken back."""
        args = (init, bytes(segment), kind, number, pixels, digests, chroma, first, chunk)
        pipeline._streams.add(self)
        try:
            self._job = self._loop.run_in_executor(pipeline._stream, self._work, *args)
        except BaseException:  # the pipeline is closed
            pipeline._streams.discard(self)
            raise
        pipeline._open.add(self)
        self._job.add_done_callback(self._ended)

    # ------------------------------------------------------------------ worker thread

    def _post(self, frames: list[Any], exc: BaseException | None, done: bool) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._parts.put_nowait, (frames, exc, done))

    def _room(self) -> bool:
        """Wait (on the worker) until one more frame may be decoded; ``False``: stop."""
        with self._cond:
            while not self._halted and self.ahead is not None and self._held >= self.ahead:
                self._cond.wait(1.0)
                if self._loop.is_closed():  # the consumer's loop is gone: nobody takes
                    self._halted = True
            if self._halted:
                return False
            self._held += 1
            self.peak = max(self.peak, self._held)
            return True

    def _unheld(self, n: int) -> None:
        with self._cond:
            self._held -= n
            self._cond.notify_all()

    def _work(
        self,
        init: ClearInit,
        segment: bytes,
        kind: str,
        number: int,
        pixels: bool,
        digests: bool,
        chroma: bool,
        first: int,
        chunk: int,
    ) -> None:
        part: list[Any] = []
        size = first
        frames: Iterator[Any] | None = None
        try:
            frames = iter_segment(
                init.data,
                segment,
                kind=kind,
                number=number,
                rung=init.rung,
                pixels=pixels,
                digests=digests,
                chroma=chroma,
                decoders=self._pipeline.decoders,
            )
            since = time.monotonic()
            while True:
                if part and not self._free():  # about to wait: hand out what there is
                    self._post(part, None, False)
                    part, size, since = [], chunk, time.monotonic()
                if not self._room():  # halted: a consumer still waiting gets cancelled
                    self._post([], asyncio.CancelledError(), True)
                    return
                frame = next(frames, _END)
                if frame is _END:
                    self._unheld(1)
                    break
                part.append(frame)
                if len(part) >= size or (self._waiting and time.monotonic() - since >= POST_EVERY):
                    self._post(part, None, False)
                    part, size, since = [], chunk, time.monotonic()
            self._post(part, None, True)
        except BaseException as exc:  # handed to the awaiting side, typed there
            self._post([], exc, True)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:  # a generator left early drops its decoder context here
                close()
            self._pipeline._streams.discard(self)

    def _free(self) -> bool:
        with self._cond:
            return self.ahead is None or self._held < self.ahead

    # ------------------------------------------------------------------ loop side

    def _ended(self, job: asyncio.Future[None]) -> None:
        if job.cancelled():  # the pipeline closed before the job ran
            self._pipeline._streams.discard(self)
            self._parts.put_nowait(([], asyncio.CancelledError(), True))

    @property
    def held(self) -> int:
        """Frames decoded and not yet taken back: queued parts plus the consumer's part."""
        with self._cond:
            return self._held

    async def next_part(self) -> DecodedSegment | None:
        """The next part (the previous one is taken back), or ``None`` after the last.
        Raises the decode errors of :meth:`MediaPipeline.decode` (``ContentKeyMismatch``
        for an encrypted segment that does not decode), ``CancelledError`` when the pipeline
        closed before the segment started."""
        self._give_back()
        while not self._finished:
            self._waiting = self._parts.empty()
            try:
                frames, exc, done = await self._parts.get()
            finally:
                self._waiting = False
            if done:
                self._finished = True
            if exc is not None:
                self._pipeline._open.discard(self)
                if isinstance(exc, DecodeFailed) and self._init.kids:
                    raise ContentKeyMismatch(track=self.kind, segment=self.number) from exc
                raise exc
            if done:
                self._pipeline.decoded += 1
            if frames:
                self._taken = len(frames)
                video = tuple(f for f in frames if isinstance(f, VideoFrame))
                audio = tuple(f for f in frames if not isinstance(f, VideoFrame))
                return DecodedSegment(kind=self.kind, number=self.number, video=video, audio=audio)
        self._pipeline._open.discard(self)
        return None

    def _give_back(self) -> None:
        if self._taken:
            self._unheld(self._taken)
            self._taken = 0

    def halt(self) -> None:
        """Stop the worker at its next frame (thread-safe, does not wait)."""
        with self._cond:
            self._halted = True
            self._cond.notify_all()

    async def aclose(self) -> None:
        """Stop the worker and wait until it has left (its decoded frames are dropped)."""
        self.halt()
        self._give_back()
        self._finished = True
        self._pipeline._open.discard(self)
        cancelled = False
        while not self._job.done():  # even when cancelled again meanwhile (a task group
            try:  # cancels its children after gather() did): the worker leaves in a frame
                await asyncio.shield(self._job)
            except asyncio.CancelledError:
                cancelled = True
        while not self._parts.empty():  # let the pictures of parts never taken go
            self._parts.get_nowait()
        if cancelled:
            raise asyncio.CancelledError

    async def __aenter__(self) -> FrameStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
