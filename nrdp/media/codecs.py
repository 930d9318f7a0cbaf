"""What a decoder needs from an init segment, and reusable decoder contexts.

:func:`track_codec` reads a clear init segment's ``moov`` once (through
:mod:`mediacore.boxes`, the one box reader): the FFmpeg decoder name, its extradata (the
``avcC``/``hvcC`` record, or the AAC AudioSpecificConfig from ``esds``), the track's
timescale, ``trex`` defaults and edit-list offset. Media segments are then fed to a decoder
as packets built from their ``moof`` (:mod:`nrdp.media.decoder`), with no demuxer per segment.

:class:`DecoderPool` keeps decoder contexts per (codec, extradata). Opening an H.264 decoder
per segment is cheap, but its frame-buffer pool dies with it: every segment's pictures then
land in freshly mapped memory and the page faults cost about as much as decoding. A context
kept per representation (drained and flushed after each segment, so no state leaks from one
segment into the next) recycles its buffers once the previous segment's frames are gone.
Contexts are taken and given back, so two threads never share one. A context's buffer pool
keeps about a segment's worth of pictures, so only the renditions used most recently
(``max_keys``) keep idle contexts: an ABR ladder does not pile up memory.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from mediacore.boxes import Box, FieldReader, MalformedBox, find_all, find_first
from nrdp.media.trackinfo import (
    SampleDefaults,
    edit_offset,
    handler_of,
    sample_defaults,
    timescale_of,
    track_id_of,
)

__all__ = ["DecoderContext", "DecoderPool", "SampleDefaults", "TrackCodec", "track_codec"]

DecoderContext = VideoCodecContext | AudioCodecContext

_VIDEO_ENTRIES = {"avc1": ("h264", "avcC"), "avc3": ("h264", "avcC")}
_VIDEO_ENTRIES |= {"hvc1": ("hevc", "hvcC"), "hev1": ("hevc", "hvcC")}
_AAC_OBJECT_TYPES = frozenset({0x40, 0x66, 0x67, 0x68})  # MPEG-4 audio, MPEG-2 AAC profiles
_VISUAL_ENTRY_FIELDS = 78  # SampleEntry (8) + VisualSampleEntry fields before child boxes
_AUDIO_ENTRY_FIELDS = {0: 28, 1: 44, 2: 64}  # AudioSampleEntry by (QuickTime) version


@dataclass(frozen=True)
class TrackCodec:
    """One track of an init segment, as the packet decoder needs it.

    ``offset`` is subtracted from every decode time (``tfdt``), as FFmpeg's mov demuxer does
    with an edit list: the first non-empty edit's ``media_time`` minus a leading empty edit.
    """

    kind: str  # "video" | "audio"
    codec: str  # FFmpeg decoder name
    extradata: bytes
    track_id: int
    timescale: int
    defaults: SampleDefaults
    offset: int = 0

    @functools.cached_property
    def time_base(self) -> Fraction:
        return Fraction(1, self.timescale)


def _descriptor(r: FieldReader) -> tuple[int, int]:
    """An MPEG-4 descriptor header (ISO/IEC 14496-1 8.3.3): tag and payload size."""
    tag, size = r.u8(), 0
    for _ in range(4):
        b = r.u8()
        size = (size << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    return tag, size


def _aac_config(esds: Box) -> bytes | None:
    """The AudioSpecificConfig of an AAC ``esds``; ``None`` for another object type."""
    r = esds.fields(4)
    tag, _ = _descriptor(r)
    if tag != 0x03:
        raise MalformedBox("esds without an ES_Descriptor", path=esds.path, offset=esds.offset)
    r.u16()  # ES_ID
    flags = r.u8()
    if flags & 0x80:
        r.u16()  # dependsOn_ES_ID
    if flags & 0x40:
        r.skip(r.u8())  # URL
    if flags & 0x20:
        r.u16()  # OCR_ES_Id
    tag, _ = _descriptor(r)
    if tag != 0x04:
        raise MalformedBox("esds without a DecoderConfig", path=esds.path, offset=esds.offset)
    if r.u8() not in _AAC_OBJECT_TYPES:
        return None
    r.skip(12)  # streamType, bufferSizeDB, maxBitrate, avgBitrate
    if not r.remaining:
        return b""
    tag, size = _descriptor(r)
    return r.bytes(size) if tag == 0x05 else b""


def _sample_entry(trak: Box, kind: str) -> tuple[str, bytes] | None:
    stsd = find_first(trak, "mdia/minf/stbl/stsd")
    if stsd is None:
        raise MalformedBox("trak has no stsd", path=trak.path, offset=trak.offset)
    entry = next(stsd.children(8), None)
    if entry is None:
        raise MalformedBox("stsd has no sample entry", path=stsd.path, offset=stsd.offset)
    if kind == "video":
        known = _VIDEO_ENTRIES.get(entry.type)
        if known is None:
            return None
        config = entry.child(known[1], _VISUAL_ENTRY_FIELDS)
        if config is None:
            raise MalformedBox(f"no {known[1]}", path=entry.path, offset=entry.offset)
        return known[0], bytes(config.payload)
    if entry.type != "mp4a":
        return None
    r = entry.fields(8)
    skip = _AUDIO_ENTRY_FIELDS.get(r.u16())
    esds = entry.child("esds", skip) if skip is not None else None
    asc = _aac_config(esds) if esds is not None else None
    return ("aac", asc) if asc is not None else None


@functools.lru_cache(maxsize=32)
def track_codec(init: bytes, kind: str) -> TrackCodec | None:
    """The first ``kind`` track of a clear init; ``None`` for a codec not fed as packets.

    Raises :class:`~mediacore.boxes.MalformedBox` when the ``moov`` is damaged. Cached: a
    representation's init is the same ``bytes`` object for every segment.
    """
    handler = "vide" if kind == "video" else "soun"
    moov = find_first(init, "moov")
    if moov is None:
        raise MalformedBox("init has no moov", path="", offset=0)
    mvhd = moov.child("mvhd")
    for trak in find_all(moov, "trak"):
        if handler_of(trak) != handler:
            continue
        mdhd = find_first(trak, "mdia/mdhd")
        if mdhd is None:
            raise MalformedBox("trak has no mdhd", path=trak.path, offset=trak.offset)
        entry = _sample_entry(trak, kind)
        if entry is None:
            return None
        timescale = timescale_of(mdhd)
        track_id = track_id_of(trak)
        movie = timescale_of(mvhd) if mvhd is not None else timescale
        return TrackCodec(
            kind=kind,
            codec=entry[0],
            extradata=entry[1],
            track_id=track_id,
            timescale=timescale,
            defaults=sample_defaults(init, track_id),
            offset=edit_offset(trak, movie, timescale),
        )
    raise MalformedBox(f"init has no {kind} track", path="moov", offset=moov.offset)


class DecoderPool:
    """Idle decoder contexts keyed by codec name and extradata (the init's ``avcC``)."""

    def __init__(self, *, per_key: int = 2, max_keys: int = 2) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, bytes], list[DecoderContext]] = {}  # oldest key first
        self._per_key = per_key
        self._max_keys = max_keys
        self.created = 0

    def take(self, name: str, extradata: bytes | None) -> DecoderContext:
        """An idle context for this stream, or a new one (``err_detect=explode``)."""
        key = (name, extradata or b"")
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
            self.created += 1
        ctx = cast(DecoderContext, av.CodecContext.create(name, "r"))
        if extradata:
            ctx.extradata = extradata
        # Fail loudly on damaged data instead of concealing it: a wrong content key gives
        # well-formed containers of garbage samples, which must surface as DecodeFailed.
        ctx.options = {"err_detect": "explode"}
        return ctx

    def give(self, name: str, extradata: bytes | None, ctx: DecoderContext) -> None:
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
