"""CENC encryption, the inverse of :mod:`drm.cenc`, for the packager: cenc, cens, cbc1, cbcs.

:func:`encrypt_init` turns a clear init segment into a protected one (sample entries become
``encv``/``enca`` with a ``sinf`` holding ``frma``/``schm``/``tenc``; ``pssh`` boxes for
ClearKey and any other given systems are appended to the ``moov``). :func:`encrypt_segment`
encrypts each media segment in the layout that init announces and writes ``senc`` (plus
``saiz``/``saio`` pointing into it), shifting trun data offsets and sidx sizes so the
segment stays valid.

Subsample layout, per ISO/IEC 23001-7 for NAL-structured video (avc1/avc3/hvc1/hev1,
length-prefixed NAL units): non-VCL NAL units are clear; in a VCL NAL unit the length
prefix and NAL header are clear and

* cenc, cens, cbc1: the protected range is the largest multiple of 16 bytes at the end of
  the NAL unit (the remainder joins the clear bytes at its start);
* cbcs: the protected range starts at the first byte after the slice header (H.264: parsed
  with the SPS/PPS from avcC and in-band, :mod:`drm.h264`; the same layout shaka-packager
  writes) and runs to the end of the NAL unit; its trailing partial block stays clear by the
  scheme's own rule. Where the slice header cannot be parsed (HEVC, unknown parameter sets,
  slice groups) the first :data:`CBCS_CLEAR_LEADING` bytes stay clear instead (the HLS
  SAMPLE-AES convention).

Audio and other tracks are encrypted whole-sample (no subsamples).
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drm.cenc import crypt_sample
from drm.clearkey import CLEARKEY_SYSTEM_ID_BYTES
from drm.errors import InvalidKey, MissingProtectionInfo, SampleLayoutError, UnsupportedScheme
from drm.h264 import SliceHeaderParser, avcc_parameter_sets
from drm.protection import (
    SCHEMES,
    EncryptionParams,
    InitProtection,
    Sample,
    TrackProtection,
    find_sample_entry_children_offset,
    parse_init,
    parse_segment,
)
from drm.pssh import build_pssh
from mediacore.boxes import Box, box, full_box, iter_boxes

__all__ = [
    "CBCS_CLEAR_LEADING",
    "EncryptionPlan",
    "TrackPlan",
    "encrypt_init",
    "encrypt_segment",
    "plan_from_init",
    "video_subsamples",
]

CBCS_CLEAR_LEADING = 32
"""cbcs fallback: bytes of a VCL NAL unit left clear when its slice header is not parsed."""

_NAL_FORMATS = {"avc1": 1, "avc3": 1, "hvc1": 2, "hev1": 2}
"""Sample entry -> NAL unit header size, for the formats whose samples are NAL units."""

_MAX_CLEAR = 0xFFFF


@dataclass(frozen=True)
class TrackPlan:
    """How one track of an encrypted init is encrypted, as :func:`encrypt_segment` needs."""

    track_id: int
    handler: str
    original_format: str
    scheme: str
    params: EncryptionParams
    nal_length_size: int
    """0 when samples are not length-prefixed NAL units (audio, AV1...): whole-sample."""
    nal_header_size: int
    parameter_sets: tuple[bytes, ...] = ()
    """SPS/PPS from avcC: cbcs needs them to find where each slice header ends."""


@dataclass(frozen=True)
class EncryptionPlan:
    """The encrypted init's tracks; pass it to every :func:`encrypt_segment` call."""

    protection: InitProtection
    tracks: tuple[TrackPlan, ...]

    def track(self, track_id: int) -> TrackPlan | None:
        return next((t for t in self.tracks if t.track_id == track_id), None)


# ------------------------------------------------------------------------------ init


