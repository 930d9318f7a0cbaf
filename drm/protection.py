"""Protection boxes of ISO/IEC 23001-7 read through mediacore.boxes: what is encrypted, how.

Two entry points:

* :func:`parse_init` reads a ``moov`` (sinf/frma/schm/tenc per sample entry, trex defaults,
  stbl 'seig' groups, pssh) into an immutable :class:`InitProtection`.
* :func:`parse_fragment` reads one ``moof`` (tfhd/tfdt/trun, senc or saiz/saio, sbgp/sgpd
  'seig') against that :class:`InitProtection` and locates every sample in its ``mdat`` with
  the IV, subsample map and encryption parameters that apply to it.

Every count, size and offset is checked against the bytes it describes; a lie raises a typed
error (:mod:`drm.errors`, or mediacore's ``MalformedBox`` for truncation).
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from drm.errors import (
    AuxInfoMismatch,
    MalformedProtectionBox,
    MissingProtectionInfo,
    SampleLayoutError,
    UnsupportedScheme,
)
from drm.pssh import Pssh, parse_pssh
from mediacore.boxes import Box, FieldReader, iter_boxes

__all__ = [
    "PIFF_SENC_UUID",
    "SCHEMES",
    "EncryptionParams",
    "FragmentLayout",
    "InitProtection",
    "Sample",
    "SampleEntryProtection",
    "TrackFragment",
    "TrackProtection",
    "find_sample_entry_children_offset",
    "mdat_ranges",
    "parse_fragment",
    "parse_init",
    "parse_seig",
    "parse_tenc",
]

SCHEMES = frozenset({"cenc", "cens", "cbc1", "cbcs"})
"""The four ISO/IEC 23001-7 protection schemes."""

PIFF_SENC_UUID = bytes.fromhex("a2394f525a9b4f14a2446c427c648df4")
"""PIFF 1.1 SampleEncryptionBox usertype (the pre-standard 'senc')."""

ENCRYPTED_ENTRY_TYPES = frozenset({"encv", "enca", "enct", "encs", "encm", "encf", "encp"})

_MAX_SAMPLES = 1 << 20
_VISUAL_ENTRY_HEADER = 78
_AUDIO_ENTRY_HEADER = 28


@dataclass(frozen=True)
class EncryptionParams:
    """How samples are encrypted: from a 'tenc' box or a 'seig' sample group entry."""

    is_protected: bool
    per_sample_iv_size: int
    kid: bytes
    crypt_byte_block: int = 0
    skip_byte_block: int = 0
    constant_iv: bytes | None = None

    @property
    def pattern(self) -> tuple[int, int]:
        return (self.crypt_byte_block, self.skip_byte_block)


@dataclass(frozen=True)
class SampleEntryProtection:
    """The sinf of one protected sample entry (encv/enca): scheme and track defaults."""

    index: int
    entry_type: str
    original_format: str
    scheme: str
    scheme_version: int
    tenc: EncryptionParams


@dataclass(frozen=True)
class TrackProtection:
    """Everything the init segment says about one track that a fragment reader needs."""

    track_id: int
    handler: str
    entries: tuple[SampleEntryProtection | None, ...]
    """One item per stsd entry (1-based index i is ``entries[i-1]``); None = clear entry."""
    default_sample_description_index: int = 1
    default_sample_size: int = 0
    seig_groups: tuple[EncryptionParams, ...] = ()

    @property
    def encrypted(self) -> bool:
        return any(e is not None for e in self.entries)

    @property
    def protection(self) -> SampleEntryProtection | None:
        """The first protected sample entry (what ``info`` reports)."""
        return next((e for e in self.entries if e is not None), None)

    def entry(self, index: int) -> SampleEntryProtection | None:
        if not 1 <= index <= len(self.entries):
            raise SampleLayoutError(
                f"sample description index {index} not in stsd (1..{len(self.entries)})",
                track_id=self.track_id,
            )
        return self.entries[index - 1]


@dataclass(frozen=True)
class InitProtection:
    """The protection view of an init segment (a ``moov``): tracks and pssh boxes."""

    tracks: tuple[TrackProtection, ...]
    pssh: tuple[Pssh, ...] = ()

    def track(self, track_id: int) -> TrackProtection | None:
        for t in self.tracks:
            if t.track_id == track_id:
                return t
        return None

    @property
    def encrypted(self) -> bool:
        return any(t.encrypted for t in self.tracks)

    @property
    def kids(self) -> tuple[bytes, ...]:
        seen: dict[bytes, None] = {}
        for t in self.tracks:
            for e in t.entries:
                if e is not None and e.tenc.is_protected:
                    seen[e.tenc.kid] = None
            for g in t.seig_groups:
                if g.is_protected:
                    seen[g.kid] = None
        return tuple(seen)


class Sample(NamedTuple):
    """One sample located in the buffer, with what decrypting it needs.

    ``params`` is None for a clear sample. ``subsamples`` is ``((clear, protected), ...)``;
    empty means the whole sample is protected.
    """

    offset: int
    size: int
    description_index: int
    params: EncryptionParams | None
    iv: bytes
    subsamples: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class TrackFragment:
    """One traf: its samples located in mdat and the boxes a decrypter neutralizes."""

    track_id: int
    scheme: str | None
    samples: tuple[Sample, ...]
    aux_source: str
    """'senc', 'saio' (aux info read through saiz/saio), 'none' (no aux info: clear)."""
    neutralize: tuple[int, ...] = field(default=())
    """Offsets of boxes (senc/saiz/saio/seig groups/pssh) to rename 'free' once clear."""


@dataclass(frozen=True)
class FragmentLayout:
    """A parsed moof: its track fragments and sequence number."""

    offset: int
    sequence_number: int
    trafs: tuple[TrackFragment, ...]
    pssh: tuple[Pssh, ...] = ()


# ------------------------------------------------------------------------------ init


def parse_tenc(b: Box) -> EncryptionParams:
    """Parse a 'tenc' (v0 or v1 with crypt/skip pattern)."""
    r = b.fields()
    version, _flags = r.u8(), r.u24()
    r.u8()
    pattern = r.u8()
    crypt, skip = (pattern >> 4, pattern & 0x0F) if version >= 1 else (0, 0)
    return _read_params(r, crypt, skip, b.path)


def _read_params(r: FieldReader, crypt: int, skip: int, path: str) -> EncryptionParams:
    protected = r.u8()
    iv_size = r.u8()
    kid = r.bytes(16)
    if protected > 1:
        raise MalformedProtectionBox(f"isProtected is {protected}, not 0 or 1", box=path)
    if iv_size not in (0, 8, 16):
        raise MalformedProtectionBox(f"per-sample IV size {iv_size} not 0, 8 or 16", box=path)
    constant_iv = None
    if protected and iv_size == 0:
        n = r.u8()
        if n not in (8, 16):
            raise MalformedProtectionBox(f"constant IV size {n} not 8 or 16", box=path)
        constant_iv = r.bytes(n)
    return EncryptionParams(bool(protected), iv_size, kid, crypt, skip, constant_iv)


def parse_seig(data: memoryview, path: str) -> EncryptionParams:
    """Parse one 'seig' CencSampleEncryptionInformationGroupEntry."""
    r = FieldReader(data, 0, len(data), path)
    r.u8()
    pattern = r.u8()
    return _read_params(r, pattern >> 4, pattern & 0x0F, path)


def _sgpd_entries(b: Box) -> tuple[str, list[memoryview]]:
    """(grouping_type, raw entries) of an 'sgpd' box."""
    r = b.fields()
    version, _flags = r.u8(), r.u24()
    grouping = r.fourcc()
    default_length = r.u32() if version == 1 else 0
    if version >= 2:
        r.u32()
    count = r.u32()
    if count > r.remaining:
        raise MalformedProtectionBox(f"entry count {count} does not fit", box=b.path)
    out: list[memoryview] = []
    for _ in range(count):
        if version == 1 and default_length == 0:
            n = r.u32()
        elif version == 1:
            n = default_length
        else:
            # Version 0 has no lengths: a 'seig' entry is 20 bytes plus its constant IV.
            n = r.remaining if count == 1 else 20
            if grouping == "seig" and count > 1:
                head = r.view(20)
                r.pos -= 20
                if head[2] == 1 and head[3] == 0:
                    n = 21 + r.view(21)[20]
                    r.pos -= 21
        out.append(r.view(n))
    return grouping, out


def _seig_groups(container: Box) -> tuple[tuple[EncryptionParams, ...], tuple[int, ...]]:
    """Parsed 'seig' entries of every sgpd in ``container`` and the sgpd offsets."""
    groups: list[EncryptionParams] = []
    offsets: list[int] = []
    for b in container.children():
        if b.type != "sgpd":
            continue
        grouping, entries = _sgpd_entries(b)
        if grouping != "seig":
            continue
        offsets.append(b.offset)
        groups.extend(parse_seig(e, b.path) for e in entries)
    return tuple(groups), tuple(offsets)


def find_sample_entry_children_offset(entry: Box, handler: str) -> int:
    """Bytes between an entry's payload start and its child boxes (78 video, 28+ audio)."""
    if handler == "vide" or entry.type in ("encv", "avc1", "avc3", "hvc1", "hev1", "av01"):
        return _VISUAL_ENTRY_HEADER
    if handler == "soun" or entry.type in ("enca", "mp4a"):
        r = entry.fields(8)
        version = r.u16() if r.remaining >= 2 else 0
        return _AUDIO_ENTRY_HEADER + {1: 16, 2: 36}.get(version, 0)
    # Unknown kind (text, metadata): find where a well-formed child list with a sinf starts.
    for skip in range(8, min(entry.size - entry.header_size, 128)):
        try:
            kids = list(entry.children(skip))
        except Exception:
            continue
        if any(k.type == "sinf" for k in kids):
            return skip
    return entry.size - entry.header_size


