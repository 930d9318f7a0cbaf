"""Fragmented MP4 in and out: split a muxed fMP4 into init + media segments, read a
fragment's timing, and write an audio fragment from encoded packets.

Reading goes through :mod:`mediacore.boxes` (the one box reader) and a fragment's samples
through :mod:`mediacore.fmp4` (the one fMP4 reader). Structural problems
raise :class:`mediacore.boxes.MalformedBox` (the container error), which the media factory
wraps into a packager error naming the rendition.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from mediacore import fmp4
from mediacore.boxes import Box, MalformedBox, box, find_first, full_box, iter_boxes

__all__ = [
    "SAMPLE_IS_NON_SYNC",
    "FragmentTiming",
    "TrackDefaults",
    "audio_fragment",
    "fragment_timing",
    "split_fragmented",
    "styp",
    "timescale_of",
    "track_defaults",
]

SAMPLE_IS_NON_SYNC = 0x0001_0000
"""``sample_is_non_sync_sample`` bit of ISO-BMFF sample flags."""
_SYNC_FLAGS = 0x0200_0000
"""``sample_depends_on = 2`` (an I picture / independent audio frame), sync."""

_TFHD_BASE_DATA_OFFSET = 0x01
_TFHD_SAMPLE_DESCRIPTION = 0x02
_TFHD_DEFAULT_DURATION = 0x08
_TFHD_DEFAULT_SIZE = 0x10
_TFHD_DEFAULT_FLAGS = 0x20
_TFHD_DEFAULT_BASE_IS_MOOF = 0x02_0000
_TRUN_DATA_OFFSET = 0x01
_TRUN_FIRST_FLAGS = 0x04
_TRUN_DURATION = 0x100
_TRUN_SIZE = 0x200
_TRUN_FLAGS = 0x400
_TRUN_CTO = 0x800


@dataclass(frozen=True)
class TrackDefaults:
    """The ``trex`` defaults a fragment falls back on."""

    track_id: int
    duration: int
    size: int
    flags: int


@dataclass(frozen=True)
class FragmentTiming:
    """Timing of one media segment, in its track's timescale."""

    base_decode_time: int
    duration: int
    sample_count: int
    first_sample_sync: bool
    sample_sizes: tuple[int, ...]


def timescale_of(init: bytes) -> int:
    """The media timescale (``mdhd``) of the single track in an init segment."""
    mdhd = find_first(init, "moov/trak/mdia/mdhd")
    if mdhd is None:
        raise MalformedBox("init has no moov/trak/mdia/mdhd", path="moov", offset=0)
    version, _ = mdhd.full_header()
    r = mdhd.fields(4)
    r.skip(16 if version == 1 else 8)
    return r.u32()


def track_defaults(init: bytes) -> TrackDefaults:
    trex = find_first(init, "moov/mvex/trex")
    if trex is None:
        raise MalformedBox("init has no moov/mvex/trex: not fragmented", path="moov", offset=0)
    r = trex.fields(4)
    track_id = r.u32()
    r.u32()  # default_sample_description_index
    return TrackDefaults(track_id, r.u32(), r.u32(), r.u32())


def split_fragmented(data: bytes) -> tuple[bytes, list[bytes]]:
    """Split a muxed fMP4 into its init (``ftyp+moov``) and one segment per ``moof+mdat``.

    Each segment gets a leading ``styp``. Trailing index boxes (``mfra``) and ``free`` boxes
    are dropped; anything else unexpected raises.
    """
    init = bytearray()
    segments: list[bytes] = []
    pending_moof: Box | None = None
    for b in iter_boxes(data):
        if b.type in ("ftyp", "moov"):
            if segments or pending_moof is not None:
                raise MalformedBox(
                    f"{b.type} after the first fragment", path=b.type, offset=b.offset
                )
            init += b.raw()
        elif b.type == "moof":
            if pending_moof is not None:
                raise MalformedBox("moof without its mdat", path="moof", offset=b.offset)
            pending_moof = b
        elif b.type == "mdat":
            if pending_moof is None:
                raise MalformedBox("mdat without a moof", path="mdat", offset=b.offset)
            segments.append(styp() + bytes(data[pending_moof.offset : b.end]))
            pending_moof = None
        elif b.type in ("mfra", "free", "skip", "sidx"):
            continue
        else:
            raise MalformedBox(f"unexpected top-level box {b.type!r}", path=b.type, offset=b.offset)
    if pending_moof is not None:
        raise MalformedBox("the last moof has no mdat", path="moof", offset=len(data))
    if find_first(bytes(init), "moov/mvex") is None:
        raise MalformedBox("init has no moov/mvex: not fragmented", path="moov", offset=0)
    return bytes(init), segments


def fragment_timing(segment: bytes, defaults: TrackDefaults) -> FragmentTiming:
    """Decode time, duration, sample sizes and first-sample sync of a one-track segment,
    from its sample table as the one fMP4 reader gives it (:mod:`mediacore.fmp4`)."""
    trex = fmp4.TrackDefaults(defaults.duration, defaults.size, defaults.flags)
    tables = fmp4.read_fragments(segment, {0: trex})
    if not tables:
        raise MalformedBox("segment has no moof/traf", path="moof", offset=0)
    t = tables[0]
    if t.traf.child("tfdt") is None or not t.run_starts:
        raise MalformedBox("traf lacks tfhd, tfdt or trun", path=t.traf.path, offset=0)
    first_sync = bool(len(t)) and t.is_sync(0)
    return FragmentTiming(t.decode_time, sum(t.durations), len(t), first_sync, t.sizes)


def styp() -> bytes:
    """The DASH media segment type box (ISO/IEC 23009-1 6.3.4.2)."""
    return box("styp", b"msdh", struct.pack(">I", 0), b"msdh", b"msix")


def audio_fragment(
    sequence_number: int,
    track_id: int,
    base_decode_time: int,
    durations: Sequence[int],
    payloads: Sequence[bytes],
) -> bytes:
    """``styp + moof + mdat`` for a run of independently decodable (audio) samples."""
    if len(durations) != len(payloads) or not payloads:
        raise ValueError("a fragment needs one duration per sample and at least one sample")
    mfhd = full_box("mfhd", 0, 0, struct.pack(">I", sequence_number))
    tfhd = full_box(
        "tfhd",
        0,
        _TFHD_DEFAULT_BASE_IS_MOOF | _TFHD_DEFAULT_FLAGS,
        struct.pack(">II", track_id, _SYNC_FLAGS),
    )
    tfdt = full_box("tfdt", 1, 0, struct.pack(">Q", base_decode_time))
    entries = b"".join(
        struct.pack(">II", d, len(p)) for d, p in zip(durations, payloads, strict=True)
    )

    def build(data_offset: int) -> bytes:
        trun = full_box(
            "trun",
            0,
            _TRUN_DATA_OFFSET | _TRUN_DURATION | _TRUN_SIZE,
            struct.pack(">Ii", len(payloads), data_offset),
            entries,
        )
        return box("moof", mfhd, box("traf", tfhd, tfdt, trun))

    moof_size = len(build(0))
    moof = build(moof_size + 8)
    return styp() + moof + box("mdat", *payloads)
