"""Move a rendition along the media timeline: every ``tfdt`` plus a constant.

A Period cut out of a longer stream (or a re-used ad) starts at a media time other than 0;
the MPD then says where with ``presentationTimeOffset``. The packager makes such titles by
shifting the encoded fragments' decode times before protection (``tfdt`` is outside the
encrypted bytes, and its size does not change, so no other offset moves).
"""

from __future__ import annotations

import struct
from dataclasses import replace

from fake_backend.packager.rendition import EncodedTitle, Rendition
from mediacore.boxes import MalformedBox, find_first

__all__ = ["shift_decode_time", "shifted_rendition", "shifted_title"]


def shift_decode_time(segment: bytes, ticks: int) -> bytes:
    """``segment`` with its ``tfdt`` baseMediaDecodeTime plus ``ticks``."""
    buf = bytearray(segment)
    tfdt = find_first(buf, "moof/traf/tfdt")
    if tfdt is None:
        raise MalformedBox("fragment has no moof/traf/tfdt", path="moof", offset=0)
    version, _ = tfdt.full_header()
    at = tfdt.payload_offset + 4
    fmt = ">Q" if version == 1 else ">I"
    (old,) = struct.unpack_from(fmt, buf, at)
    new = old + ticks
    if not 0 <= new < 1 << (64 if version == 1 else 32):
        raise ValueError(f"decode time {new} does not fit a version-{version} tfdt")
    struct.pack_into(fmt, buf, at, new)
    return bytes(buf)


def shifted_rendition(r: Rendition, seconds: float) -> Rendition:
    ticks = round(seconds * r.timescale)
    return replace(
        r,
        segments=tuple(shift_decode_time(s, ticks) for s in r.segments),
        segment_info=tuple(replace(i, start=i.start + ticks) for i in r.segment_info),
    )


def shifted_title(title: EncodedTitle, seconds: float) -> EncodedTitle:
    """Every rendition of ``title`` starting ``seconds`` later on the media timeline."""
    if seconds < 0:
        raise ValueError("a media time offset cannot be negative")
    return EncodedTitle(
        spec=title.spec,
        video=tuple(shifted_rendition(v, seconds) for v in title.video),
        audio=shifted_rendition(title.audio, seconds) if title.audio is not None else None,
    )
