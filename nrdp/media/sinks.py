"""Where decoded media goes: the :class:`Sink` protocol, a null sink and a hashing sink.

A sink is the one interface an app implements to show media (the Qt app's video widget is a
sink). The player calls it on the event loop's thread, in presentation order, when each
video frame's presentation time comes; audio frames come in small batches up to
``AUDIO_LEAD_S`` (0.2 s) before their time, as a device buffer is filled ahead (or all at
once when the player runs as fast as possible).
Frames are immutable values that may cross threads: pixel arrays are read-only copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, Protocol, overload, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from nrdp.text.cue import TextCue

__all__ = [
    "AudioFrame",
    "HashSink",
    "NullSink",
    "Sink",
    "VideoFrame",
    "apply_playback_rate",
    "luma_digest",
    "supports_playback_rate",
]


def luma_digest(luma: NDArray[np.uint8]) -> str:
    """SHA-1 of the luma plane's bytes, row by row without padding (24 hex digits)."""
    data = luma if luma.flags.c_contiguous else np.ascontiguousarray(luma)
    return hashlib.sha1(data.data, usedforsecurity=False).hexdigest()[:24]


class _LazyDigest:
    """The ``digest`` field: given at construction, or the luma's SHA-1 on first read."""

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> None: ...

    @overload
    def __get__(self, obj: VideoFrame, owner: type | None = None) -> str: ...

    def __get__(self, obj: VideoFrame | None, owner: type | None = None) -> str | None:
        if obj is None:
            return None  # the dataclass default: compute on first read
        d: str | None = obj.__dict__.get("_digest")
        if d is None:
            d = luma_digest(obj.luma)
            obj.__dict__["_digest"] = d
        return d

    def __set__(self, obj: VideoFrame, value: str | None) -> None:
        if "_digest" in obj.__dict__:  # only the dataclass __init__ sets it, once
            raise FrozenInstanceError("cannot assign to field 'digest'")
        obj.__dict__["_digest"] = value


@dataclass(frozen=True, eq=False)
class VideoFrame:
    """One decoded picture: presentation time, size, luma plane, optional RGB and chroma
    planes, digest.

    ``digest`` is computed on first read when not given (a SHA-1 of a 720p luma plane costs
    about as much as decoding the picture), so a sink that never reads it never pays for it;
    the decoder computes it up front, in its worker, for sinks that set ``wants_digests``.

    ``u`` and ``v`` are the picture's chroma planes, 4:2:0: read-only ``uint8`` arrays of
    ``((height + 1) // 2, (width + 1) // 2)`` without row padding, as ``luma`` is. They are
    ``None`` unless the sink sets ``wants_chroma`` (a player or toolkit that converts YUV
    itself, e.g. Qt's ``QVideoFrame``, then needs no ``rgb``).
    """

    pts: float
    duration: float
    width: int
    height: int
    rung: str
    segment: int
    luma: NDArray[np.uint8] = field(repr=False)
    digest: _LazyDigest = _LazyDigest()
    rgb: NDArray[np.uint8] | None = field(default=None, repr=False)
    u: NDArray[np.uint8] | None = field(default=None, repr=False)
    v: NDArray[np.uint8] | None = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class AudioFrame:
    """One decoded block of audio samples (planar float or int, as the decoder gave)."""

    pts: float
    duration: float
    sample_rate: int
    samples: int
    channels: int
    segment: int
    digest: str
    pcm: NDArray[Any] | None = field(default=None, repr=False)


