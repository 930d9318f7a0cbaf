"""What an init segment's ``moov`` says about a track's timing, read with the one box reader.

Pure (no PyAV): the packet decoder (:mod:`nrdp.media.codecs`) and the decode-off sample
timer (:mod:`nrdp.media.samples`) read tracks the same way, edit lists included.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediacore.boxes import Box, MalformedBox, find_all, find_first

__all__ = [
    "SampleDefaults",
    "edit_offset",
    "handler_of",
    "sample_defaults",
    "timescale_of",
    "track_id_of",
]


@dataclass(frozen=True)
class SampleDefaults:
    """The ``trex`` defaults a fragment's ``tfhd``/``trun`` fall back on."""

    duration: int = 0
    size: int = 0
    flags: int = 0


def handler_of(trak: Box) -> str:
    hdlr = find_first(trak, "mdia/hdlr")
    if hdlr is None:
        return ""
    r = hdlr.fields(8)  # version/flags, pre_defined
    return r.fourcc()


def timescale_of(box: Box) -> int:
    """The timescale of an ``mvhd`` or ``mdhd`` (same layout up to it)."""
    version, _ = box.full_header()
    r = box.fields(4)
    r.skip(16 if version == 1 else 8)
    scale = r.u32()
    if not scale:
        raise MalformedBox("timescale 0", path=box.path, offset=box.offset)
    return scale


def track_id_of(trak: Box) -> int:
    tkhd = trak.child("tkhd")
    if tkhd is None:
        raise MalformedBox("trak has no tkhd", path=trak.path, offset=trak.offset)
    version, _ = tkhd.full_header()
    r = tkhd.fields(4)
    r.skip(16 if version == 1 else 8)
    return r.u32()


def sample_defaults(init: bytes, track_id: int) -> SampleDefaults:
    for trex in find_all(init, "moov/mvex/trex"):
        r = trex.fields(4)
        if r.u32() == track_id:
            r.u32()  # default_sample_description_index
            return SampleDefaults(r.u32(), r.u32(), r.u32())
    return SampleDefaults()


def edit_offset(trak: Box, movie_timescale: int, timescale: int) -> int:
    """FFmpeg's ``time_offset``: ``media_time`` of the first edit, less a leading empty edit
    (rescaled from the movie's timescale to the track's, rounded to nearest)."""
    elst = find_first(trak, "edts/elst")
    if elst is None:
        return 0
    version, _ = elst.full_header()
    r = elst.fields(4)
    empty, start, first = 0, 0, 0
    for i in range(r.u32()):
        duration = r.u64() if version == 1 else r.u32()
        raw = r.u64() if version == 1 else r.u32()
        bits = 64 if version == 1 else 32
        media_time = raw - (1 << bits) if raw >> (bits - 1) else raw
        r.skip(4)  # media_rate
        if i == 0 and media_time == -1:
            empty, first = duration, 1
        elif i == first and media_time >= 0:
            start = media_time
    return start - (empty * timescale + movie_timescale // 2) // movie_timescale
