"""Decrypt and decode off the event loop: CENC per segment, then PyAV, in a worker pool.

One :class:`MediaPipeline` per playback session owns two small thread pools (so closing the
session leaves no thread behind, unlike the loop's default executor): one decrypts, one
decodes, so that decrypting segments fetched ahead never delays decoding the segment about
to be shown (the first frame, above all). For each
representation the init segment is decrypted once (:func:`drm.decrypt_init` gives the clear
init and the protection the media segments need); each media segment is then decrypted on its
own (:func:`drm.decrypt_segment`) and later decoded with that clear init: its samples are fed
as packets to a decoder context (:mod:`nrdp.media.decoder`), kept per representation for
video. :meth:`MediaPipeline.decode_frames` hands a segment's first frame out before the rest
is decoded (startup). Keys live only in the :class:`drm.KeyStore` handed in by the license
client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from drm import InitProtection, KeyStore, decrypt_init, decrypt_segment
from mediacore.errors import SdkError
from nrdp.errors import ContentKeyMismatch, DecodeFailed, DemuxFailed
from nrdp.media.codecs import DecoderPool
from nrdp.media.decoder import DecodedSegment, decode_segment, iter_segment
from nrdp.media.sinks import VideoFrame

__all__ = ["ClearInit", "MediaPipeline"]

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
                decoders=self.decoders,
            )
        except DecodeFailed as err:
            if init.kids:
                raise ContentKeyMismatch(track=kind, segment=number) from err
            raise
        self.decoded += 1
        return result

    async def decode_frames(
        self,
        init: ClearInit,
        segment: bytes,
        *,
        kind: str,
        number: int,
        pixels: bool = False,
        digests: bool = False,
        first: int = 1,
    ) -> AsyncGenerator[DecodedSegment, None]:
        """:meth:`decode` in parts: the first ``first`` frames as soon as they are decoded,
        then the rest of the segment. At startup a player can show a segment's first picture
        after decoding one instead of all (a 4 s 1080p segment is 120 pictures). Same errors
        as :meth:`decode`; leaving the loop early stops the worker at its next frame."""
        loop = asyncio.get_running_loop()
        parts: asyncio.Queue[tuple[list[Any], BaseException | None, bool]] = asyncio.Queue()
        stop = threading.Event()

        def post(frames: list[Any], exc: BaseException | None, done: bool) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(parts.put_nowait, (frames, exc, done))

        def work() -> None:
            chunk: list[Any] = []
            split = first
            try:
                for frame in iter_segment(
                    init.data,
                    segment,
                    kind=kind,
                    number=number,
                    rung=init.rung,
                    pixels=pixels,
                    digests=digests,
                    decoders=self.decoders,
                ):
                    if stop.is_set():
                        return
                    chunk.append(frame)
                    if len(chunk) == split:
                        post(chunk, None, False)
                        chunk, split = [], 0
                post(chunk, None, True)
            except BaseException as exc:  # handed to the awaiting side, typed there
                post([], exc, True)

        job = loop.run_in_executor(self._pool, work)

        def cancelled(f: asyncio.Future[None]) -> None:  # closed before the job ran
            if f.cancelled():
                parts.put_nowait(([], asyncio.CancelledError(), True))

        job.add_done_callback(cancelled)
        try:
            while True:
                frames, exc, done = await parts.get()
                if isinstance(exc, DecodeFailed) and init.kids:
                    raise ContentKeyMismatch(track=kind, segment=number) from exc
                if exc is not None:
                    raise exc
                if frames:
                    video = tuple(f for f in frames if isinstance(f, VideoFrame))
                    audio = tuple(f for f in frames if not isinstance(f, VideoFrame))
                    yield DecodedSegment(kind=kind, number=number, video=video, audio=audio)
                if done:
                    break
            self.decoded += 1
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(job)

    def close(self) -> None:
        """Stop the pool; running jobs finish, queued ones are cancelled."""
        self._crypt.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._inits.clear()
        self.decoders.clear()