@runtime_checkable
class Sink(Protocol):
    """What an app implements. ``wants_pixels`` asks the decoder for RGB arrays (costly).

    Timing: ``on_video`` is called when the frame's time comes on the presentation clock
    (or the master clock). ``on_audio`` is called in order, each frame once, but up to
    ``nrdp.scheduler.presenter.AUDIO_LEAD_S`` (0.2 s of media time) before the frame's time,
    several frames per call of the loop: a sink queues the samples to its device, whose
    clock (not the hand-over instant) decides when they sound. The first audio frame after a
    load, seek or Period start, and any while the presentation clock waits (first picture,
    next Period), come at their time, so a device starts in step with video; a sink that
    starts a clock of its own at the first frame stays in step. A pause stops the hand-over
    but what was handed over ahead stays queued (a device sink suspends, keeping it).

    A sink may also set ``wants_digests = True`` (optional, not part of the protocol's
    members): the decoder then computes each frame's ``digest`` in its worker thread instead
    of on first use on the loop's thread. Likewise ``wants_chroma = True`` asks for each
    video frame's 4:2:0 chroma planes (:attr:`VideoFrame.u`, :attr:`VideoFrame.v`), copied
    in the decode worker (about 0.2 ms for 1080p); sinks that do not ask pay nothing.

    Subtitles: a sink may define ``on_text(cue: TextCue) -> None`` (optional, not a protocol
    member, so existing sinks stay valid). The player calls it when a selected text track's
    cue starts, on the loop's thread; the sink shows ``cue.text`` until ``cue.end``.

    Playback rate (live catch-up, docs/live.md): a sink may set ``supports_playback_rate =
    True`` and define ``set_playback_rate(rate: float) -> None`` (optional, not protocol
    members). The player then runs its presentation clock at ``rate`` (within ±5 %) and
    tells the sink, which must play what it is handed at that pace (an audio device would
    resample). A sink without them gets no nudge: latency is caught up by a jump to the
    edge after a stall. A sink paced by an external master clock gets no nudge either.
    """

    wants_pixels: bool

    def on_video(self, frame: VideoFrame) -> bool | None:
        """Show ``frame``; return ``False`` if it could not be shown (counted as dropped)."""
        ...

    def on_audio(self, frame: AudioFrame) -> None: ...

    def on_flush(self, position: float) -> None:
        """A seek: drop anything queued; the next frames start near ``position``."""
        ...

    def on_end(self) -> None: ...


def supports_playback_rate(sink: object) -> bool:
    """Does ``sink`` play at a rate other than 1 (the optional ``supports_playback_rate``)?"""
    return bool(getattr(sink, "supports_playback_rate", False))


def apply_playback_rate(sink: object, rate: float) -> None:
    """Tell ``sink`` the presentation clock now runs at ``rate`` (if it takes a rate)."""
    setter = getattr(sink, "set_playback_rate", None)
    if supports_playback_rate(sink) and callable(setter):
        setter(rate)


class _SdkPaced:
    """A sink that shows each frame when the SDK hands it over and has no clock of its own:
    any playback rate costs it nothing (the SDK's presentation clock sets the pace)."""

    supports_playback_rate = True
    playback_rate = 1.0

    def set_playback_rate(self, rate: float) -> None:
        self.playback_rate = rate


class NullSink(_SdkPaced):
    """Discards everything (benchmarks, audio-only checks)."""

    wants_pixels = False

    def on_video(self, frame: VideoFrame) -> None:
        pass

    def on_audio(self, frame: AudioFrame) -> None:
        pass

    def on_flush(self, position: float) -> None:
        pass

    def on_end(self) -> None:
        pass

    def on_text(self, cue: TextCue) -> None:
        pass


class HashSink(_SdkPaced):
    """Records what was presented: frame digests, counts, times, (given a reader) frame ids
    and the playback rates it was told (``rates``, each change in order).

    ``frame_id_reader`` reads a number stamped in the picture from the luma plane (for
    example ``fake_backend.packager.frame_id.read_frame_id``); the SDK does not import it.
    """

    wants_pixels = False
    wants_digests = True

    def __init__(
        self, frame_id_reader: Callable[[NDArray[np.uint8]], int | None] | None = None
    ) -> None:
        self._reader = frame_id_reader
        self.video_digests: list[str] = []
        self.video_pts: list[float] = []
        self.frame_ids: list[int | None] = []
        self.rungs: list[str] = []
        self.audio_pts: list[float] = []
        self.audio_samples = 0
        self.flushes: list[float] = []
        self.cues: list[TextCue] = []
        self.rates: list[float] = []
        self.ended = False

    @property
    def video_frames(self) -> int:
        return len(self.video_digests)

    @property
    def audio_frames(self) -> int:
        return len(self.audio_pts)

    def on_video(self, frame: VideoFrame) -> None:
        self.video_digests.append(frame.digest)
        self.video_pts.append(frame.pts)
        self.rungs.append(frame.rung)
        if self._reader is not None:
            self.frame_ids.append(self._reader(frame.luma))

    def on_audio(self, frame: AudioFrame) -> None:
        self.audio_pts.append(frame.pts)
        self.audio_samples += frame.samples

    def on_flush(self, position: float) -> None:
        self.flushes.append(position)

    def on_end(self) -> None:
        self.ended = True

    def on_text(self, cue: TextCue) -> None:
        self.cues.append(cue)

    def set_playback_rate(self, rate: float) -> None:
        super().set_playback_rate(rate)
        self.rates.append(rate)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest of everything presented (headless reports compare these)."""
        h = hashlib.sha256("".join(self.video_digests).encode()).hexdigest()
        return {
            "video_frames": self.video_frames,
            "audio_frames": self.audio_frames,
            "audio_samples": self.audio_samples,
            "video_hash": h,
            "ended": self.ended,
        }
