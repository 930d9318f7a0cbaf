"""Sample times of one fMP4 fragment from its boxes alone, without decoding (``decode=False``).

A load test (``PlayerConfig(decode=False)``) still downloads, decrypts and presents on
schedule, but must not pay for PyAV: the frames of a segment and their presentation times
come from the fragment's ``moof/traf`` (``tfhd`` defaults, ``tfdt`` base time, ``trun``
sample durations and composition offsets) and the init's track, read as the decoder reads it
(:mod:`nrdp.media.trackinfo`). Sample sizes and data offsets are not checked: nothing is
read from ``mdat``. Bad boxes raise :class:`~mediacore.boxes.MalformedBox` (a ContainerError); a
fragment with no sample is :class:`~nrdp.errors.DemuxFailed`, as when decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediacore.boxes import Box, find_all, find_first
from nrdp.errors import DemuxFailed
from nrdp.media.trackinfo import edit_offset, sample_defaults, timescale_of, track_id_of

__all__ = ["SampleTime", "segment_samples"]


@dataclass(frozen=True, slots=True)
class SampleTime:
    """One sample's presentation slot (seconds); stands in for a decoded frame."""

    pts: float
    duration: float


@dataclass(frozen=True, slots=True)
class _TrackInfo:
    timescale: int
    default_duration: int
    shift: int  # the edit-list offset, as FFmpeg's mov demuxer applies it


def _tracks(init: bytes) -> dict[int, _TrackInfo]:
    """Every track of the init by id, read as the packet decoder reads it
    (:mod:`nrdp.media.trackinfo`: ``mdhd`` timescale, ``trex`` defaults, edit-list offset)."""
    moov = find_first(init, "moov")
    if moov is None:
        return {}
    mvhd = moov.child("mvhd")
    out: dict[int, _TrackInfo] = {}
    for trak in find_all(moov, "trak"):
        mdhd = find_first(trak, "mdia/mdhd")
        if mdhd is None:
            continue
        timescale = timescale_of(mdhd)
        tid = track_id_of(trak)
        movie = timescale_of(mvhd) if mvhd is not None else timescale
        shift = edit_offset(trak, movie, timescale)
        out[tid] = _TrackInfo(timescale, sample_defaults(init, tid).duration, shift)
    return out


def _traf_samples(traf: Box, tracks: dict[int, _TrackInfo]) -> list[SampleTime]:
    tfhd = traf.child("tfhd")
    if tfhd is None:
        return []
    _, flags = tfhd.full_header()
    r = tfhd.fields(4)
    tid = r.u32()
    info = tracks.get(tid) or (next(iter(tracks.values())) if len(tracks) == 1 else None)
    if info is None:
        return []
    if flags & 0x01:
        r.skip(8)  # base_data_offset
    if flags & 0x02:
        r.skip(4)  # sample_description_index
    default_duration = r.u32() if flags & 0x08 else info.default_duration
    tfdt = traf.child("tfdt")
    t = 0
    if tfdt is not None:
        version, _ = tfdt.full_header()
        rt = tfdt.fields(4)
        t = rt.u64() if version == 1 else rt.u32()
    out: list[SampleTime] = []
    scale = float(info.timescale)
    for trun in traf.children():
        if trun.type != "trun":
            continue
        version, tflags = trun.full_header()
        rr = trun.fields(4)
        count = rr.u32()
        if tflags & 0x01:
            rr.skip(4)  # data_offset
        if tflags & 0x04:
            rr.skip(4)  # first_sample_flags
        for _ in range(count):
            duration = rr.u32() if tflags & 0x100 else default_duration
            if tflags & 0x200:
                rr.skip(4)  # size
            if tflags & 0x400:
                rr.skip(4)  # flags
            cto = 0
            if tflags & 0x800:
                cto = rr.i32() if version == 1 else rr.u32()
            out.append(SampleTime(pts=(t + cto - info.shift) / scale, duration=duration / scale))
            t += duration
    return out


def segment_samples(init: bytes, segment: bytes, *, kind: str, number: int) -> list[SampleTime]:
    """The samples of ``segment`` in presentation order (what decoding it would give)."""
    tracks = _tracks(init)
    samples: list[SampleTime] = []
    for traf in find_all(segment, "moof/traf"):
        samples.extend(_traf_samples(traf, tracks))
    if not samples:
        raise DemuxFailed(track=kind, reason="segment holds no samples", segment=number)
    samples.sort(key=lambda s: s.pts)
    return samples