def _parse_sinf(sinf: Box, index: int, entry_type: str) -> SampleEntryProtection:
    frma = sinf.child("frma")
    schm = sinf.child("schm")
    if frma is None:
        raise MissingProtectionInfo(f"{sinf.path} has no frma")
    if schm is None:
        raise MissingProtectionInfo(f"{sinf.path} has no schm")
    original = frma.fields().fourcc()
    r = schm.fields()
    r.u32()
    scheme = r.fourcc()
    scheme_version = r.u32()
    if scheme not in SCHEMES:
        raise UnsupportedScheme(scheme=scheme)
    schi = sinf.child("schi")
    tenc_box = schi.child("tenc") if schi is not None else None
    if tenc_box is None:
        raise MissingProtectionInfo(f"{sinf.path} has no schi/tenc")
    return SampleEntryProtection(
        index, entry_type, original, scheme, scheme_version, parse_tenc(tenc_box)
    )


def _track_id(tkhd: Box) -> int:
    r = tkhd.fields()
    version = r.u8()
    r.u24()
    r.skip(16 if version == 1 else 8)
    return r.u32()


def _trak(trak: Box, trex: dict[int, tuple[int, int]]) -> TrackProtection:
    tkhd = trak.child("tkhd")
    if tkhd is None:
        raise MissingProtectionInfo(f"{trak.path} has no tkhd")
    track_id = _track_id(tkhd)
    mdia = trak.child("mdia")
    hdlr = mdia.child("hdlr") if mdia is not None else None
    handler = ""
    if hdlr is not None:
        r = hdlr.fields(8)
        handler = r.fourcc()
    stbl = None
    if mdia is not None:
        minf = mdia.child("minf")
        stbl = minf.child("stbl") if minf is not None else None
    entries: list[SampleEntryProtection | None] = []
    groups: tuple[EncryptionParams, ...] = ()
    if stbl is not None:
        stsd = stbl.child("stsd")
        if stsd is not None:
            for i, entry in enumerate(stsd.children(8), start=1):
                if entry.type not in ENCRYPTED_ENTRY_TYPES:
                    entries.append(None)
                    continue
                skip = find_sample_entry_children_offset(entry, handler)
                sinf = next((c for c in entry.children(skip) if c.type == "sinf"), None)
                if sinf is None:
                    raise MissingProtectionInfo(f"{entry.path} has no sinf", track_id=track_id)
                entries.append(_parse_sinf(sinf, i, entry.type))
        groups, _ = _seig_groups(stbl)
    sdi, size = trex.get(track_id, (1, 0))
    return TrackProtection(track_id, handler, tuple(entries), sdi, size, groups)


