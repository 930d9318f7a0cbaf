"""PyAV demux + decode of one clear fMP4 segment from memory (blocking: run it in a thread).

Every media segment is decoded together with its representation's init segment, as
``av.open(BytesIO(init + segment))`` (PyAV ``tests/test_python_io.py``): segments start with a
key frame, so a quality switch is just a different init, with no decoder state to carry over
and no glitch. Times come from the fragment's ``tfdt``, so audio and video keep their
presentation timestamps across switches. Video packets go to a decoder context from a
:class:`~nrdp.media.codecs.DecoderPool` when one is given (drained and flushed at the end of
each segment, so every segment still decodes on its own), which recycles frame buffers across
segments. The luma plane is a read-only view of the decoded picture (no copy when it has no
row padding) and its digest is computed lazily unless asked for. FFmpeg failures become
:class:`~nrdp.errors.DemuxFailed` / :class:`~nrdp.errors.DecodeFailed` here, at the boundary.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
from av.video.codeccontext import VideoCodecContext

from nrdp.errors import DecodeFailed, DemuxFailed
from nrdp.media.codecs import DecoderPool
from nrdp.media.sinks import AudioFrame, VideoFrame

__all__ = ["DecodedSegment", "decode_segment"]

# The init's boxes already give the codec, size and frame rate; probing frames for the rate
# again costs ~40% of opening the container (PyAV ``av.open`` runs find_stream_info).
_PROBE = {"fpsprobesize": "0"}


@dataclass(frozen=True)
class DecodedSegment:
    """The frames of one segment, in presentation order."""

    kind: str
    number: int
    video: tuple[VideoFrame, ...] = ()
    audio: tuple[AudioFrame, ...] = ()

    @property
    def frames(self) -> int:
        return len(self.video) + len(self.audio)


def _luma(frame: av.VideoFrame) -> np.ndarray:
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
    out = np.ascontiguousarray(rows[:, : frame.width])
    out.setflags(write=False)
    return out


def _video(
    frame: av.VideoFrame, rung: str, number: int, pixels: bool, digests: bool, fps: float
) -> VideoFrame:
    luma = _luma(frame)
    rgb: np.ndarray | None = None
    if pixels:
        rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
        rgb.setflags(write=False)
    pts = float(frame.time) if frame.time is not None else 0.0
    dur = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
    out = VideoFrame(
        pts=pts,
        duration=dur or (1.0 / fps if fps else 0.0),
        width=frame.width,
        height=frame.height,
        rung=rung,
        segment=number,
        luma=luma,
        rgb=rgb,
    )
    if digests:
        _ = out.digest  # computed here, in the worker, instead of on the loop's thread
    return out


def _audio(frame: av.AudioFrame, number: int, pcm: bool) -> AudioFrame:
    arr = frame.to_ndarray()
    digest = hashlib.sha1(arr.tobytes(), usedforsecurity=False).hexdigest()[:24]
    if pcm:
        arr.setflags(write=False)
    rate = frame.sample_rate or 1
    return AudioFrame(
        pts=float(frame.time) if frame.time is not None else 0.0,
        duration=frame.samples / rate,
        sample_rate=rate,
        samples=frame.samples,
        channels=len(frame.layout.channels),
        segment=number,
        digest=digest,
        pcm=arr if pcm else None,
    )


def _frames(
    container: av.container.InputContainer,
    stream: av.stream.Stream,
    ctx: VideoCodecContext | None,
    packets: list[int],
) -> Iterator[av.VideoFrame | av.AudioFrame]:
    """Every frame of ``stream``; with ``ctx``, decoded there, drained and flushed at the end.

    ``packets[0]`` counts the non-empty packets demuxed.
    """
    for packet in container.demux(stream):
        if packet.size:
            packets[0] += 1
        if ctx is None:
            yield from packet.decode()  # type: ignore[misc]
        elif packet.size:
            yield from ctx.decode(packet)
    if ctx is not None:
        yield from ctx.decode(None)
        ctx.flush_buffers()


def decode_segment(
    init: bytes,
    segment: bytes,
    *,
    kind: str,
    number: int,
    rung: str = "",
    pixels: bool = False,
    digests: bool = False,
    decoders: DecoderPool | None = None,
) -> DecodedSegment:
    """Decode every frame of ``segment`` (clear) with ``init``; blocking and CPU-bound.

    ``digests`` computes each video frame's digest now (else on first use); ``decoders``
    lends a reusable video decoder context (else the container's own is used).
    """
    try:
        container = av.open(io.BytesIO(init + segment), mode="r", format="mp4", options=_PROBE)
    except av.FFmpegError as exc:
        raise DemuxFailed(track=kind, reason=type(exc).__name__, segment=number) from exc
    video: list[VideoFrame] = []
    audio: list[AudioFrame] = []
    with container:
        streams = container.streams.video if kind == "video" else container.streams.audio
        if not streams:
            raise DemuxFailed(track=kind, reason=f"no {kind} stream", segment=number)
        stream = streams[0]
        # Fail loudly on damaged data instead of concealing it: a wrong content key gives
        # well-formed containers of garbage samples, which must surface as DecodeFailed.
        stream.codec_context.options = {"err_detect": "explode"}
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        fps = float(stream.average_rate) if kind == "video" and stream.average_rate else 0.0
        extradata = stream.codec_context.extradata if stream.codec_context else None
        ctx = decoders.take(codec, extradata) if decoders is not None and kind == "video" else None
        packets = [0]
        try:
            for frame in _frames(container, stream, ctx, packets):
                if isinstance(frame, av.VideoFrame):
                    video.append(_video(frame, rung, number, pixels, digests, fps))
                elif isinstance(frame, av.AudioFrame):
                    audio.append(_audio(frame, number, pixels))
        except av.FFmpegError as exc:
            raise DecodeFailed(codec=codec, reason=type(exc).__name__, segment=number) from exc
        if ctx is not None and decoders is not None:
            decoders.give(codec, extradata, ctx)  # drained and flushed: ready for a new segment
        if not packets[0]:
            raise DemuxFailed(track=kind, reason="segment holds no samples", segment=number)
        if not (video or audio):
            raise DecodeFailed(codec=codec, reason="no frame from any packet", segment=number)
    video.sort(key=lambda f: f.pts)
    return DecodedSegment(kind=kind, number=number, video=tuple(video), audio=tuple(audio))
