"""Decode one clear fMP4 segment from memory by feeding its samples to a decoder as packets.

No demuxer per segment: the init's codec configuration (``avcC``/``esds``, read once by
:func:`~nrdp.media.codecs.track_codec`) sets up a decoder context from a
:class:`~nrdp.media.codecs.DecoderPool`, and :func:`fragment_samples` reads each sample's
position, size, decode time, composition offset and key flag from the segment's ``moof``
(``tfhd``/``tfdt``/``trun`` with the ``trex`` defaults) through :mod:`mediacore.boxes`.
Opening a container per segment (``av.open``) cost about as much as 5 frames of 720p
decoding. Segments start with a key frame, so a quality switch is just a different init;
the context is drained and flushed after each segment, so every segment decodes on its own.

Presentation times follow ISO/IEC 14496-12: ``tfdt`` plus the durations before a sample,
plus its composition offset, less the edit list's offset (as FFmpeg's mov demuxer applies
it). They equal what ``av.open`` gives for every stream whose composition offsets are not
negative; with negative offsets (``trun`` version 1) FFmpeg also adds the largest of them
to every pts of the container, which this decoder does not copy.

Inits whose codec is not fed as packets (anything but H.264, HEVC and AAC) fall back to
``av.open(BytesIO(init + segment))``. The luma plane is a read-only view of the decoded
picture (no copy when it has no row padding) and its digest is computed lazily unless asked
for. Box damage raises :class:`~nrdp.errors.DemuxFailed` and decoder failures
:class:`~nrdp.errors.DecodeFailed`, here, at the boundary.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

from mediacore.boxes import MalformedBox
from mediacore.errors import ContainerError
from mediacore.fmp4 import SAMPLE_IS_NON_SYNC as _NON_SYNC
from mediacore.fmp4 import read_fragments
from nrdp.errors import DecodeFailed, DemuxFailed
from nrdp.media.codecs import DecoderContext, DecoderPool, TrackCodec, track_codec
from nrdp.media.sinks import AudioFrame, VideoFrame

__all__ = ["DecodedSegment", "Sample", "decode_segment", "fragment_samples", "iter_segment"]

# The init's boxes already give the codec, size and frame rate; probing frames for the rate
# again costs ~40% of opening the container (PyAV ``av.open`` runs find_stream_info).
_PROBE = {"fpsprobesize": "0"}

_INT64 = 1 << 63


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample of a fragment: where its bytes are and when it is decoded and shown.

    ``offset`` is relative to the segment's first byte; times are in the track's timescale.
    """

    offset: int
    size: int
    dts: int
    pts: int
    duration: int
    key: bool


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


# ------------------------------------------------------------------------ fragment boxes


def fragment_samples(segment: bytes, track: TrackCodec, *, init_size: int = 0) -> list[Sample]:
    """Every sample of ``track`` in the ``moof`` boxes of ``segment``, in decode order, read
    by the one fMP4 reader (:func:`mediacore.fmp4.read_fragments`).

    Raises :class:`~mediacore.boxes.MalformedBox` when a box is damaged or a sample's bytes
    lie outside the segment's ``mdat``. ``init_size`` resolves explicit ``base_data_offset``
    values, which count from the start of the init segment.
    """
    out: list[Sample] = []
    shift = track.offset
    defaults = {track.track_id: track.defaults}
    for table in read_fragments(segment, defaults, origin=init_size):
        if table.track_id != track.track_id:
            continue
        dts = table.decode_time - shift
        for offset, size, duration, cto, flags in zip(
            table.offsets,
            table.sizes,
            table.durations,
            table.composition_offsets,
            table.flags,
            strict=True,
        ):
            out.append(Sample(offset, size, dts, dts + cto, duration, not flags & _NON_SYNC))
            dts += duration
        ctos = table.composition_offsets or (0,)
        low = table.decode_time - shift + min(0, *ctos)
        high = table.decode_end - shift + max(0, *ctos)
        if not -_INT64 <= low <= high < _INT64:
            raise MalformedBox("sample time outside int64", path=table.traf.path, offset=0)
    return out


# ------------------------------------------------------------------------------- frames


def _luma(frame: av.VideoFrame, index: int = 0) -> np.ndarray:
    """Plane ``index`` of an 8-bit planar picture as a read-only array without row padding
    (0: luma, full size; 1, 2: 4:2:0 chroma, half size rounded up)."""
    plane = frame.planes[index]
    h, w = (frame.height, frame.width) if index == 0 else (plane.height, plane.width)
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(h, plane.line_size)
    out = np.ascontiguousarray(rows[:, :w])
    out.setflags(write=False)
    return out


_YUV420 = frozenset({"yuv420p", "yuvj420p"})