def parse_init(data: bytes | bytearray | memoryview) -> InitProtection:
    """Read the protection of every track of the ``moov`` in ``data`` (an init segment)."""
    moov = next((b for b in iter_boxes(data) if b.type == "moov"), None)
    if moov is None:
        raise MissingProtectionInfo("no moov box: not an init segment")
    trex: dict[int, tuple[int, int]] = {}
    mvex = moov.child("mvex")
    if mvex is not None:
        for b in mvex.children():
            if b.type == "trex":
                r = b.fields(4)
                tid, sdi, _dur, size = r.u32(), r.u32(), r.u32(), r.u32()
                trex[tid] = (sdi, size)
    tracks = tuple(_trak(b, trex) for b in moov.children() if b.type == "trak")
    pssh = tuple(parse_pssh(b) for b in moov.children() if b.type == "pssh")
    return InitProtection(tracks, pssh)


# -------------------------------------------------------------------------- fragment


def mdat_ranges(data: bytes | bytearray | memoryview) -> list[tuple[int, int]]:
    """(start, end) of every top-level mdat payload."""
    return [(b.payload_offset, b.end) for b in iter_boxes(data) if b.type == "mdat"]


class _Tfhd(NamedTuple):
    track_id: int
    flags: int
    base_data_offset: int | None
    description_index: int | None
    default_size: int | None


