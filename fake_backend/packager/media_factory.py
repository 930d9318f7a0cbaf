"""Encode a synthetic title with PyAV into CMAF-style fMP4 renditions.

Video: the picture is rendered once per frame at the largest rung's size (with the frame-id
band), scaled to every rung and fed to one libx264 encoder per rung. Keyframes are forced at
exactly every segment boundary (GOP = frames per segment, no scene-cut keyframes, the source
frame's picture type reset) and FFmpeg's mp4 muxer cuts one fragment per keyframe, so each
``moof+mdat`` is one segment that starts with an IDR picture, at the same time in every rung.

Audio: a synthetic tone encoded as AAC. Audio frames (1024 samples) do not line up with the
segment grid, and FFmpeg cannot cut audio fragments at chosen packets, so the init comes from
the muxer and the fragments are written here, each starting at the AAC frame nearest to the
segment boundary; the true start and duration are recorded. The encoder's priming packet is
dropped so audio time 0 is the tone's first sample, aligned with video frame 0.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from fake_backend.packager.codecs import codec_string
from fake_backend.packager.errors import EncodeFailed, SegmentationFailed
from fake_backend.packager.fragments import (
    FragmentTiming,
    audio_fragment,
    fragment_timing,
    split_fragmented,
    timescale_of,
    track_defaults,
)
from fake_backend.packager.natural import title_picture
from fake_backend.packager.rendition import EncodedTitle, Rendition, SegmentInfo
from fake_backend.packager.spec import RungSpec, TitleSpec
from fake_backend.packager.tone import ToneSource
from mediacore.errors import ContainerError

__all__ = [
    "AAC_FRAME",
    "VIDEO_MOVFLAGS",
    "encode_audio",
    "encode_title",
    "scaled_frames",
    "video_codec_options",
]

VIDEO_MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof+skip_trailer+cmaf"
"""One fragment per keyframe, an empty moov (init), tfdt/trun relative to each moof."""
AUDIO_MOVFLAGS = "empty_moov+default_base_moof+skip_trailer+cmaf"
AAC_FRAME = 1024
"""Samples per AAC-LC access unit."""


def video_codec_options(spec: TitleSpec, rung: RungSpec) -> dict[str, str]:
    """libx264 options: closed GOP of exactly one segment, no scene-cut keyframes, no B."""
    gop = spec.frames_per_segment
    return {
        "preset": spec.preset,
        "g": str(gop),
        "keyint_min": str(gop),
        "sc_threshold": "0",
        "bf": "0",
        "forced-idr": "1",
        "maxrate": f"{rung.bitrate_kbps * 3 // 2}k",
        "bufsize": f"{rung.bitrate_kbps * 2}k",
    }


def scaled_frames(spec: TitleSpec) -> Callable[[int], dict[str, av.VideoFrame]]:
    """A function frame number -> ready-to-encode frame per rung id (pts and type set).

    Shared by the encoder and the benchmark's raw-encode baseline so both see equal input.
    """
    width, height = spec.source_size
    picture = title_picture(spec)
    gop = spec.frames_per_segment
    # One scaler per rung keeps its swscale context (a frame's own reformat builds a new
    # one every call: ~40% of the scaling time), same pixels.
    scalers = {rung.id: VideoReformatter() for rung in spec.rungs}

    def frames(n: int) -> dict[str, av.VideoFrame]:
        source = picture.render(spec.first_frame_id + n).to_video_frame()
        out = {}
        for rung in spec.rungs:
            if (rung.width, rung.height) == (width, height):
                frame = source
            else:
                frame = scalers[rung.id].reformat(
                    source, width=rung.width, height=rung.height, interpolation="AREA"
                )
            frame.pts = n
            frame.time_base = Fraction(1, spec.fps)
            # Sources may arrive flagged as I pictures (testsrc does): libx264 obeys the
            # flag, so it must be reset off the segment grid or every frame is a fragment.
            frame.pict_type = PictureType.I if n % gop == 0 else PictureType.NONE
            out[rung.id] = frame
        return out

    return frames


class _VideoMuxer:
    """One rung's libx264 encoder feeding an in-memory fragmented-mp4 muxer."""

    def __init__(self, spec: TitleSpec, rung: RungSpec) -> None:
        self.rung = rung
        self.buffer = io.BytesIO()
        try:
            self.container = av.open(
                self.buffer,
                "w",
                format="mp4",
                options={
                    "movflags": VIDEO_MOVFLAGS,
                    "video_track_timescale": str(spec.video_timescale),
                },
            )
            self.stream = self.container.add_stream(
                "libx264", rate=spec.fps, options=video_codec_options(spec, rung)
            )
            self.stream.width = rung.width
            self.stream.height = rung.height
            self.stream.pix_fmt = "yuv420p"
            self.stream.bit_rate = rung.bitrate_kbps * 1000
        except (av.error.FFmpegError, ValueError) as exc:
            raise EncodeFailed(
                f"cannot open encoder: {exc}", rendition=rung.id, stage="open"
            ) from exc

    def encode(self, frame: av.VideoFrame | None) -> None:
        try:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
        except (av.error.FFmpegError, ValueError) as exc:
            raise EncodeFailed(
                f"encode failed: {exc}", rendition=self.rung.id, stage="encode"
            ) from exc

    def finish(self) -> bytes:
        self.encode(None)
        try:
            self.container.close()
        except av.error.FFmpegError as exc:
            raise EncodeFailed(f"mux failed: {exc}", rendition=self.rung.id, stage="mux") from exc
        return self.buffer.getvalue()


