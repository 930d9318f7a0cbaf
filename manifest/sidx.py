"""``sidx`` (SegmentIndexBox, ISO/IEC 14496-12 8.16.3) -> absolute byte/time references.

The bytes come in as an argument; the I/O layer fetches ``indexRange``. Sizes that point
outside what the box can describe raise :class:`InvalidSidx`, never struct errors.
"""

from __future__ import annotations

from manifest.errors import InvalidSidx
from manifest.values import SidxReference
from mediacore.boxes import MalformedBox, iter_boxes

__all__ = ["parse_sidx"]

_MAX_REFERENCES = 1 << 20
_INT64 = 1 << 63


def parse_sidx(data: bytes, *, data_offset: int = 0) -> tuple[SidxReference, ...]:
    """References of the first ``sidx`` in ``data``, which starts at ``data_offset`` in the file.

    Byte positions are absolute in the resource: the first referenced byte is the one just
    after the sidx box plus ``first_offset``. Hierarchical (type 1) references are kept as
    they are, flagged by ``reference_type``.
    """
    try:
        box = next((b for b in iter_boxes(data) if b.type == "sidx"), None)
    except MalformedBox as exc:
        raise InvalidSidx(reason=exc.message, offset=data_offset + exc.offset) from None
    if box is None:
        raise InvalidSidx(reason="no sidx box in the index range", offset=data_offset)
    try:
        f = box.fields()
        version = f.u8()
        f.skip(3)
        f.u32()  # reference_ID
        timescale = f.u32()
        if version == 0:
            earliest, first_offset = f.u32(), f.u32()
        else:
            earliest, first_offset = f.u64(), f.u64()
        f.skip(2)
        count = f.u16()
        if count > _MAX_REFERENCES or count * 12 > f.remaining:
            raise InvalidSidx(
                reason=f"reference_count {count} does not fit in {f.remaining} bytes",
                offset=data_offset + box.offset,
            )
        raw = f.array("I", count * 3)
    except MalformedBox as exc:
        raise InvalidSidx(reason=exc.message, offset=data_offset + exc.offset) from None
    if timescale == 0:
        raise InvalidSidx(reason="timescale is 0", offset=data_offset + box.offset)
    pos = data_offset + box.offset + box.size + first_offset
    time = earliest
    end_time = earliest + sum(raw[1::3])
    end_pos = pos + sum(w & 0x7FFFFFFF for w in raw[0::3])
    if max(end_time, end_pos) >= _INT64:  # the index keeps them as signed 64-bit numbers
        raise InvalidSidx(
            reason="times or byte positions past 2^63", offset=data_offset + box.offset
        )
    refs = []
    for i in range(count):
        word, duration, sap = raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]
        size = word & 0x7FFFFFFF
        if size == 0:
            raise InvalidSidx(reason=f"reference {i} has size 0", offset=data_offset + box.offset)
        refs.append(
            SidxReference(
                first_byte=pos,
                last_byte=pos + size - 1,
                time=time,
                duration=duration,
                timescale=timescale,
                reference_type=word >> 31,
                starts_with_sap=bool(sap >> 31),
            )
        )
        pos += size
        time += duration
    return tuple(refs)