def _default_params(
    scheme: str,
    handler: str,
    kid: bytes,
    iv_size: int | None,
    constant_iv: bytes | None,
    pattern: tuple[int, int] | None,
) -> EncryptionParams:
    video = handler == "vide"
    if pattern is None:
        pattern = (1, 9) if scheme in ("cens", "cbcs") and video else (0, 0)
    if scheme in ("cenc", "cbc1") and pattern != (0, 0):
        raise UnsupportedScheme(scheme=f"{scheme} with a {pattern[0]}:{pattern[1]} pattern")
    if not (0 <= pattern[0] <= 15 and 0 <= pattern[1] <= 15):
        raise InvalidKey(f"pattern {pattern} out of range 0..15")
    if scheme == "cbcs" and iv_size is None and constant_iv is None:
        constant_iv = secrets.token_bytes(16)
    if constant_iv is not None:
        if len(constant_iv) not in (8, 16):
            raise InvalidKey("a constant IV must be 8 or 16 bytes")
        return EncryptionParams(True, 0, kid, pattern[0], pattern[1], bytes(constant_iv))
    if iv_size is None:
        iv_size = 16 if scheme == "cbc1" else 8
    if iv_size not in (8, 16):
        raise InvalidKey(f"per-sample IV size {iv_size} not 8 or 16")
    return EncryptionParams(True, iv_size, kid, pattern[0], pattern[1], None)


def _tenc(p: EncryptionParams, version: int) -> bytes:
    pattern = (p.crypt_byte_block << 4) | p.skip_byte_block if version else 0
    body = bytes([0, pattern, 1, p.per_sample_iv_size]) + p.kid
    if p.constant_iv is not None:
        body += bytes([len(p.constant_iv)]) + p.constant_iv
    return full_box("tenc", version, 0, body)


def _sinf(original: str, scheme: str, p: EncryptionParams) -> bytes:
    version = 1 if scheme in ("cens", "cbcs") else 0
    return box(
        "sinf",
        box("frma", original.encode("latin-1")),
        full_box("schm", 0, 0, scheme.encode("ascii"), (0x10000).to_bytes(4, "big")),
        box("schi", _tenc(p, version)),
    )


def _rebuild(b: Box, new_payload: bytes, type_: str | None = None) -> bytes:
    return box(type_ or b.type, new_payload, usertype=b.usertype)


def encrypt_init(
    init: bytes | bytearray | memoryview,
    scheme: str,
    kid: bytes | Mapping[int, bytes],
    *,
    iv_size: int | None = None,
    constant_iv: bytes | None = None,
    pattern: tuple[int, int] | None = None,
    audio_pattern: tuple[int, int] | None = None,
    pssh: Iterable[bytes] = (),
    clearkey: bool = True,
    track_ids: Iterable[int] | None = None,
) -> bytes:
    """Protect the video and audio tracks of a clear init segment.

    ``kid`` is one KID for every track or a mapping track_id -> KID. ``pattern`` applies to
    video (default 1:9 for cens/cbcs), ``audio_pattern`` to other tracks (default 0:0).
    ``pssh`` adds complete pssh boxes (any system); ``clearkey`` adds the ClearKey one.
    cbcs defaults to a random 16-byte constant IV, the others to per-sample IVs (8 bytes;
    16 for cbc1).
    """
    if scheme not in SCHEMES:
        raise UnsupportedScheme(scheme=scheme)
    wanted = set(track_ids) if track_ids is not None else None
    kids_used: dict[bytes, None] = {}
    src = memoryview(bytes(init))
    out: list[bytes] = []
    found = False
    for top in iter_boxes(src):
        if top.type != "moov":
            out.append(bytes(top.raw()))
            continue
        found = True
        children: list[bytes] = []
        for b in top.children():
            if b.type == "trak":
                children.append(
                    _encrypt_trak(
                        b,
                        scheme,
                        kid,
                        iv_size,
                        constant_iv,
                        pattern,
                        audio_pattern,
                        wanted,
                        kids_used,
                    )
                )
            elif b.type == "pssh":
                continue  # replaced below
            else:
                children.append(bytes(b.raw()))
        if clearkey:
            children.append(build_pssh(CLEARKEY_SYSTEM_ID_BYTES, list(kids_used), b"", 1))
        children.extend(bytes(p) for p in pssh)
        out.append(_rebuild(top, b"".join(children)))
    if not found:
        raise MissingProtectionInfo("no moov box: not an init segment")
    if not kids_used:
        raise MissingProtectionInfo("no video or audio track to encrypt")
    return b"".join(out)