def _tfhd(b: Box) -> _Tfhd:
    r = b.fields()
    r.u8()
    flags = r.u24()
    track_id = r.u32()
    base = r.u64() if flags & 0x1 else None
    sdi = r.u32() if flags & 0x2 else None
    if flags & 0x8:
        r.u32()
    size = r.u32() if flags & 0x10 else None
    return _Tfhd(track_id, flags, base, sdi, size)


_TRUN_FIELDS = (0x100, 0x200, 0x400, 0x800)


def _trun(b: Box, default_size: int, track_id: int) -> tuple[int | None, list[int]]:
    """(data_offset or None, sample sizes) of a 'trun'."""
    r = b.fields()
    r.u8()
    flags = r.u24()
    count = r.u32()
    data_offset = r.i32() if flags & 0x1 else None
    if flags & 0x4:
        r.u32()
    width = sum(1 for f in _TRUN_FIELDS if flags & f)
    if count > _MAX_SAMPLES or count * width * 4 > r.remaining:
        raise SampleLayoutError(
            f"trun sample count {count} does not fit its {r.remaining}-byte table",
            track_id=track_id,
        )
    if not flags & 0x200:
        return data_offset, [default_size] * count
    table = r.array("I", count * width)
    col = sum(1 for f in _TRUN_FIELDS[:1] if flags & f)
    return data_offset, list(table[col::width])


def _sbgp_seig(b: Box) -> list[tuple[int, int]] | None:
    """(sample_count, group_description_index) runs of an sbgp of grouping type 'seig'."""
    r = b.fields()
    version = r.u8()
    r.u24()
    if r.fourcc() != "seig":
        return None
    if version == 1:
        r.u32()
    n = r.u32()
    if n * 8 > r.remaining:
        raise MalformedProtectionBox(f"entry count {n} does not fit", box=b.path)
    table = r.array("I", 2 * n)
    return list(zip(table[0::2], table[1::2], strict=True))


class _Aux(NamedTuple):
    type_ok: bool
    default_size: int
    sizes: tuple[int, ...] | None
    sample_count: int


def _saiz(b: Box, scheme: str | None) -> _Aux:
    r = b.fields()
    r.u8()
    flags = r.u24()
    ok = True
    if flags & 1:
        aux_type = r.fourcc()
        r.u32()
        ok = aux_type == scheme or aux_type in SCHEMES
    default = r.u8()
    count = r.u32()
    sizes = None
    if default == 0:
        if count > r.remaining:
            raise AuxInfoMismatch(f"saiz sample count {count} exceeds its size table")
        sizes = tuple(r.view(count))
    return _Aux(ok, default, sizes, count)


def _saio(b: Box, scheme: str | None) -> tuple[bool, list[int]]:
    r = b.fields()
    version = r.u8()
    flags = r.u24()
    ok = True
    if flags & 1:
        aux_type = r.fourcc()
        r.u32()
        ok = aux_type == scheme or aux_type in SCHEMES
    n = r.u32()
    width = 8 if version == 1 else 4
    if n * width > r.remaining:
        raise AuxInfoMismatch(f"saio entry count {n} exceeds its offset table")
    return ok, list(r.array("Q" if version == 1 else "I", n))


_SUB_STRUCTS: dict[int, struct.Struct] = {}