def encode_title(spec: TitleSpec) -> EncodedTitle:
    """Encode every rung and the audio of ``spec``; raise a packager error if anything fails."""
    muxers = [_VideoMuxer(spec, rung) for rung in spec.rungs]
    frames = scaled_frames(spec)
    for n in range(spec.frame_count):
        per_rung = frames(n)
        for m in muxers:
            m.encode(per_rung[m.rung.id])
    video = tuple(_video_rendition(spec, m.rung, m.finish()) for m in muxers)
    audio = encode_audio(spec) if spec.audio else None
    return EncodedTitle(spec, video, audio)


def _video_rendition(spec: TitleSpec, rung: RungSpec, data: bytes) -> Rendition:
    try:
        init, segments = split_fragmented(data)
        timescale = timescale_of(init)
        defaults = track_defaults(init)
        timings = [fragment_timing(s, defaults) for s in segments]
        codecs = codec_string(init)
    except ContainerError as exc:
        raise SegmentationFailed(f"bad fMP4 from muxer: {exc}", rendition=rung.id) from exc
    if len(segments) != spec.segment_count:
        raise SegmentationFailed(
            f"{len(segments)} fragments, expected {spec.segment_count}: keyframes off the grid",
            rendition=rung.id,
        )
    ticks_per_frame = Fraction(timescale, spec.fps)
    for k, t in enumerate(timings):
        first = k * spec.frames_per_segment
        frames = min(spec.frames_per_segment, spec.frame_count - first)
        if not t.first_sample_sync or t.sample_count != frames:
            raise SegmentationFailed(
                f"segment {k + 1} has {t.sample_count} samples (expected {frames}), "
                f"sync start {t.first_sample_sync}",
                rendition=rung.id,
                segment=k + 1,
            )
        if t.base_decode_time != first * ticks_per_frame:
            raise SegmentationFailed(
                f"segment {k + 1} starts at tick {t.base_decode_time}, "
                f"expected {first * ticks_per_frame}",
                rendition=rung.id,
                segment=k + 1,
            )
    infos, peak, average = _segment_stats(segments, timings, timescale)
    return Rendition(
        id=rung.id,
        kind="video",
        codecs=codecs,
        timescale=timescale,
        init=init,
        segments=tuple(segments),
        segment_info=infos,
        bandwidth=peak,
        average_bandwidth=average,
        target_bitrate=rung.bitrate_kbps * 1000,
        width=rung.width,
        height=rung.height,
        frame_rate=spec.fps,
    )