def _encrypt_trak(
    trak: Box,
    scheme: str,
    kid: bytes | Mapping[int, bytes],
    iv_size: int | None,
    constant_iv: bytes | None,
    pattern: tuple[int, int] | None,
    audio_pattern: tuple[int, int] | None,
    wanted: set[int] | None,
    kids_used: dict[bytes, None],
) -> bytes:
    tkhd = trak.child("tkhd")
    mdia = trak.child("mdia")
    if tkhd is None or mdia is None:
        return bytes(trak.raw())
    r = tkhd.fields()
    version = r.u8()
    r.u24()
    r.skip(16 if version == 1 else 8)
    track_id = r.u32()
    hdlr = mdia.child("hdlr")
    handler = hdlr.fields(8).fourcc() if hdlr is not None else ""
    if handler not in ("vide", "soun") or (wanted is not None and track_id not in wanted):
        return bytes(trak.raw())
    track_kid = kid.get(track_id) if isinstance(kid, Mapping) else kid
    if track_kid is None:
        return bytes(trak.raw())
    if len(track_kid) != 16:
        raise InvalidKey(f"a KID must be 16 bytes, got {len(track_kid)}")
    kids_used[bytes(track_kid)] = None
    params = _default_params(
        scheme,
        handler,
        bytes(track_kid),
        iv_size,
        constant_iv,
        pattern if handler == "vide" else audio_pattern,
    )

    def entry_bytes(entry: Box) -> bytes:
        payload = bytes(entry.payload)
        new_type = "encv" if handler == "vide" else "enca"
        return _rebuild(entry, payload + _sinf(entry.type, scheme, params), new_type)

    def stsd_bytes(stsd: Box) -> bytes:
        head = bytes(stsd.payload[:8])
        entries = [entry_bytes(e) for e in stsd.children(8)]
        return _rebuild(stsd, head + b"".join(entries))

    def walk(b: Box) -> bytes:
        if b.type == "stsd":
            return stsd_bytes(b)
        if b.type in ("mdia", "minf", "stbl"):
            return _rebuild(b, b"".join(walk(c) for c in b.children()))
        return bytes(b.raw())

    return _rebuild(trak, b"".join(walk(c) for c in trak.children()))


def _nal_config(entry: Box, handler: str) -> tuple[int, tuple[bytes, ...]]:
    """(NAL length size, AVC parameter sets) from the entry's avcC or hvcC."""
    skip = find_sample_entry_children_offset(entry, handler)
    for c in entry.children(skip):
        if c.type == "avcC":
            size = (c.payload[4] & 3) + 1 if len(c.payload) > 4 else 4
            return size, tuple(avcc_parameter_sets(c.payload))
        if c.type == "hvcC":
            return ((c.payload[21] & 3) + 1 if len(c.payload) > 21 else 4), ()
    return 4, ()


def plan_from_init(encrypted_init: bytes | bytearray | memoryview) -> EncryptionPlan:
    """What :func:`encrypt_segment` needs, read back from an init :func:`encrypt_init` made."""
    info = parse_init(encrypted_init)
    plans: list[TrackPlan] = []
    moov = next(b for b in iter_boxes(encrypted_init) if b.type == "moov")
    for trak in moov.children():
        if trak.type != "trak":
            continue
        tkhd = trak.child("tkhd")
        if tkhd is None:
            continue
        r = tkhd.fields()
        version = r.u8()
        r.u24()
        r.skip(16 if version == 1 else 8)
        tid = r.u32()
        t = info.track(tid)
        prot = t.protection if t is not None else None
        if t is None or prot is None:
            continue
        stsd = next(iter(_find(trak, "mdia/minf/stbl/stsd")), None)
        entry = next(iter(stsd.children(8)), None) if stsd is not None else None
        nal_hdr = _NAL_FORMATS.get(prot.original_format, 0)
        nal_len, sets = _nal_config(entry, t.handler) if entry is not None and nal_hdr else (0, ())
        plans.append(
            TrackPlan(
                tid,
                t.handler,
                prot.original_format,
                prot.scheme,
                prot.tenc,
                nal_len,
                nal_hdr,
                sets,
            )
        )
    return EncryptionPlan(info, tuple(plans))


