"""Reusable video decoder contexts, one free list per (codec, extradata).

Opening an H.264 decoder per segment is cheap, but its frame-buffer pool dies with it: every
segment's pictures then land in freshly mapped memory and the page faults cost about as much
as decoding. A context kept per representation (drained and flushed after each segment, so
no state leaks from one segment into the next) recycles its buffers once the previous
segment's frames are gone. Contexts are taken and given back, so two threads never share one.
A context's buffer pool keeps about a segment's worth of pictures, so only the renditions
used most recently (``max_keys``) keep idle contexts: an ABR ladder does not pile up memory.
"""

from __future__ import annotations

import threading
from typing import cast

import av
from av.video.codeccontext import VideoCodecContext

__all__ = ["DecoderPool"]


class DecoderPool:
    """Idle decoder contexts keyed by codec name and extradata (the init's ``avcC``)."""

    def __init__(self, *, per_key: int = 2, max_keys: int = 2) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, bytes], list[VideoCodecContext]] = {}  # oldest key first
        self._per_key = per_key
        self._max_keys = max_keys
        self.created = 0

    def take(self, name: str, extradata: bytes | None) -> VideoCodecContext:
        """An idle context for this stream, or a new one (``err_detect=explode``)."""
        key = (name, extradata or b"")
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
            self.created += 1
        ctx = cast(VideoCodecContext, av.CodecContext.create(name, "r"))
        if extradata:
            ctx.extradata = extradata
        # Fail loudly on damaged data instead of concealing it: a wrong content key gives
        # well-formed containers of garbage samples, which must surface as DecodeFailed.
        ctx.options = {"err_detect": "explode"}
        return ctx

    def give(self, name: str, extradata: bytes | None, ctx: VideoCodecContext) -> None:
        """Return a drained and flushed context; extras beyond ``per_key`` are dropped."""
        key = (name, extradata or b"")
        with self._lock:
            idle = self._idle.pop(key, [])
            self._idle[key] = idle  # now the most recent key
            if len(idle) < self._per_key:
                idle.append(ctx)
            while len(self._idle) > self._max_keys:
                del self._idle[next(iter(self._idle))]

    @property
    def idle_keys(self) -> int:
        """How many renditions currently keep idle contexts."""
        with self._lock:
            return len(self._idle)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()