def _read_aux_entry(
    buf: memoryview, pos: int, end: int, iv_size: int, has_subsamples: bool, track_id: int
) -> tuple[bytes, tuple[tuple[int, int], ...], int]:
    """(iv, subsamples, next position) of one CencSampleAuxiliaryDataFormat entry."""
    if pos + iv_size > end:
        raise SampleLayoutError("sample auxiliary info truncated (IV)", track_id=track_id)
    iv = bytes(buf[pos : pos + iv_size])
    pos += iv_size
    if not has_subsamples:
        return iv, (), pos
    if pos + 2 > end:
        raise SampleLayoutError(
            "sample auxiliary info truncated (subsample count)", track_id=track_id
        )
    n = (buf[pos] << 8) | buf[pos + 1]
    pos += 2
    if pos + 6 * n > end:
        raise SampleLayoutError(f"{n} subsamples run past the auxiliary info", track_id=track_id)
    st = _SUB_STRUCTS.get(n)
    if st is None:
        st = _SUB_STRUCTS[n] = struct.Struct(">" + "HI" * n)
    flat = st.unpack_from(buf, pos)
    subs = tuple(zip(flat[0::2], flat[1::2], strict=True))
    return iv, subs, pos + 6 * n


def _params_for(
    track: TrackProtection,
    sdis: list[int],
    groups_sbgp: list[tuple[int, int]] | None,
    local_groups: tuple[EncryptionParams, ...],
) -> tuple[list[SampleEntryProtection | None], list[EncryptionParams | None]]:
    """Per sample: its (protected) sample entry and the encryption params that apply."""
    entries = [track.entry(d) for d in sdis]
    params: list[EncryptionParams | None] = [e.tenc if e is not None else None for e in entries]
    if groups_sbgp:
        i = 0
        n = len(params)
        for run, gdi in groups_sbgp:
            if i + run > n:
                run = n - i  # sbgp may describe more samples than the fragment holds
            if gdi != 0:
                if gdi > 0x10000:
                    k = gdi - 0x10001
                    table = local_groups
                else:
                    k = gdi - 1
                    table = track.seig_groups
                if not 0 <= k < len(table):
                    raise MalformedProtectionBox(
                        f"sample group description index {gdi} has no 'seig' entry",
                        box="sbgp",
                    )
                g = table[k]
                for j in range(i, i + run):
                    if entries[j] is not None:
                        params[j] = g
            i += run
            if i >= n:
                break
    return entries, params


