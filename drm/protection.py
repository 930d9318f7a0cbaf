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
from mediacore.fmp4 import (
    AuxInfoOffsets,
    AuxInfoSizes,
    SampleEncryption,
    SampleTable,
    SampleTableError,
    TrackDefaults,
    aux_entry,
    handler_of,
    read_fragments,
    read_saio,
    read_saiz,
    read_senc,
    track_defaults,
    track_id_of,
)

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
    "parse_segment",
    "parse_seig",
    "parse_tenc",
]

SCHEMES = frozenset({"cenc", "cens", "cbc1", "cbcs"})
"""The four ISO/IEC 23001-7 protection schemes."""

PIFF_SENC_UUID = bytes.fromhex("a2394f525a9b4f14a2446c427c648df4")
"""PIFF 1.1 SampleEncryptionBox usertype (the pre-standard 'senc')."""

ENCRYPTED_ENTRY_TYPES = frozenset({"encv", "enca", "enct", "encs", "encm", "encf", "encp"})

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


def _trak(trak: Box, trex: dict[int, TrackDefaults]) -> TrackProtection:
    if trak.child("tkhd") is None:
        raise MissingProtectionInfo(f"{trak.path} has no tkhd")
    track_id = track_id_of(trak)
    handler = handler_of(trak)
    mdia = trak.child("mdia")
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
    d = trex.get(track_id) or TrackDefaults()
    return TrackProtection(track_id, handler, tuple(entries), d.description_index, d.size, groups)


def parse_init(data: bytes | bytearray | memoryview) -> InitProtection:
    """Read the protection of every track of the ``moov`` in ``data`` (an init segment)."""
    moov = next((b for b in iter_boxes(data) if b.type == "moov"), None)
    if moov is None:
        raise MissingProtectionInfo("no moov box: not an init segment")
    trex = track_defaults(moov.raw())
    tracks = tuple(_trak(b, trex) for b in moov.children() if b.type == "trak")
    pssh = tuple(parse_pssh(b) for b in moov.children() if b.type == "pssh")
    return InitProtection(tracks, pssh)


# -------------------------------------------------------------------------- fragment


def mdat_ranges(data: bytes | bytearray | memoryview) -> list[tuple[int, int]]:
    """(start, end) of every top-level mdat payload."""
    return [(b.payload_offset, b.end) for b in iter_boxes(data) if b.type == "mdat"]


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


def _aux_ok(aux_type: str | None, scheme: str | None) -> bool:
    """A saiz/saio without a type, or typed with a CENC scheme, describes CENC aux info."""
    return aux_type is None or aux_type == scheme or aux_type in SCHEMES


def _aux_entry(
    buf: memoryview, pos: int, end: int, iv_size: int, has_subsamples: bool, track_id: int
) -> tuple[bytes, tuple[tuple[int, int], ...], int]:
    try:
        return aux_entry(buf, pos, end, iv_size, has_subsamples)
    except SampleTableError as exc:
        raise SampleLayoutError(exc.message, track_id=track_id) from None


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


@dataclass
class _TrafBoxes:
    """The auxiliary boxes of one traf that decryption reads, and the offsets of those to
    rename 'free' once the samples are clear."""

    senc: Box | None = None
    saiz: Box | None = None
    saio: Box | None = None
    sbgp: list[tuple[int, int]] | None = None
    local_groups: tuple[EncryptionParams, ...] = ()
    neutralize: list[int] = field(default_factory=list)


def _traf_boxes(traf: Box) -> _TrafBoxes:
    found = _TrafBoxes()
    for b in traf.children():
        t = b.type
        if t == "senc" or (t == "uuid" and b.usertype == PIFF_SENC_UUID):
            found.senc = b
            found.neutralize.append(b.offset)
        elif t == "saiz":
            found.saiz = b
        elif t == "saio":
            found.saio = b
        elif t == "sbgp":
            groups = _sbgp_seig(b)
            if groups is not None:
                found.sbgp = groups
                found.neutralize.append(b.offset)
        elif t == "pssh":
            found.neutralize.append(b.offset)
    found.local_groups, sgpd_offsets = _seig_groups(traf)
    found.neutralize.extend(sgpd_offsets)
    return found


def _traf(buf: memoryview, table: SampleTable, init: InitProtection) -> TrackFragment:
    """One traf's samples (located by :mod:`mediacore.fmp4`) with their crypto parameters."""
    tid = table.track_id
    track = init.track(tid)
    if track is None:
        raise MissingProtectionInfo(
            f"fragment track {tid} is not in the init segment", track_id=tid
        )
    sdi = table.description_index
    boxes = _traf_boxes(table.traf)
    if not track.encrypted:
        samples = tuple(
            Sample(o, s, sdi, None, b"", ())
            for o, s in zip(table.offsets, table.sizes, strict=True)
        )
        return TrackFragment(tid, None, samples, "none", tuple(boxes.neutralize))
    scheme = track.protection.scheme if track.protection is not None else None
    entries, params = _params_for(track, [sdi] * len(table), boxes.sbgp, boxes.local_groups)
    aux, source, params = _aux_info(buf, table, boxes, scheme, entries, params)
    samples = _located(table, params, aux)
    return TrackFragment(tid, scheme, samples, source, tuple(boxes.neutralize))