def _find(b: Box, path: str) -> list[Box]:
    level = [b]
    for part in path.split("/"):
        level = [c for x in level for c in x.children() if c.type == part]
    return level


# ------------------------------------------------------------------------- subsamples


def _is_vcl(first_byte: int, header_size: int) -> bool:
    if header_size == 1:
        return 1 <= (first_byte & 0x1F) <= 5
    return ((first_byte >> 1) & 0x3F) < 32


def video_subsamples(
    sample: memoryview,
    nal_length_size: int,
    nal_header_size: int,
    scheme: str,
    slice_headers: SliceHeaderParser | None = None,
) -> list[tuple[int, int]]:
    """(clear, protected) pairs for one sample of length-prefixed NAL units.

    With ``slice_headers`` (H.264), cbcs protection starts right after each slice header and
    in-band SPS/PPS update the parser; without it, cbcs leaves :data:`CBCS_CLEAR_LEADING`
    bytes clear.
    """
    out: list[tuple[int, int]] = []
    clear = 0
    pos = 0
    n = len(sample)
    while pos < n:
        if pos + nal_length_size > n:
            raise SampleLayoutError(f"NAL length prefix truncated at byte {pos} of the sample")
        size = int.from_bytes(sample[pos : pos + nal_length_size], "big")
        total = nal_length_size + size
        if size == 0 or pos + total > n:
            raise SampleLayoutError(
                f"NAL unit of {size} bytes at byte {pos} overruns the {n}-byte sample"
            )
        protected = 0
        first = sample[pos + nal_length_size]
        if slice_headers is not None and nal_header_size == 1 and (first & 0x1F) in (7, 8):
            slice_headers.process(sample[pos + nal_length_size : pos + total])
        if _is_vcl(first, nal_header_size):
            if scheme == "cbcs":
                lead = None
                if slice_headers is not None:
                    lead = slice_headers.header_size(sample[pos + nal_length_size : pos + total])
                if lead is None:
                    lead = max(nal_header_size, min(CBCS_CLEAR_LEADING, size))
                # Like shaka-packager: a slice always gets its own subsample, even when its
                # data is shorter than a block (then nothing in it is actually encrypted).
                protected = max(size - lead, 0)
            else:
                body = size - nal_header_size
                protected = body - body % 16
        clear += total - protected
        if protected:
            while clear > _MAX_CLEAR:
                out.append((_MAX_CLEAR, 0))
                clear -= _MAX_CLEAR
            out.append((clear, protected))
            clear = 0
        pos += total
    while clear > _MAX_CLEAR:
        out.append((_MAX_CLEAR, 0))
        clear -= _MAX_CLEAR
    if clear or not out:
        out.append((clear, 0))
    return out


# ---------------------------------------------------------------------------- segment


class _IvSource:
    """Per-sample IVs: consecutive values from a start IV (random unless given).

    For CTR with 16-byte IVs the next IV skips the blocks the previous sample used, so no
    two samples ever share keystream.
    """

    def __init__(self, size: int, start: bytes | None) -> None:
        self.size = size
        if start is not None and len(start) != size:
            raise InvalidKey(f"start IV must be {size} bytes, got {len(start)}")
        self.value = int.from_bytes(
            start if start is not None else secrets.token_bytes(size), "big"
        )
        self.mod = 1 << (8 * size)

    def next(self, sample_bytes: int, ctr16: bool) -> bytes:
        iv = self.value.to_bytes(self.size, "big")
        step = (sample_bytes + 15) // 16 if ctr16 else 1
        self.value = (self.value + max(step, 1)) % self.mod
        return iv


_U32 = struct.Struct(">I")


