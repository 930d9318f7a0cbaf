"""Key rotation: fragments encrypted under a KID other than the init's, named by ``seig``.

ISO/IEC 23001-7 sample groups: a fragment whose samples use another key carries an
``sgpd`` (grouping type ``seig``, one CencSampleEncryptionInformationGroupEntry with the
KID, IV size and pattern) and an ``sbgp`` mapping every sample of the run to it
(group_description_index 0x10001 = the first entry of this fragment's own ``sgpd``).
``drm.encrypt_segment`` encrypts with the rotated key; this module adds the two boxes to the
end of the ``traf`` (after ``senc``, so the ``saio`` offset still holds) and moves the
``trun`` data offset by the bytes added.
"""

from __future__ import annotations

import struct

from mediacore.boxes import MalformedBox, box, find_first, full_box, iter_boxes

__all__ = ["FRAGMENT_LOCAL_FIRST_ENTRY", "seig_entry", "with_seig_group"]

FRAGMENT_LOCAL_FIRST_ENTRY = 0x1_0001
_TRUN_DATA_OFFSET = 0x01


def seig_entry(
    kid: bytes,
    *,
    iv_size: int,
    crypt_byte_block: int = 0,
    skip_byte_block: int = 0,
    constant_iv: bytes | None = None,
) -> bytes:
    """One ``seig`` entry (20 bytes, plus the constant IV when ``iv_size`` is 0)."""
    if len(kid) != 16:
        raise ValueError("a KID is 16 bytes")
    pattern = (crypt_byte_block << 4) | skip_byte_block
    entry = struct.pack(">BBBB", 0, pattern, 1, iv_size) + kid
    if iv_size == 0:
        if constant_iv is None or len(constant_iv) not in (8, 16):
            raise ValueError("iv_size 0 needs an 8- or 16-byte constant IV")
        entry += bytes([len(constant_iv)]) + constant_iv
    return entry


def _sample_count(segment: bytes) -> int:
    trun = find_first(segment, "moof/traf/trun")
    if trun is None:
        raise MalformedBox("fragment has no moof/traf/trun", path="moof", offset=0)
    return trun.fields(4).u32()


def with_seig_group(segment: bytes, entry: bytes) -> bytes:
    """``segment`` (styp? + one moof with one traf + mdat) with every sample in ``entry``'s
    group: ``sbgp`` + ``sgpd`` appended to the traf, the trun data offset moved."""
    count = _sample_count(segment)
    sbgp = full_box(
        "sbgp", 0, 0, b"seig", struct.pack(">III", 1, count, FRAGMENT_LOCAL_FIRST_ENTRY)
    )
    sgpd = full_box("sgpd", 1, 0, b"seig", struct.pack(">II", len(entry), 1), entry)
    extra = sbgp + sgpd
    out: list[bytes] = []
    for top in iter_boxes(segment):
        if top.type != "moof":
            out.append(bytes(top.raw()))
            continue
        children = []
        for c in top.children():
            raw = bytes(c.raw())
            children.append(box("traf", bytes(c.payload), extra) if c.type == "traf" else raw)
        out.append(_shift_data_offset(box("moof", *children), len(extra)))
    return b"".join(out)


def _shift_data_offset(moof: bytes, delta: int) -> bytes:
    buf = bytearray(moof)
    trun = find_first(buf, "moof/traf/trun")
    if trun is not None and trun.full_header()[1] & _TRUN_DATA_OFFSET:
        at = trun.payload_offset + 8  # after version/flags and sample_count
        (old,) = struct.unpack_from(">i", buf, at)
        struct.pack_into(">i", buf, at, old + delta)
    return bytes(buf)