def _segment_stats(
    segments: list[bytes], timings: list[FragmentTiming], timescale: int
) -> tuple[tuple[SegmentInfo, ...], int, int]:
    """Segment infos, peak and average bitrate (bits/s) from the segments' own boxes."""
    infos = tuple(
        SegmentInfo(k + 1, t.base_decode_time, t.duration, len(s), timescale)
        for k, (s, t) in enumerate(zip(segments, timings, strict=True))
    )
    peak = max(math.ceil(i.size * 8 / i.duration_s) for i in infos)
    total_s = sum(i.duration for i in infos) / timescale
    average = math.ceil(sum(i.size for i in infos) * 8 / total_s)
    return infos, peak, average


@dataclass(frozen=True)
class _AudioPacket:
    pts: int
    duration: int
    data: bytes


def encode_audio(spec: TitleSpec) -> Rendition:
    """The spec's AAC track alone, on the title's segment grid (extra languages use it)."""
    rid = spec.audio_id
    rate, layout = spec.audio_sample_rate, "stereo" if spec.audio_channels == 2 else "mono"
    buffer = io.BytesIO()
    packets: list[_AudioPacket] = []
    try:
        container = av.open(buffer, "w", format="mp4", options={"movflags": AUDIO_MOVFLAGS})
        stream = container.add_stream("aac", rate=rate, layout=layout)
        stream.bit_rate = spec.audio_bitrate_kbps * 1000
        tone = ToneSource(rate, spec.audio_channels)
        total = round(spec.duration_s * rate)

        def take(frame: av.AudioFrame | None) -> None:
            for p in stream.encode(frame):
                if p.pts is None or p.duration is None:
                    raise EncodeFailed("AAC packet without timing", rendition=rid, stage="encode")
                packets.append(_AudioPacket(p.pts, p.duration, bytes(p)))
                container.mux(p)

        pos = 0
        while pos < total:
            n = min(AAC_FRAME, total - pos)
            frame = av.AudioFrame.from_ndarray(tone.read(n), format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = pos
            frame.time_base = Fraction(1, rate)
            take(frame)
            pos += n
        take(None)
        container.close()
    except (av.error.FFmpegError, ValueError) as exc:
        raise EncodeFailed(f"AAC encode failed: {exc}", rendition=rid, stage="encode") from exc

    try:
        init, _ = split_fragmented(buffer.getvalue())
        timescale = timescale_of(init)
        defaults = track_defaults(init)
        codecs = codec_string(init)
    except ContainerError as exc:
        raise SegmentationFailed(f"bad audio init from muxer: {exc}", rendition=rid) from exc
    if timescale != rate:
        raise SegmentationFailed(f"audio timescale {timescale} != {rate} Hz", rendition=rid)
    # Drop the priming access unit (negative pts): audio time 0 is the tone's first sample.
    media = [p for p in packets if p.pts >= 0]
    for j, p in enumerate(media):
        if p.pts != j * AAC_FRAME:
            raise SegmentationFailed(f"AAC packet {j} at pts {p.pts}: gap", rendition=rid)
    per_segment = spec.segment_duration_s * rate / AAC_FRAME
    bounds = [min(len(media), math.floor(k * per_segment + 0.5)) for k in range(spec.segment_count)]
    bounds.append(len(media))
    segments: list[bytes] = []
    for k in range(spec.segment_count):
        run = media[bounds[k] : bounds[k + 1]]
        if not run:
            continue
        segments.append(
            audio_fragment(
                k + 1,
                defaults.track_id,
                run[0].pts,
                [p.duration for p in run],
                [p.data for p in run],
            )
        )
    timings = [fragment_timing(s, defaults) for s in segments]
    infos, peak, average = _segment_stats(segments, timings, timescale)
    return Rendition(
        id=rid,
        kind="audio",
        codecs=codecs,
        timescale=timescale,
        init=init,
        segments=tuple(segments),
        segment_info=infos,
        bandwidth=peak,
        average_bandwidth=average,
        target_bitrate=spec.audio_bitrate_kbps * 1000,
        sample_rate=rate,
        channels=spec.audio_channels,
        language=spec.audio_language,
    )