_AuxEntries = list[tuple[bytes, tuple[tuple[int, int], ...]]]


def _aux_boxes(
    boxes: _TrafBoxes, scheme: str | None, tid: int
) -> tuple[AuxInfoSizes | None, AuxInfoOffsets | None]:
    """The saiz and saio that describe CENC aux info (others are ignored)."""
    try:
        saiz = read_saiz(boxes.saiz) if boxes.saiz is not None else None
        saio = read_saio(boxes.saio) if boxes.saio is not None else None
    except SampleTableError as exc:
        raise AuxInfoMismatch(exc.message, track_id=tid) from None
    if saiz is not None and _aux_ok(saiz.aux_type, scheme):
        boxes.neutralize.append(boxes.saiz.offset)  # type: ignore[union-attr]
    else:
        saiz = None
    if saio is not None and _aux_ok(saio.aux_type, scheme):
        boxes.neutralize.append(boxes.saio.offset)  # type: ignore[union-attr]
    else:
        saio = None
    return saiz, saio


def _aux_info(
    buf: memoryview,
    table: SampleTable,
    boxes: _TrafBoxes,
    scheme: str | None,
    entries: list[SampleEntryProtection | None],
    params: list[EncryptionParams | None],
) -> tuple[_AuxEntries | None, str, list[EncryptionParams | None]]:
    """Per-sample IVs and subsamples from senc (checked against saiz/saio) or saiz/saio."""
    tid = table.track_id
    iv_sizes = [p.per_sample_iv_size if p is not None and p.is_protected else 0 for p in params]
    saiz, saio = _aux_boxes(boxes, scheme, tid)
    if boxes.senc is not None:
        aux, senc, override = _senc(buf, boxes.senc, iv_sizes, tid)
        if override is not None:
            params = [override if e is not None else None for e in entries]
        if saiz is not None:
            _cross_check(aux, saiz, saio, senc, table, iv_sizes)
        return aux, "senc", params
    if saiz is not None and saio is not None:
        return _aux_from_saio(buf, saiz, saio.offsets, table, iv_sizes), "saio", params
    if saiz is not None and saiz.sample_count > 0:
        raise AuxInfoMismatch(f"track {tid}: saiz without saio and no senc", track_id=tid)
    return None, "none", params


def _located(
    table: SampleTable, params: list[EncryptionParams | None], aux: _AuxEntries | None
) -> tuple[Sample, ...]:
    tid, sdi, sizes = table.track_id, table.description_index, table.sizes
    out: list[Sample] = []
    for i, offset in enumerate(table.offsets):
        p = params[i]
        if aux is None or p is None or not p.is_protected:
            # No sample auxiliary information at all: the samples are stored in the clear
            # although the sample entry signals encryption (clear lead, corpus quirk).
            out.append(Sample(offset, sizes[i], sdi, None, b"", ()))
            continue
        iv, subs = aux[i]
        if not iv:
            if p.constant_iv is None:
                raise SampleLayoutError(
                    f"sample {i} has neither a per-sample IV nor a constant IV", track_id=tid
                )
            iv = p.constant_iv
        if subs:
            total = sum(c + e for c, e in subs)
            if total != sizes[i]:
                raise SampleLayoutError(
                    f"sample {i}: subsamples cover {total} bytes but the sample has {sizes[i]}",
                    track_id=tid,
                )
        out.append(Sample(offset, sizes[i], sdi, p, iv, subs))
    return tuple(out)


def _senc(
    buf: memoryview, b: Box, iv_sizes: list[int], tid: int
) -> tuple[_AuxEntries, SampleEncryption, EncryptionParams | None]:
    try:
        senc = read_senc(b)
    except SampleTableError as exc:
        raise AuxInfoMismatch(exc.message, track_id=tid) from None
    override = None
    if senc.override_iv_size is not None:
        if senc.override_iv_size not in (0, 8, 16):
            raise MalformedProtectionBox(f"override IV size {senc.override_iv_size}", box=b.path)
        override = EncryptionParams(True, senc.override_iv_size, senc.override_kid)
        iv_sizes = [senc.override_iv_size if s else 0 for s in iv_sizes]
    if senc.count != len(iv_sizes):
        raise AuxInfoMismatch(
            f"track {tid}: senc has {senc.count} entries but the fragment has "
            f"{len(iv_sizes)} samples",
            track_id=tid,
        )
    pos = senc.entries_start
    out = []
    for s in iv_sizes:
        iv, subs, pos = _aux_entry(buf, pos, senc.end, s, senc.has_subsamples, tid)
        out.append((iv, subs))
    if pos != senc.end:
        raise AuxInfoMismatch(
            f"track {tid}: senc has {senc.end - pos} bytes left over after {senc.count} "
            "entries (wrong IV size?)",
            track_id=tid,
        )
    return out, senc, override