def _traf(
    buf: memoryview,
    traf: Box,
    moof: Box,
    init: InitProtection,
    next_base: int,
    mdats: list[tuple[int, int]],
) -> tuple[TrackFragment, int]:
    tfhd_box = traf.child("tfhd")
    if tfhd_box is None:
        raise SampleLayoutError(f"{traf.path} has no tfhd")
    tfhd = _tfhd(tfhd_box)
    tid = tfhd.track_id
    track = init.track(tid)
    if track is None:
        raise MissingProtectionInfo(
            f"fragment track {tid} is not in the init segment", track_id=tid
        )
    if tfhd.base_data_offset is not None:
        base = tfhd.base_data_offset
    elif tfhd.flags & 0x20000:
        base = moof.offset
    else:
        base = next_base
    sdi = tfhd.description_index or track.default_sample_description_index
    default_size = tfhd.default_size if tfhd.default_size is not None else track.default_sample_size

    offsets: list[int] = []
    sizes: list[int] = []
    run_starts: list[int] = []
    senc_box: Box | None = None
    saiz_box: Box | None = None
    saio_box: Box | None = None
    sbgp: list[tuple[int, int]] | None = None
    neutralize: list[int] = []
    scheme = track.protection.scheme if track.protection is not None else None
    pos = base
    for b in traf.children():
        t = b.type
        if t == "trun":
            data_offset, run_sizes = _trun(b, default_size, tid)
            if data_offset is not None:
                pos = base + data_offset
            run_starts.append(len(sizes))
            for s in run_sizes:
                offsets.append(pos)
                pos += s
            sizes.extend(run_sizes)
        elif t == "senc" or (t == "uuid" and b.usertype == PIFF_SENC_UUID):
            senc_box = b
            neutralize.append(b.offset)
        elif t == "saiz":
            saiz_box = b
        elif t == "saio":
            saio_box = b
        elif t == "sbgp":
            groups = _sbgp_seig(b)
            if groups is not None:
                sbgp = groups
                neutralize.append(b.offset)
        elif t == "pssh":
            neutralize.append(b.offset)
    local_groups, sgpd_offsets = _seig_groups(traf)
    neutralize.extend(sgpd_offsets)
    n = len(sizes)
    _check_in_mdat(offsets, sizes, mdats, tid)

    if not track.encrypted:
        samples = tuple(
            Sample(o, s, sdi, None, b"", ()) for o, s in zip(offsets, sizes, strict=True)
        )
        return TrackFragment(tid, None, samples, "none", tuple(neutralize)), pos

    entries, params = _params_for(track, [sdi] * n, sbgp, local_groups)
    iv_sizes = [p.per_sample_iv_size if p is not None and p.is_protected else 0 for p in params]

    saiz = _saiz(saiz_box, scheme) if saiz_box is not None else None
    saio = _saio(saio_box, scheme) if saio_box is not None else None
    if saiz is not None and saiz.type_ok:
        neutralize.append(saiz_box.offset)  # type: ignore[union-attr]
    if saio is not None and saio[0]:
        neutralize.append(saio_box.offset)  # type: ignore[union-attr]
    aux: list[tuple[bytes, tuple[tuple[int, int], ...]]] | None = None
    source = "none"
    if senc_box is not None:
        aux, senc_data_start, override = _senc(buf, senc_box, iv_sizes, tid)
        if override is not None:
            params = [override if e is not None else None for e in entries]
        source = "senc"
        if saiz is not None and saiz.type_ok:
            _cross_check(buf, senc_box, aux, saiz, saio, moof, base, senc_data_start, iv_sizes, tid)
    elif saiz is not None and saio is not None and saiz.type_ok and saio[0]:
        aux = _aux_from_saio(buf, saiz, saio[1], run_starts, n, iv_sizes, base, tid)
        source = "saio"
    elif saiz is not None and saiz.type_ok and saiz.sample_count > 0:
        raise AuxInfoMismatch(f"track {tid}: saiz without saio and no senc", track_id=tid)

    out: list[Sample] = []
    for i in range(n):
        p = params[i]
        if aux is None or p is None or not p.is_protected:
            # No sample auxiliary information at all: the samples are stored in the clear
            # although the sample entry signals encryption (clear lead, corpus quirk).
            out.append(Sample(offsets[i], sizes[i], sdi, None, b"", ()))
            continue
        iv, subs = aux[i]
        if not iv:
            if p.constant_iv is None:
                raise SampleLayoutError(
                    f"sample {i} has neither a per-sample IV nor a constant IV", track_id=tid
                )
            iv = p.constant_iv
        if subs:
            total = 0
            for c, e in subs:
                total += c + e
            if total != sizes[i]:
                raise SampleLayoutError(
                    f"sample {i}: subsamples cover {total} bytes but the sample has {sizes[i]}",
                    track_id=tid,
                )
        out.append(Sample(offsets[i], sizes[i], sdi, p, iv, subs))
    return TrackFragment(tid, scheme, tuple(out), source, tuple(neutralize)), pos


def _check_in_mdat(
    offsets: list[int], sizes: list[int], mdats: list[tuple[int, int]], tid: int
) -> None:
    if not offsets:
        return
    starts = [m[0] for m in mdats]
    for o, s in zip(offsets, sizes, strict=True):
        k = bisect_right(starts, o) - 1
        if k < 0 or o + s > mdats[k][1]:
            raise SampleLayoutError(
                f"sample at offset {o} (size {s}) lies outside every mdat", track_id=tid
            )


def _senc(
    buf: memoryview, b: Box, iv_sizes: list[int], tid: int
) -> tuple[list[tuple[bytes, tuple[tuple[int, int], ...]]], int, EncryptionParams | None]:
    r = b.fields()
    r.u8()
    flags = r.u24()
    override = None
    if flags & 1:
        r.u24()
        iv_size = r.u8()
        kid = r.bytes(16)
        if iv_size not in (0, 8, 16):
            raise MalformedProtectionBox(f"override IV size {iv_size}", box=b.path)
        override = EncryptionParams(True, iv_size, kid)
        iv_sizes = [iv_size if s else 0 for s in iv_sizes]
    count = r.u32()
    if count != len(iv_sizes):
        raise AuxInfoMismatch(
            f"track {tid}: senc has {count} entries but the fragment has {len(iv_sizes)} samples",
            track_id=tid,
        )
    start = r.pos
    end = b.end
    pos = start
    subs_flag = bool(flags & 2)
    out = []
    for s in iv_sizes:
        iv, subs, pos = _read_aux_entry(buf, pos, end, s, subs_flag, tid)
        out.append((iv, subs))
    if pos != end:
        raise AuxInfoMismatch(
            f"track {tid}: senc has {end - pos} bytes left over after {count} entries "
            "(wrong IV size?)",
            track_id=tid,
        )
    return out, start, override