def encrypt_segment(
    segment: bytes | bytearray | memoryview,
    plan: EncryptionPlan | bytes,
    key: bytes,
    *,
    iv: bytes | None = None,
) -> bytes:
    """Encrypt every moof/mdat of a clear media segment per ``plan`` (or its init bytes).

    ``iv`` is the first per-sample IV (later samples count up from it); by default a random
    one, which is what a packager wants for each segment. Tracks the plan does not protect
    are left clear.
    """
    if not isinstance(plan, EncryptionPlan):
        plan = plan_from_init(plan)
    key = bytes(key)
    if len(key) != 16:
        raise InvalidKey(f"a content key must be 16 bytes, got {len(key)}")
    clear_view = InitProtection(
        tuple(
            TrackProtection(
                t.track_id,
                t.handler,
                tuple(None for _ in t.entries),
                t.default_sample_description_index,
                t.default_sample_size,
            )
            for t in plan.protection.tracks
        )
    )
    buf = bytearray(segment)
    mv = memoryview(buf)
    ivs: dict[int, _IvSource] = {}
    parsers: dict[int, SliceHeaderParser] = {}
    pieces: list[tuple[Box, bytes]] = []
    try:
        moofs = [b for b in iter_boxes(mv) if b.type == "moof"]
        for moof, layout in zip(moofs, parse_segment(mv, clear_view), strict=True):
            aux: dict[int, tuple[TrackPlan, list[Sample]]] = {}
            for tf in layout.trafs:
                tp = plan.track(tf.track_id)
                if tp is None:
                    continue
                src = ivs.get(tp.track_id)
                if src is None and tp.params.per_sample_iv_size:
                    src = ivs[tp.track_id] = _IvSource(tp.params.per_sample_iv_size, iv)
                ctr16 = tp.scheme in ("cenc", "cens") and tp.params.per_sample_iv_size == 16
                headers = parsers.get(tp.track_id)
                if headers is None and tp.scheme == "cbcs" and tp.nal_header_size == 1:
                    headers = parsers[tp.track_id] = SliceHeaderParser(list(tp.parameter_sets))
                done: list[Sample] = []
                for s in tf.samples:
                    subs: tuple[tuple[int, int], ...] = ()
                    if tp.nal_length_size:
                        subs = tuple(
                            video_subsamples(
                                mv[s.offset : s.offset + s.size],
                                tp.nal_length_size,
                                tp.nal_header_size,
                                tp.scheme,
                                headers,
                            )
                        )
                    sample_iv = src.next(s.size, ctr16) if src is not None else b""
                    es = Sample(
                        s.offset,
                        s.size,
                        s.description_index,
                        tp.params,
                        sample_iv or (tp.params.constant_iv or b""),
                        subs,
                    )
                    crypt_sample(mv, es, tp.scheme, key, encrypt=True)
                    done.append(es._replace(iv=sample_iv))
                aux[tf.track_id] = (tp, done)
            pieces.append((moof, _rewrite_moof(moof, aux)))
        return _splice(mv, pieces)
    finally:
        mv.release()


def _senc_payload(samples: list[Sample], with_subs: bool) -> tuple[bytes, list[int]]:
    parts = [_U32.pack(len(samples))]
    sizes = []
    for s in samples:
        entry = s.iv
        if with_subs:
            entry += struct.pack(">H", len(s.subsamples)) + b"".join(
                struct.pack(">HI", c, p) for c, p in s.subsamples
            )
        parts.append(entry)
        sizes.append(len(entry))
    return b"".join(parts), sizes