def _entry_size(iv: bytes, subs: tuple[tuple[int, int], ...], has_subs: bool) -> int:
    return len(iv) + (2 + 6 * len(subs) if has_subs else 0)


def _cross_check(
    aux: _AuxEntries,
    saiz: AuxInfoSizes,
    saio: AuxInfoOffsets | None,
    senc: SampleEncryption,
    table: SampleTable,
    iv_sizes: list[int],
) -> None:
    tid = table.track_id
    if saiz.sample_count != len(aux):
        raise AuxInfoMismatch(
            f"track {tid}: saiz describes {saiz.sample_count} samples, senc {len(aux)}",
            track_id=tid,
        )
    for i, (iv, subs) in enumerate(aux):
        expect = saiz.size(i)
        got = _entry_size(iv if iv_sizes[i] else b"", subs, senc.has_subsamples)
        if expect != got:
            raise AuxInfoMismatch(
                f"track {tid}: saiz says sample {i} has {expect} bytes of aux info, senc {got}",
                track_id=tid,
            )
    if saio is not None and saio.offsets and aux:
        first = saio.offsets[0]
        if senc.entries_start not in (table.base + first, table.moof.offset + first):
            raise AuxInfoMismatch(
                f"track {tid}: saio offset {first} does not point at the senc entries",
                track_id=tid,
            )


def _aux_from_saio(
    buf: memoryview,
    saiz: AuxInfoSizes,
    saio_offsets: tuple[int, ...],
    table: SampleTable,
    iv_sizes: list[int],
) -> _AuxEntries:
    tid, n, run_starts = table.track_id, len(table), table.run_starts
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
            pos = table.base + chunk_starts[i]
        size = saiz.size(i)
        if pos < 0 or pos + size > end:
            raise AuxInfoMismatch(
                f"track {tid}: aux info of sample {i} lies outside the buffer", track_id=tid
            )
        iv_size = iv_sizes[i]
        iv, subs, nxt = _aux_entry(buf, pos, pos + size, iv_size, size > iv_size, tid)
        if nxt != pos + size:
            raise AuxInfoMismatch(
                f"track {tid}: saiz size {size} of sample {i} does not match its content",
                track_id=tid,
            )
        out.append((iv, subs))
        pos += size
    return out


def _layout(
    buf: memoryview, moof: Box, tables: list[SampleTable], init: InitProtection
) -> FragmentLayout:
    seq = 0
    pssh: list[Pssh] = []
    for b in moof.children():
        if b.type == "mfhd":
            seq = b.fields(4).u32()
        elif b.type == "pssh":
            pssh.append(parse_pssh(b))
    trafs = tuple(_traf(buf, t, init) for t in tables)
    return FragmentLayout(moof.offset, seq, trafs, tuple(pssh))


def parse_segment(
    data: bytes | bytearray | memoryview, init: InitProtection
) -> list[FragmentLayout]:
    """Locate every sample of every ``moof`` of ``data`` with its crypto parameters.

    The sample tables come from the one fMP4 reader (:func:`mediacore.fmp4.read_fragments`),
    which refuses a table claiming more samples or bytes than ``data`` holds before any work
    proportional to the claim (:class:`~drm.errors.SampleLayoutError`).
    """
    buf = data if isinstance(data, memoryview) else memoryview(data)
    defaults = {
        t.track_id: TrackDefaults(
            size=t.default_sample_size, description_index=t.default_sample_description_index
        )
        for t in init.tracks
    }
    try:
        tables = read_fragments(buf, defaults)
    except SampleTableError as exc:
        raise SampleLayoutError(exc.message) from None
    by_moof: dict[int, list[SampleTable]] = {}
    for t in tables:
        by_moof.setdefault(t.moof.offset, []).append(t)
    return [
        _layout(buf, moof, by_moof.get(moof.offset, []), init)
        for moof in iter_boxes(buf)
        if moof.type == "moof"
    ]


def parse_fragment(
    data: bytes | bytearray | memoryview, moof: Box, init: InitProtection
) -> FragmentLayout:
    """The layout of one ``moof`` of ``data`` (see :func:`parse_segment`)."""
    for layout in parse_segment(data, init):
        if layout.offset == moof.offset:
            return layout
    raise MissingProtectionInfo(f"no moof at offset {moof.offset}")