def _chroma(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray]:
    """The U and V planes, 4:2:0; a picture in another layout (4:2:2, 4:4:4, 10-bit, NV12)
    is converted to ``yuv420p`` first."""
    if frame.format.name not in _YUV420:
        frame = frame.reformat(format="yuv420p")
    return _luma(frame, 1), _luma(frame, 2)


def _video(
    frame: av.VideoFrame,
    rung: str,
    number: int,
    pixels: bool,
    digests: bool,
    pts: float,
    duration: float,
    chroma: bool = False,
) -> VideoFrame:
    rgb: np.ndarray | None = None
    if pixels:
        rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
        rgb.setflags(write=False)
    u = v = None
    if chroma:
        u, v = _chroma(frame)
    out = VideoFrame(
        pts=pts,
        duration=duration,
        width=frame.width,
        height=frame.height,
        rung=rung,
        segment=number,
        luma=_luma(frame),
        rgb=rgb,
        u=u,
        v=v,
    )
    if digests:
        _ = out.digest  # computed here, in the worker, instead of on the loop's thread
    return out


def _audio(frame: av.AudioFrame, number: int, pcm: bool, pts: float) -> AudioFrame:
    arr = frame.to_ndarray()
    digest = hashlib.sha1(arr.tobytes(), usedforsecurity=False).hexdigest()[:24]
    if pcm:
        arr.setflags(write=False)
    rate = frame.sample_rate or 1
    return AudioFrame(
        pts=pts,
        duration=frame.samples / rate,
        sample_rate=rate,
        samples=frame.samples,
        channels=len(frame.layout.channels),
        segment=number,
        digest=digest,
        pcm=arr if pcm else None,
    )


def _decode_packets(
    ctx: DecoderContext, segment: bytes, samples: list[Sample], track: TrackCodec
) -> Iterator[av.VideoFrame | av.AudioFrame]:
    """Every frame of ``samples``, then the drained rest; the context is flushed after."""
    view = memoryview(segment)
    tb = track.time_base
    for s in samples:
        if not s.size:
            continue
        packet = av.Packet(view[s.offset : s.offset + s.size])
        packet.pts = s.pts
        packet.dts = s.dts
        packet.duration = s.duration
        packet.time_base = tb
        packet.is_keyframe = s.key
        yield from ctx.decode(packet)
    yield from ctx.decode(None)
    ctx.flush_buffers()


def _fed_frames(
    track: TrackCodec,
    init_size: int,
    segment: bytes,
    kind: str,
    number: int,
    rung: str,
    pixels: bool,
    digests: bool,
    decoders: DecoderPool | None,
    chroma: bool = False,
) -> Iterator[VideoFrame | AudioFrame]:
    """The frames of ``segment`` as the decoder gives them; the context goes back to the
    pool only once the segment is fully decoded (a generator left early drops it)."""
    try:
        samples = fragment_samples(segment, track, init_size=init_size)
    except ContainerError as exc:
        raise DemuxFailed(track=kind, reason=str(exc), segment=number) from exc
    if not any(s.size for s in samples):
        raise DemuxFailed(track=kind, reason="segment holds no samples", segment=number)
    # AAC contexts are never reused: a flushed one still remembers the last frame's window
    # shape, so the next segment's first frame would differ from a fresh decoder's.
    pool = decoders if decoders is not None and kind == "video" else DecoderPool(per_key=0)
    codec = track.codec
    try:
        ctx = pool.take(codec, track.extradata)
    except (av.FFmpegError, ValueError) as exc:
        raise DecodeFailed(codec=codec, reason=type(exc).__name__, segment=number) from exc
    scale = float(track.timescale)
    durations = {s.pts: s.duration for s in samples}
    fallback = track.defaults.duration
    count = 0
    frames = _decode_packets(ctx, segment, samples, track)
    while True:
        try:
            frame = next(frames, None)
        except (av.FFmpegError, ValueError, OverflowError) as exc:
            raise DecodeFailed(codec=codec, reason=type(exc).__name__, segment=number) from exc
        if frame is None:
            break
        count += 1
        pts = frame.pts / scale if frame.pts is not None else 0.0
        if isinstance(frame, av.VideoFrame):
            ticks = frame.duration or durations.get(frame.pts or 0, fallback)
            yield _video(frame, rung, number, pixels, digests, pts, ticks / scale, chroma)
        else:
            yield _audio(frame, number, pixels, pts)
    pool.give(codec, track.extradata, ctx)  # drained and flushed: ready for a new segment
    if not count:
        raise DecodeFailed(codec=codec, reason="no frame from any packet", segment=number)


# ------------------------------------------------------------------ demuxer (fallback)


