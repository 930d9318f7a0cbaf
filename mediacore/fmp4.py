"""The one fragmented-MP4 reader (ISO/IEC 14496-12 8.8, ISO/IEC 23001-7 7): what an init
says about its tracks and the typed sample table of every ``moof/traf`` of a segment.

Used by decryption (:mod:`drm.protection`), the packet decoder and the decode-off sample
timer (:mod:`nrdp.media`) and the packager's fragment reader, so they cannot disagree.

Rules it applies, once:

* Base data offset (8.8.7.1): an explicit ``base_data_offset`` counts from the start of the
  file, so ``origin`` (the file offset of the buffer's first byte) is subtracted; else
  ``default-base-is-moof`` or the first ``traf`` of a ``moof`` start at the ``moof``; a later
  ``traf`` starts where the previous one's data ended. A ``trun`` without ``data_offset``
  continues after the previous run.
* Composition offsets are signed for both ``trun`` versions. The standard declares version 0
  unsigned, but FFmpeg's mov demuxer (and so PyAV) reads every version as ``int32`` and some
  packagers write negative version-0 offsets; reading them the same way keeps the decoder's
  times equal to the demuxer's.
* Bounds: a ``trun`` cannot hold more per-sample entries than its payload has bytes for, a
  buffer cannot describe more samples than it has bytes (nor more than
  :data:`MAX_FRAGMENT_SAMPLES`), and every run of samples must lie inside one ``mdat``
  payload. A lie raises :class:`SampleTableError` before any work proportional to it.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from mediacore.boxes import Box, FieldReader, MalformedBox, find_all, find_first, iter_boxes

__all__ = [
    "MAX_FRAGMENT_SAMPLES",
    "SAMPLE_IS_NON_SYNC",
    "AuxInfoOffsets",
    "AuxInfoSizes",
    "InitTrack",
    "SampleEncryption",
    "SampleTable",
    "SampleTableError",
    "TrackDefaults",
    "aux_entry",
    "edit_offset",
    "handler_of",
    "read_fragments",
    "read_init",
    "read_saio",
    "read_saiz",
    "read_senc",
    "sample_defaults",
    "timescale_of",
    "track_defaults",
    "track_id_of",
]

MAX_FRAGMENT_SAMPLES = 1 << 16
"""Most samples one buffer may describe: 65,536, against about 1,200 for 10 s of 120 fps
video and 470 for 10 s of AAC. Zero-size samples escape the ``mdat`` bound, so this cap is
what keeps the per-sample work of every consumer (decryption, decoding, the decode-off
timer) to a fraction of a second and a few MB, whatever a segment claims."""

SAMPLE_IS_NON_SYNC = 0x0001_0000
"""``sample_is_non_sync_sample`` bit of ISO-BMFF sample flags."""

_TFHD_BASE_DATA_OFFSET = 0x01
_TFHD_DESCRIPTION = 0x02
_TFHD_DURATION = 0x08
_TFHD_SIZE = 0x10
_TFHD_FLAGS = 0x20
_TFHD_BASE_IS_MOOF = 0x02_0000
_TRUN_DATA_OFFSET = 0x01
_TRUN_FIRST_FLAGS = 0x04
_TRUN_COLUMNS = (0x100, 0x200, 0x400, 0x800)  # duration, size, flags, composition offset
_INT64 = 1 << 63


class SampleTableError(MalformedBox):
    """A fragment's sample table describes more samples or bytes than the buffer holds."""

    code = 5003


# ---------------------------------------------------------------------------------- init


@dataclass(frozen=True, slots=True)
class TrackDefaults:
    """The ``trex`` defaults a fragment's ``tfhd``/``trun`` fall back on."""

    duration: int = 0
    size: int = 0
    flags: int = 0
    description_index: int = 1


@dataclass(frozen=True, slots=True)
class InitTrack:
    """One ``trak`` of an init: identity, timing and the fragment defaults."""

    track_id: int
    handler: str
    timescale: int
    defaults: TrackDefaults
    edit_offset: int
    """Subtracted from every decode time, as FFmpeg's mov demuxer applies the edit list."""
    sample_entry: str
    """Four-character code of the first ``stsd`` entry (``""`` without one)."""