def _entry_size(iv: bytes, subs: tuple[tuple[int, int], ...], has_subs: bool) -> int:
    return len(iv) + (2 + 6 * len(subs) if has_subs else 0)


def _cross_check(
    buf: memoryview,
    senc: Box,
    aux: list[tuple[bytes, tuple[tuple[int, int], ...]]],
    saiz: _Aux,
    saio: tuple[bool, list[int]] | None,
    moof: Box,
    base: int,
    senc_data_start: int,
    iv_sizes: list[int],
    tid: int,
) -> None:
    if saiz.sample_count != len(aux):
        raise AuxInfoMismatch(
            f"track {tid}: saiz describes {saiz.sample_count} samples, senc {len(aux)}",
            track_id=tid,
        )
    has_subs = bool(senc.fields().uint(4) & 2)
    for i, (iv, subs) in enumerate(aux):
        expect = saiz.default_size if saiz.sizes is None else saiz.sizes[i]
        got = _entry_size(iv if iv_sizes[i] else b"", subs, has_subs)
        if expect != got:
            raise AuxInfoMismatch(
                f"track {tid}: saiz says sample {i} has {expect} bytes of aux info, senc {got}",
                track_id=tid,
            )
    if saio is not None and saio[0] and saio[1] and aux:
        first = saio[1][0]
        if senc_data_start not in (base + first, moof.offset + first):
            raise AuxInfoMismatch(
                f"track {tid}: saio offset {first} does not point at the senc entries",
                track_id=tid,
            )


def _aux_from_saio(
    buf: memoryview,
    saiz: _Aux,
    saio_offsets: list[int],
    run_starts: list[int],
    n: int,
    iv_sizes: list[int],
    base: int,
    tid: int,
) -> list[tuple[bytes, tuple[tuple[int, int], ...]]]:
    if saiz.sample_count != n:
        raise AuxInfoMismatch(
            f"track {tid}: saiz describes {saiz.sample_count} samples, the fragment has {n}",
            track_id=tid,
        )
    if len(saio_offsets) == 1:
        chunk_starts = {0: saio_offsets[0]}
    elif len(saio_offsets) == len(run_starts):
        chunk_starts = dict(zip(run_starts, saio_offsets, strict=True))
    else:
        raise AuxInfoMismatch(
            f"track {tid}: saio has {len(saio_offsets)} offsets for {len(run_starts)} runs",
            track_id=tid,
        )
    out = []
    pos = 0
    end = len(buf)
    for i in range(n):
        if i in chunk_starts:
            pos = base + chunk_starts[i]
        size = saiz.default_size if saiz.sizes is None else saiz.sizes[i]
        if pos < 0 or pos + size > end:
            raise AuxInfoMismatch(
                f"track {tid}: aux info of sample {i} lies outside the buffer", track_id=tid
            )
        iv_size = iv_sizes[i]
        has_subs = size > iv_size
        iv, subs, nxt = _read_aux_entry(buf, pos, pos + size, iv_size, has_subs, tid)
        if nxt != pos + size:
            raise AuxInfoMismatch(
                f"track {tid}: saiz size {size} of sample {i} does not match its content",
                track_id=tid,
            )
        out.append((iv, subs))
        pos += size
    return out


def parse_fragment(
    data: bytes | bytearray | memoryview,
    moof: Box,
    init: InitProtection,
    mdats: list[tuple[int, int]] | None = None,
) -> FragmentLayout:
    """Locate every sample of one ``moof`` (a box of ``data``) with its crypto parameters."""
    buf = moof.buffer
    if mdats is None:
        mdats = mdat_ranges(data)
    seq = 0
    trafs: list[TrackFragment] = []
    pssh: list[Pssh] = []
    next_base = moof.offset
    for b in moof.children():
        if b.type == "mfhd":
            r = b.fields(4)
            seq = r.u32()
        elif b.type == "traf":
            tf, next_base = _traf(buf, b, moof, init, next_base, mdats)
            trafs.append(tf)
        elif b.type == "pssh":
            pssh.append(parse_pssh(b))
    return FragmentLayout(moof.offset, seq, tuple(trafs), tuple(pssh))