def _demuxed(
    container: av.container.InputContainer, stream: av.stream.Stream, packets: list[int]
) -> Iterator[av.VideoFrame | av.AudioFrame]:
    """Every frame of ``stream``; ``packets[0]`` counts the non-empty packets demuxed."""
    for packet in container.demux(stream):
        if packet.size:
            packets[0] += 1
        yield from packet.decode()  # type: ignore[misc]


def _decode_demuxed(
    init: bytes,
    segment: bytes,
    kind: str,
    number: int,
    rung: str,
    pixels: bool,
    digests: bool,
    chroma: bool = False,
) -> DecodedSegment:
    """``av.open(BytesIO(init + segment))`` for codecs :func:`track_codec` does not feed
    (the stream's own decoder; no pooled context: a standalone one loses reordered pts)."""
    try:
        container = av.open(
            io.BytesIO(init + segment),
            mode="r",
            format="mp4",
            options=_PROBE,
            metadata_errors="replace",  # a damaged udta must not raise UnicodeDecodeError
        )
    except (av.FFmpegError, ValueError) as exc:
        raise DemuxFailed(track=kind, reason=type(exc).__name__, segment=number) from exc
    video: list[VideoFrame] = []
    audio: list[AudioFrame] = []
    with container:
        streams = container.streams.video if kind == "video" else container.streams.audio
        if not streams:
            raise DemuxFailed(track=kind, reason=f"no {kind} stream", segment=number)
        stream = streams[0]
        if stream.codec_context is None:
            raise DecodeFailed(codec="unknown", reason="no decoder for the stream", segment=number)
        stream.codec_context.options = {"err_detect": "explode"}
        codec = stream.codec_context.name
        fps = float(stream.average_rate) if kind == "video" and stream.average_rate else 0.0
        packets = [0]
        try:
            for frame in _demuxed(container, stream, packets):
                pts = float(frame.time) if frame.time is not None else 0.0
                if isinstance(frame, av.VideoFrame):
                    tb = frame.time_base
                    dur = float(frame.duration * tb) if frame.duration and tb else 0.0
                    dur = dur or (1.0 / fps if fps else 0.0)
                    video.append(_video(frame, rung, number, pixels, digests, pts, dur, chroma))
                elif isinstance(frame, av.AudioFrame):
                    audio.append(_audio(frame, number, pixels, pts))
        except av.FFmpegError as exc:
            raise DecodeFailed(codec=codec, reason=type(exc).__name__, segment=number) from exc
        if not packets[0]:
            raise DemuxFailed(track=kind, reason="segment holds no samples", segment=number)
        if not (video or audio):
            raise DecodeFailed(codec=codec, reason="no frame from any packet", segment=number)
    video.sort(key=lambda f: f.pts)
    return DecodedSegment(kind=kind, number=number, video=tuple(video), audio=tuple(audio))


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
    chroma: bool = False,
) -> DecodedSegment:
    """Decode every frame of ``segment`` (clear) with ``init``; blocking and CPU-bound.

    ``digests`` computes each video frame's digest now (else on first use); ``decoders``
    lends a reusable video decoder context (else a fresh one serves this segment only);
    ``chroma`` fills each video frame's ``u`` and ``v`` planes (4:2:0; else ``None``).
    """
    frames = iter_segment(
        init,
        segment,
        kind=kind,
        number=number,
        rung=rung,
        pixels=pixels,
        digests=digests,
        decoders=decoders,
        chroma=chroma,
    )
    video: list[VideoFrame] = []
    audio: list[AudioFrame] = []
    for frame in frames:
        (video if isinstance(frame, VideoFrame) else audio).append(frame)  # type: ignore[arg-type]
    video.sort(key=lambda f: f.pts)
    return DecodedSegment(kind=kind, number=number, video=tuple(video), audio=tuple(audio))


def iter_segment(
    init: bytes,
    segment: bytes,
    *,
    kind: str,
    number: int,
    rung: str = "",
    pixels: bool = False,
    digests: bool = False,
    decoders: DecoderPool | None = None,
    chroma: bool = False,
) -> Iterator[VideoFrame | AudioFrame]:
    """:func:`decode_segment` frame by frame, each as soon as the decoder gives it (in
    presentation order for any conforming stream), so a caller can show the first picture
    of a segment before the rest is decoded. Same arguments and typed errors."""
    init = bytes(init)
    segment = bytes(segment)
    try:
        track = track_codec(init, kind)
    except ContainerError as exc:
        raise DemuxFailed(track=kind, reason=str(exc), segment=number) from exc
    if track is None:
        done = _decode_demuxed(init, segment, kind, number, rung, pixels, digests, chroma)
        return iter((*done.video, *done.audio))
    return _fed_frames(
        track, len(init), segment, kind, number, rung, pixels, digests, decoders, chroma
    )