def handler_of(trak: Box) -> str:
    hdlr = find_first(trak, "mdia/hdlr")
    if hdlr is None:
        return ""
    return hdlr.fields(8).fourcc()  # after version/flags and pre_defined


def timescale_of(box: Box) -> int:
    """The timescale of an ``mvhd`` or ``mdhd`` (same layout up to it)."""
    version, _ = box.full_header()
    r = box.fields(4)
    r.skip(16 if version == 1 else 8)
    scale = r.u32()
    if not scale:
        raise MalformedBox("timescale 0", path=box.path, offset=box.offset)
    return scale


def track_id_of(trak: Box) -> int:
    tkhd = trak.child("tkhd")
    if tkhd is None:
        raise MalformedBox("trak has no tkhd", path=trak.path, offset=trak.offset)
    version, _ = tkhd.full_header()
    r = tkhd.fields(4)
    r.skip(16 if version == 1 else 8)
    return r.u32()


def track_defaults(init: bytes | bytearray | memoryview) -> dict[int, TrackDefaults]:
    """Every ``trex`` of the init's ``moov/mvex`` by track id."""
    out: dict[int, TrackDefaults] = {}
    for trex in find_all(init, "moov/mvex/trex"):
        r = trex.fields(4)
        track_id, index = r.u32(), r.u32()
        out.setdefault(track_id, TrackDefaults(r.u32(), r.u32(), r.u32(), index))
    return out


def sample_defaults(init: bytes | bytearray | memoryview, track_id: int) -> TrackDefaults:
    return track_defaults(init).get(track_id) or TrackDefaults()