def _rewrite_moof(moof: Box, aux: Mapping[int, tuple[TrackPlan, list[Sample]]]) -> bytes:
    """The moof with senc/saiz/saio appended to each protected traf and offsets fixed."""
    # Pass 1: build each traf's new children with a placeholder saio offset.
    traf_parts: list[tuple[Box, bytes, int | None]] = []  # (box, bytes, saio pos in bytes)
    for b in moof.children():
        if b.type != "traf":
            traf_parts.append((b, bytes(b.raw()), None))
            continue
        tfhd = b.child("tfhd")
        tid = tfhd.fields(4).u32() if tfhd is not None else -1
        if tid not in aux:
            traf_parts.append((b, bytes(b.raw()), None))
            continue
        tp, samples = aux[tid]
        tf_flags = tfhd.full_header()[1] if tfhd is not None else 0
        if tf_flags & 0x1:
            raise SampleLayoutError(
                "encrypting fragments with an explicit base-data-offset is "
                "not supported (use default-base-is-moof)",
                track_id=tid,
            )
        with_subs = tp.nal_length_size > 0
        senc_body, sizes = _senc_payload(samples, with_subs)
        senc = full_box("senc", 0, 2 if with_subs else 0, senc_body)
        extra = b""
        saio_at = None
        if any(sizes):
            if len(set(sizes)) == 1:
                saiz = full_box("saiz", 0, 0, bytes([sizes[0]]), _U32.pack(len(sizes)))
            else:
                saiz = full_box("saiz", 0, 0, b"\0", _U32.pack(len(sizes)), bytes(sizes))
            saio = full_box("saio", 0, 0, _U32.pack(1), _U32.pack(0))
            extra = saiz + saio
            saio_at = len(saiz) + len(saio) - 4  # the offset field, relative to `extra`
        body = b"".join(bytes(c.raw()) for c in b.children())
        new = box("traf", body + extra + senc)
        pos_in_traf = None if saio_at is None else 8 + len(body) + saio_at
        traf_parts.append((b, new, pos_in_traf))
    delta = sum(len(p[1]) for p in traf_parts) - sum(p[0].size for p in traf_parts)
    out = bytearray(box("moof", b"".join(p[1] for p in traf_parts)))
    # Pass 2: saio offsets (moof-relative: every traf here has its base at the moof) and
    # trun data offsets shifted by the growth of the moof.
    pos = 8
    for old, new, saio_pos in traf_parts:
        if old.type == "traf":
            if saio_pos is not None:
                # senc starts right after saio; its entries follow 16 bytes of header+count.
                senc_data = pos + saio_pos + 4 + 16
                out[pos + saio_pos : pos + saio_pos + 4] = _U32.pack(senc_data)
            for c in iter_boxes(out, pos + 8, pos + len(new), "moof/traf"):
                if c.type == "trun":
                    flags = int.from_bytes(out[c.offset + 9 : c.offset + 12], "big")
                    if flags & 0x1:
                        at = c.offset + 16
                        old_off = int.from_bytes(out[at : at + 4], "big", signed=True)
                        out[at : at + 4] = (old_off + delta).to_bytes(4, "big", signed=True)
        pos += len(new)
    return bytes(out)


def _splice(mv: memoryview, pieces: list[tuple[Box, bytes]]) -> bytes:
    """The segment with each moof replaced, and sidx reference sizes grown to match."""
    growth = {m.offset: len(new) - m.size for m, new in pieces}
    parts: list[bytes | memoryview] = []
    for b in iter_boxes(mv):
        if b.type == "moof" and b.offset in growth:
            parts.append(next(new for m, new in pieces if m.offset == b.offset))
        elif b.type == "sidx":
            parts.append(_fix_sidx(b, growth))
        else:
            parts.append(b.raw())
    return b"".join(parts)


def _fix_sidx(b: Box, growth: Mapping[int, int]) -> bytes:
    """Grow each sidx reference by the growth of the moofs inside the bytes it covers."""
    raw = bytearray(b.raw())
    wide = 8 if raw[b.header_size] else 4
    at = b.header_size + 12 + wide
    first = int.from_bytes(raw[at : at + wide], "big")
    at += wide
    count = int.from_bytes(raw[at + 2 : at + 4], "big")
    at += 4
    if at + 12 * count > len(raw):
        raise SampleLayoutError(f"sidx reference count {count} does not fit its box")
    start = b.end + first
    for _ in range(count):
        word = int.from_bytes(raw[at : at + 4], "big")
        size = word & 0x7FFFFFFF
        end = start + size
        extra = sum(g for off, g in growth.items() if start <= off < end)
        if extra:
            raw[at : at + 4] = ((word & 0x80000000) | (size + extra)).to_bytes(4, "big")
        start = end
        at += 12
    return bytes(raw)
