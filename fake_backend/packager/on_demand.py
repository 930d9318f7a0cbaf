"""The DASH on-demand profile: one file per representation, indexed by a ``sidx``.

Layout of the file: ``init (ftyp+moov) | sidx | moof+mdat | moof+mdat | ...``. The MPD's
``SegmentBase`` names ``Initialization@range`` (the init bytes) and ``@indexRange`` (the
sidx); the sidx lists each fragment (subsegment) as a byte size and a duration, so a player
reads the two ranges first and then asks for ranges of media. The per-segment ``styp``
boxes of the live layout are dropped (the on-demand profile has no segment files).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from fake_backend.packager.fragments import track_defaults
from fake_backend.packager.rendition import SegmentInfo
from mediacore.boxes import full_box, iter_boxes

__all__ = ["ON_DEMAND_PROFILE", "SingleFile", "sidx_box", "single_file"]

ON_DEMAND_PROFILE = "urn:mpeg:dash:profile:isoff-on-demand:2011"
_SAP_TYPE_1 = 0x9000_0000
"""starts_with_SAP = 1, SAP_type = 1 (every subsegment starts with an IDR / audio frame)."""


@dataclass(frozen=True)
class SingleFile:
    """A representation's one file and the inclusive byte ranges the MPD announces."""

    data: bytes
    init_range: tuple[int, int]
    index_range: tuple[int, int]


def sidx_box(
    reference_id: int, timescale: int, earliest: int, subsegments: Sequence[tuple[int, int]]
) -> bytes:
    """A version-1 ``sidx`` whose first subsegment follows it directly (first_offset 0).

    ``subsegments``: (byte size, duration in ``timescale`` ticks) of each fragment.
    """
    if not subsegments or len(subsegments) > 0xFFFF:
        raise ValueError("a sidx lists 1..65535 subsegments")
    head = struct.pack(">IIQQHH", reference_id, timescale, earliest, 0, 0, len(subsegments))
    refs = b"".join(
        struct.pack(">III", size, duration, _SAP_TYPE_1) for size, duration in subsegments
    )
    if any(size >= 1 << 31 for size, _ in subsegments):
        raise ValueError("a subsegment of 2 GiB or more does not fit a sidx reference")
    return full_box("sidx", 1, 0, head, refs)


def _without_styp(segment: bytes) -> bytes:
    return b"".join(bytes(b.raw()) for b in iter_boxes(segment) if b.type != "styp")


def single_file(init: bytes, segments: Sequence[bytes], infos: Sequence[SegmentInfo]) -> SingleFile:
    """``init + sidx + fragments`` for one (protected or clear) rendition."""
    bodies = [_without_styp(s) for s in segments]
    timescale = infos[0].timescale
    index = sidx_box(
        track_defaults(init).track_id,
        timescale,
        infos[0].start,
        [(len(b), i.duration) for b, i in zip(bodies, infos, strict=True)],
    )
    start = len(init)
    return SingleFile(
        data=init + index + b"".join(bodies),
        init_range=(0, start - 1),
        index_range=(start, start + len(index) - 1),
    )