def edit_offset(trak: Box, movie_timescale: int, timescale: int) -> int:
    """FFmpeg's ``time_offset``: ``media_time`` of the first edit, less a leading empty edit
    (rescaled from the movie's timescale to the track's, rounded to nearest)."""
    elst = find_first(trak, "edts/elst")
    if elst is None:
        return 0
    version, _ = elst.full_header()
    r = elst.fields(4)
    count = r.u32()
    width = 20 if version == 1 else 12
    if count * width > r.remaining:
        raise SampleTableError(f"{count} edits in {r.remaining} bytes", path=elst.path, offset=0)
    empty, start, first = 0, 0, 0
    bits = 64 if version == 1 else 32
    for i in range(count):
        duration = r.uint(bits // 8)
        raw = r.uint(bits // 8)
        media_time = raw - (1 << bits) if raw >> (bits - 1) else raw
        r.skip(4)  # media_rate
        if i == 0 and media_time == -1:
            empty, first = duration, 1
        elif i == first and media_time >= 0:
            start = media_time
    return start - (empty * timescale + movie_timescale // 2) // movie_timescale


def _sample_entry_type(trak: Box) -> str:
    stsd = find_first(trak, "mdia/minf/stbl/stsd")
    entry = next(stsd.children(8), None) if stsd is not None else None
    return entry.type if entry is not None else ""


def read_init(init: bytes | bytearray | memoryview) -> tuple[InitTrack, ...]:
    """Every track of the init's ``moov`` with a media header, in file order."""
    moov = find_first(init, "moov")
    if moov is None:
        return ()
    mvhd = moov.child("mvhd")
    out: list[InitTrack] = []
    for trak in find_all(moov, "trak"):
        mdhd = find_first(trak, "mdia/mdhd")
        if mdhd is None:
            continue
        timescale = timescale_of(mdhd)
        track_id = track_id_of(trak)
        movie = timescale_of(mvhd) if mvhd is not None else timescale
        out.append(
            InitTrack(
                track_id,
                handler_of(trak),
                timescale,
                sample_defaults(init, track_id),
                edit_offset(trak, movie, timescale),
                _sample_entry_type(trak),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------ fragment


@dataclass(frozen=True, slots=True)
class SampleTable:
    """The samples of one ``traf``, column by column, in decode order.

    ``offsets`` are positions in the buffer that was read; times are in the track's
    timescale, ``composition_offsets`` signed. ``run_starts`` is the index of each ``trun``'s
    first sample (``saio`` may give one offset per run).
    """

    track_id: int
    moof: Box
    traf: Box
    description_index: int
    decode_time: int
    base: int
    offsets: tuple[int, ...]
    sizes: tuple[int, ...]
    durations: tuple[int, ...]
    composition_offsets: tuple[int, ...]
    flags: tuple[int, ...]
    run_starts: tuple[int, ...]
    data_end: int
    """Where the last run's data ends: the next ``traf``'s default base."""

    def __len__(self) -> int:
        return len(self.sizes)

    def is_sync(self, i: int) -> bool:
        return not self.flags[i] & SAMPLE_IS_NON_SYNC

    @property
    def decode_end(self) -> int:
        """The decode time after the last sample."""
        return self.decode_time + sum(self.durations)


@dataclass(frozen=True, slots=True)
class _TrafHeader:
    track_id: int
    base: int
    description_index: int
    duration: int
    size: int
    flags: int


def _tfhd(
    traf: Box, moof: Box, next_base: int, origin: int, known: Mapping[int, TrackDefaults]
) -> _TrafHeader:
    tfhd = traf.child("tfhd")
    if tfhd is None:
        raise MalformedBox("traf has no tfhd", path=traf.path, offset=traf.offset)
    _, flags = tfhd.full_header()
    r = tfhd.fields(4)
    track_id = r.u32()
    d = known.get(track_id) or known.get(0) or TrackDefaults()
    if flags & _TFHD_BASE_DATA_OFFSET:
        base = r.u64() - origin
    elif flags & _TFHD_BASE_IS_MOOF:
        base = moof.offset
    else:
        base = next_base
    index = r.u32() if flags & _TFHD_DESCRIPTION else d.description_index
    duration = r.u32() if flags & _TFHD_DURATION else d.duration
    size = r.u32() if flags & _TFHD_SIZE else d.size
    sflags = r.u32() if flags & _TFHD_FLAGS else d.flags
    return _TrafHeader(track_id, base, index, duration, size, sflags)


def _decode_time(traf: Box) -> int | None:
    tfdt = traf.child("tfdt")
    if tfdt is None:
        return None
    version, _ = tfdt.full_header()
    r = tfdt.fields(4)
    return r.u64() if version == 1 else r.u32()


def _signed(values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(v - (1 << 32) if v & 0x8000_0000 else v for v in values)


class _Columns:
    """The growing columns of one traf while its runs are read."""

    __slots__ = ("ctos", "durations", "flags", "offsets", "run_starts", "sizes")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.sizes: list[int] = []
        self.durations: list[int] = []
        self.ctos: list[int] = []
        self.flags: list[int] = []
        self.run_starts: list[int] = []


class _Budget:
    """Samples a buffer may still describe and where its ``mdat`` payloads are."""

    __slots__ = ("left", "mdats", "size", "starts", "total")

    def __init__(self, data: memoryview) -> None:
        self.size = len(data)
        self.total = min(MAX_FRAGMENT_SAMPLES, len(data))
        self.left = self.total
        self.mdats = [(b.payload_offset, b.end) for b in iter_boxes(data) if b.type == "mdat"]
        self.starts = [m[0] for m in self.mdats]

    def take(self, count: int, trun: Box) -> None:
        if count > self.left:
            raise SampleTableError(
                f"{count} samples in {self.size} bytes, {self.total - self.left} already: at "
                f"most one per byte and {MAX_FRAGMENT_SAMPLES} in all",
                path=trun.path,
                offset=trun.offset,
            )
        self.left -= count

    def check_run(self, start: int, end: int, trun: Box) -> None:
        k = bisect_right(self.starts, start) - 1
        if k < 0 or end > self.mdats[k][1] or start < 0:
            raise SampleTableError(
                f"samples at {start}..{end} lie outside the segment's mdat payloads",
                path=trun.path,
                offset=trun.offset,
            )


def _run(trun: Box, head: _TrafHeader, pos: int, cols: _Columns, budget: _Budget) -> int:
    """Append one ``trun``'s samples to ``cols``; the data position after them."""
    _, tf = trun.full_header()
    r = trun.fields(4)
    count = r.u32()
    if tf & _TRUN_DATA_OFFSET:
        pos = head.base + r.i32()
    first_flags = r.u32() if tf & _TRUN_FIRST_FLAGS else None
    has = [bool(tf & f) for f in _TRUN_COLUMNS]
    width = sum(has)
    if count * width * 4 > r.remaining:
        raise SampleTableError(
            f"trun of {count} samples needs {count * width * 4} bytes, has {r.remaining}",
            path=trun.path,
            offset=trun.offset,
        )
    budget.take(count, trun)
    values = r.array("I", count * width) if width else ()
    col = 0

    def column(present: bool, default: int) -> tuple[int, ...]:
        nonlocal col
        if not present:
            return (default,) * count
        col += 1
        return values[col - 1 :: width]

    durations = column(has[0], head.duration)
    sizes = column(has[1], head.size)
    flags = column(has[2], head.flags)
    ctos = _signed(column(has[3], 0)) if has[3] else (0,) * count
    if count and first_flags is not None:
        flags = (first_flags, *flags[1:])
    cols.run_starts.append(len(cols.sizes))
    start = pos
    for s in sizes:
        cols.offsets.append(pos)
        pos += s
    if pos != start:  # zero bytes lie nowhere: the sample count bound covers them
        budget.check_run(start, pos, trun)
    cols.sizes.extend(sizes)
    cols.durations.extend(durations)
    cols.flags.extend(flags)
    cols.ctos.extend(ctos)
    return pos


def _table(
    traf: Box, moof: Box, head: _TrafHeader, decode_time: int, budget: _Budget
) -> SampleTable:
    cols = _Columns()
    pos = head.base
    for trun in traf.children():
        if trun.type == "trun":
            pos = _run(trun, head, pos, cols, budget)
    table = SampleTable(
        head.track_id,
        moof,
        traf,
        head.description_index,
        decode_time,
        head.base,
        tuple(cols.offsets),
        tuple(cols.sizes),
        tuple(cols.durations),
        tuple(cols.ctos),
        tuple(cols.flags),
        tuple(cols.run_starts),
        pos,
    )
    if table.decode_end + max(table.composition_offsets, default=0) >= _INT64:
        raise SampleTableError("sample time outside int64", path=traf.path, offset=traf.offset)
    return table


def read_fragments(
    data: bytes | bytearray | memoryview,
    defaults: Mapping[int, TrackDefaults] | None = None,
    *,
    origin: int = 0,
) -> list[SampleTable]:
    """The sample table of every ``traf`` of every top-level ``moof`` of ``data``, in order.

    ``defaults`` maps track ids to their ``trex`` defaults (key 0: any other track).
    ``origin`` is the file offset of ``data[0]`` (explicit base data offsets count from the
    file's start). A ``traf`` without ``tfdt`` continues its track's previous decode time.
    Raises :class:`~mediacore.boxes.MalformedBox` on damaged boxes and
    :class:`SampleTableError` on a table that claims more than the buffer holds.
    """
    buf = data if isinstance(data, memoryview) else memoryview(data)
    known = defaults or {}
    budget = _Budget(buf)
    clock: dict[int, int] = {}
    out: list[SampleTable] = []
    for moof in iter_boxes(buf):
        if moof.type != "moof":
            continue
        next_base = moof.offset
        for traf in moof.children():
            if traf.type != "traf":
                continue
            head = _tfhd(traf, moof, next_base, origin, known)
            start = _decode_time(traf)
            if start is None:
                start = clock.get(head.track_id, 0)
            table = _table(traf, moof, head, start, budget)
            clock[head.track_id] = table.decode_end
            next_base = table.data_end
            out.append(table)
    return out


# ----------------------------------------------------- sample auxiliary info (CENC 7.2)


@dataclass(frozen=True, slots=True)
class SampleEncryption:
    """A ``senc`` (or PIFF ``uuid``) header: where its per-sample entries start."""

    flags: int
    count: int
    entries_start: int
    end: int
    override_iv_size: int | None = None
    override_kid: bytes = b""

    @property
    def has_subsamples(self) -> bool:
        return bool(self.flags & 0x02)


@dataclass(frozen=True, slots=True)
class AuxInfoSizes:
    """A ``saiz``: the size of each sample's auxiliary information."""

    aux_type: str | None
    default_size: int
    sizes: tuple[int, ...] | None
    sample_count: int

    def size(self, i: int) -> int:
        return self.default_size if self.sizes is None else self.sizes[i]


@dataclass(frozen=True, slots=True)
class AuxInfoOffsets:
    """A ``saio``: where each chunk's auxiliary information starts."""

    aux_type: str | None
    offsets: tuple[int, ...]


def read_senc(b: Box) -> SampleEncryption:
    r = b.fields()
    r.u8()
    flags = r.u24()
    iv_size: int | None = None
    kid = b""
    if flags & 0x01:
        r.u24()
        iv_size = r.u8()
        kid = r.bytes(16)
    count = r.u32()
    if count > MAX_FRAGMENT_SAMPLES:
        raise SampleTableError(f"senc claims {count} entries", path=b.path, offset=b.offset)
    return SampleEncryption(flags, count, r.pos, b.end, iv_size, kid)


def _aux_type(r: FieldReader, flags: int) -> str | None:
    if not flags & 0x01:
        return None
    aux_type = r.fourcc()
    r.u32()  # aux_info_type_parameter
    return aux_type


def read_saiz(b: Box) -> AuxInfoSizes:
    r = b.fields()
    r.u8()
    aux_type = _aux_type(r, r.u24())
    default = r.u8()
    count = r.u32()
    sizes = None
    if default == 0:
        if count > r.remaining:
            raise SampleTableError(
                f"saiz sample count {count} exceeds its size table", path=b.path, offset=b.offset
            )
        sizes = tuple(r.view(count))
    elif count > MAX_FRAGMENT_SAMPLES:
        raise SampleTableError(f"saiz claims {count} samples", path=b.path, offset=b.offset)
    return AuxInfoSizes(aux_type, default, sizes, count)


def read_saio(b: Box) -> AuxInfoOffsets:
    r = b.fields()
    version = r.u8()
    aux_type = _aux_type(r, r.u24())
    n = r.u32()
    width = 8 if version == 1 else 4
    if n * width > r.remaining:
        raise SampleTableError(
            f"saio entry count {n} exceeds its offset table", path=b.path, offset=b.offset
        )
    return AuxInfoOffsets(aux_type, r.array("Q" if version == 1 else "I", n))


_SUBSAMPLE_STRUCTS: dict[int, struct.Struct] = {}


def aux_entry(
    buf: memoryview, pos: int, end: int, iv_size: int, has_subsamples: bool
) -> tuple[bytes, tuple[tuple[int, int], ...], int]:
    """(IV, ((clear, protected), ...), next position) of one CencSampleAuxiliaryDataFormat
    entry at ``pos``, which must end by ``end``."""
    if pos + iv_size > end:
        raise SampleTableError("sample auxiliary info truncated (IV)", path="aux", offset=pos)
    iv = bytes(buf[pos : pos + iv_size])
    pos += iv_size
    if not has_subsamples:
        return iv, (), pos
    if pos + 2 > end:
        raise SampleTableError(
            "sample auxiliary info truncated (subsample count)", path="aux", offset=pos
        )
    n = (buf[pos] << 8) | buf[pos + 1]
    pos += 2
    if pos + 6 * n > end:
        raise SampleTableError(
            f"{n} subsamples run past the auxiliary info", path="aux", offset=pos
        )
    st = _SUBSAMPLE_STRUCTS.get(n)
    if st is None:
        st = struct.Struct(">" + "HI" * n)
        if n <= 64:  # the usual few; a crafted count must not grow the cache
            _SUBSAMPLE_STRUCTS[n] = st
    flat = st.unpack_from(buf, pos)
    return iv, tuple(zip(flat[0::2], flat[1::2], strict=True)), pos + 6 * n
