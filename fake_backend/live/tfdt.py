"""Re-time a media segment: rewrite every ``moof/traf/tfdt`` baseMediaDecodeTime in place.

A looped live channel serves the same fragment bytes again one loop later; only their
decode time moves. ``tfdt`` sits outside the encrypted sample data and its size does not
change (version 1 is 64-bit; a version 0 value that fits stays 32-bit), so ``saio``
offsets and the CENC data stay valid.
"""

from __future__ import annotations

import struct

from mediacore.boxes import MalformedBox, find_all

__all__ = ["retime_segment"]


def retime_segment(data: bytes, shift: int) -> bytes:
    """``data`` with ``shift`` ticks added to each fragment's decode time.

    Bytes without a ``moof`` (stand-in media) come back unchanged.
    """
    if shift == 0:
        return data
    out = bytearray(data)
    for tfdt in find_all(out, "moof/traf/tfdt"):
        version, _ = tfdt.full_header()
        pos = tfdt.payload_offset + 4
        if version == 1:
            (old,) = struct.unpack_from(">Q", out, pos)
            struct.pack_into(">Q", out, pos, old + shift)
        else:
            (old,) = struct.unpack_from(">I", out, pos)
            if old + shift > 0xFFFF_FFFF:
                raise MalformedBox("tfdt v0 cannot hold the shifted time", path="tfdt", offset=pos)
            struct.pack_into(">I", out, pos, old + shift)
    return bytes(out)
