"""RFC 6381 ``codecs`` strings read from what the encoder actually wrote in the init segment.

``avc1.PPCCLL`` comes from the ``avcC`` record (profile, constraint flags, level of the real
SPS); ``mp4a.OO.A`` from the ``esds`` decoder config (object type, audio object type).
"""

from __future__ import annotations

from mediacore.boxes import Box, FieldReader, MalformedBox, find_first

__all__ = ["codec_string"]

_VISUAL_SAMPLE_ENTRY = 78
_AUDIO_SAMPLE_ENTRY = 28


def codec_string(init: bytes) -> str:
    """The codecs string of the single track in ``init`` (avc1/avc3 or mp4a).

    Raises :class:`MalformedBox` when the init lacks what the string needs.
    """
    stsd = find_first(init, "moov/trak/mdia/minf/stbl/stsd")
    if stsd is None:
        raise _missing("init has no stsd")
    entry = next(iter(stsd.children(8)), None)
    if entry is None:
        raise _missing("stsd has no sample entry")
    if entry.type in ("avc1", "avc3"):
        return _avc(entry)
    if entry.type == "mp4a":
        return _mp4a(entry)
    raise _missing(f"no codec string for sample entry {entry.type!r}")


def _missing(message: str) -> MalformedBox:
    return MalformedBox(message, path="moov/trak/mdia/minf/stbl/stsd", offset=0)


def _avc(entry: Box) -> str:
    avcc = entry.child("avcC", _VISUAL_SAMPLE_ENTRY)
    if avcc is None:
        raise _missing(f"{entry.type} has no avcC")
    r = avcc.fields()
    r.u8()  # configurationVersion
    profile, constraints, level = r.u8(), r.u8(), r.u8()
    return f"{entry.type}.{profile:02x}{constraints:02x}{level:02x}"


def _descriptor(r: FieldReader) -> tuple[int, int]:
    """(tag, length) of an MPEG-4 descriptor header (ISO/IEC 14496-1 expandable size)."""
    tag = r.u8()
    length = 0
    for _ in range(4):
        b = r.u8()
        length = (length << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    return tag, length


def _mp4a(entry: Box) -> str:
    esds = entry.child("esds", _AUDIO_SAMPLE_ENTRY)
    if esds is None:
        raise _missing("mp4a has no esds")
    r = esds.fields(4)
    tag, _ = _descriptor(r)
    if tag != 0x03:
        raise _missing(f"esds starts with descriptor tag {tag}, not ES_Descriptor")
    r.u16()  # ES_ID
    flags = r.u8()
    if flags & 0x80:
        r.u16()
    if flags & 0x40:
        r.skip(r.u8())
    if flags & 0x20:
        r.u16()
    tag, _ = _descriptor(r)
    if tag != 0x04:
        raise _missing("ES_Descriptor has no DecoderConfigDescriptor")
    object_type = r.u8()
    r.skip(1 + 3 + 4 + 4)  # streamType, bufferSizeDB, maxBitrate, avgBitrate
    tag, length = _descriptor(r)
    if tag != 0x05 or length < 1:
        return f"mp4a.{object_type:02x}"
    first = r.u8()
    aot = first >> 3
    if aot == 31 and length >= 2:
        aot = 32 + (((first & 0x07) << 3) | (r.u8() >> 5))
    return f"mp4a.{object_type:02x}.{aot}"
