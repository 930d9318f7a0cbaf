"""The one fMP4 reader against PyAV's demuxer (FFmpeg's mov.c), on generated fragments and
on real libx264 clips with B-frames, plus its bounds on hostile sample tables."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediacore import fmp4
from mediacore.boxes import MalformedBox, box, find_all, full_box, iter_boxes
from mediacore.fmp4 import SampleTableError, read_fragments, read_init
from tests.fuzz.clips import encoded_clip
from tests.fuzz.fragments import Run, Traf, fragment


def _clip(movflags: str, editlist: bool = True) -> bytes:
    return encoded_clip(movflags, frames=18, gop=6, editlist=editlist)


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    boxes = list(iter_boxes(data))
    moov = next(b for b in boxes if b.type == "moov")
    moofs = [b for b in boxes if b.type == "moof"]
    ends = [b.offset for b in moofs[1:]] + [len(data)]
    return data[: moov.end], [data[m.offset : e] for m, e in zip(moofs, ends, strict=True)]


def _demuxed(init: bytes, segment: bytes) -> list[av.Packet]:
    with av.open(io.BytesIO(init + segment), mode="r", format="mp4") as c:
        return [p for p in c.demux(video=0) if p.size]


def _ours(init: bytes, segment: bytes) -> list[tuple[int, int, int, int, bytes, bool]]:
    """(dts, pts, duration, size, bytes, key) of every sample, as the decoder builds them."""
    (track,) = read_init(init)
    out = []
    for t in read_fragments(segment, {track.track_id: track.defaults}, origin=len(init)):
        dts = t.decode_time - track.edit_offset
        for i, off in enumerate(t.offsets):
            cto, size = t.composition_offsets[i], t.sizes[i]
            key = t.is_sync(i)
            out.append((dts, dts + cto, t.durations[i], size, segment[off : off + size], key))
            dts += t.durations[i]
    return out


def _with_trun_version(segment: bytes, version: int) -> bytes:
    out = bytearray(segment)
    for trun in find_all(segment, "moof/traf/trun"):
        out[trun.payload_offset] = version
    return bytes(out)


@pytest.mark.parametrize("negative", [False, True])
@pytest.mark.parametrize("version", [0, 1])
def test_real_clips_read_as_pyav_demuxes_them(negative: bool, version: int) -> None:
    """libx264 with B-frames: ``+cmaf`` writes trun v1 with negative offsets (and no edit
    list), else v0 with positive ones and an edit list. Either version byte reads the same,
    as FFmpeg reads both as signed; FFmpeg adds its ``dts_shift`` (the largest negative
    offset) to every pts, so pts agree up to that constant."""
    flags = "frag_keyframe+empty_moov+default_base_moof" + ("+cmaf" if negative else "")
    init, segments = _split(_clip(flags, editlist=not negative))
    assert len(segments) >= 3
    seen_negative = False
    for seg in segments:
        seg = _with_trun_version(seg, version)
        ours, theirs = _ours(init, seg), _demuxed(init, seg)
        assert len(ours) == len(theirs) > 0
        shift = max(0, -min(p - d for d, p, *_ in ours))
        seen_negative |= shift > 0
        for (dts, pts, duration, size, data, key), p in zip(ours, theirs, strict=True):
            assert (dts, pts + shift, duration, size, key) == (
                p.dts,
                p.pts,
                p.duration,
                p.size,
                p.is_keyframe,
            )
            assert data == bytes(p)
    assert seen_negative == negative


_SAMPLE = st.tuples(
    st.integers(1, 300),  # size
    st.integers(1, 4000),  # duration
    st.integers(-3000, 3000),  # composition offset
    st.booleans(),  # sync
)
_COLUMNS = st.frozensets(st.sampled_from(["duration", "size", "flags", "cto"]))


@st.composite
def _runs(draw: st.DrawFn) -> tuple[Run, ...]:
    runs = []
    for _ in range(draw(st.integers(1, 3))):
        columns = draw(_COLUMNS) | {"size", "duration"}  # defaults tested below
        samples = draw(st.lists(_SAMPLE, min_size=1, max_size=6))
        if "cto" not in columns:
            samples = [(s, d, 0, k) for s, d, _, k in samples]
        runs.append(
            Run(
                tuple(samples),
                version=draw(st.sampled_from([0, 1])),
                columns=frozenset(columns),
                gap=draw(st.integers(0, 40)),
            )
        )
    return tuple(runs)


@st.composite
def _trafs(draw: st.DrawFn) -> tuple[Traf, ...]:
    trafs = []
    for i in range(draw(st.integers(1, 2))):
        trafs.append(
            Traf(
                1,
                draw(_runs()),
                decode_time=draw(st.integers(0, 2**40)),
                tfdt_version=1,
                base_is_moof=i == 0 or draw(st.booleans()),
            )
        )
    return tuple(trafs)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trafs=_trafs())
def test_generated_fragments_read_as_pyav_demuxes_them(trafs: tuple[Traf, ...]) -> None:
    """Random sample tables (both trun versions, negative offsets, gaps between runs, a
    second traf based on the moof or on where the previous traf's data ended) give PyAV's
    dts, pts (up to its dts_shift), durations, sizes and bytes.

    Two cases where FFmpeg departs from ISO/IEC 14496-12 are left out, and the reader
    follows the standard (tested below and in tests/drm): a ``trun`` without
    ``data_offset`` after another run continues after that run's data (8.8.8.1; FFmpeg
    restarts at the base offset), and a second ``traf`` of a track without ``tfdt``
    continues its decode time (FFmpeg restarts at the moof's first ``tfdt``).
    (Key flags are not compared here: for H.264 FFmpeg's parser decides them from the
    payload, which is not a real picture; the real clips above compare them.)"""
    init, _ = _split(_clip("frag_keyframe+empty_moov+default_base_moof"))
    seg = fragment(trafs)
    ours, theirs = _ours(init, seg), _demuxed(init, seg)
    assert len(ours) == len(theirs)
    shift = max(0, -min(p - d for d, p, *_ in ours))
    for (dts, pts, duration, size, data, _key), p in zip(ours, theirs, strict=True):
        assert (dts, pts + shift, duration, size) == (p.dts, p.pts, p.duration, p.size)
        assert data == bytes(p)


def test_tfhd_and_trex_defaults_and_first_sample_flags() -> None:
    run = Run(((100, 0, 0, True), (100, 0, 0, False)), columns=frozenset())
    seg = fragment((Traf(7, (run,), default_duration=512, default_size=100),))
    (t,) = read_fragments(seg, {7: fmp4.TrackDefaults(duration=1, size=1, flags=0x1010000)})
    assert t.durations == (512, 512) and t.sizes == (100, 100)
    assert [t.is_sync(i) for i in range(2)] == [True, False]  # first_sample_flags, then trex
    (u,) = read_fragments(
        fragment((Traf(7, (Run(((100, 9, 0, False),), columns=frozenset({"size"})),)),)),
        {0: fmp4.TrackDefaults(duration=33)},
    )
    assert u.durations == (33,)  # the fallback defaults (key 0) for a track not listed


def test_explicit_base_data_offset_counts_from_the_file() -> None:
    """tfhd base_data_offset is a file offset: ``origin`` says where the buffer starts."""
    payload = bytes(range(50))
    body = struct.pack(">IQ", 1, 0)  # patched below
    tfhd_at = 8 + 16 + 8  # moof header, mfhd, traf header
    trun = full_box("trun", 0, 0x201, struct.pack(">Ii", 1, 0), struct.pack(">I", 50))
    moof = box(
        "moof", full_box("mfhd", 0, 0, b"\0\0\0\1"), box("traf", full_box("tfhd", 0, 1, body), trun)
    )
    seg = bytearray(moof + box("mdat", payload))
    struct.pack_into(">Q", seg, tfhd_at + 12 + 4, 1000 + len(moof) + 8)
    (t,) = read_fragments(bytes(seg), origin=1000)
    assert t.offsets == (len(moof) + 8,) and bytes(seg[t.offsets[0] :][:50]) == payload
    with pytest.raises(SampleTableError, match="outside"):
        read_fragments(bytes(seg))  # read as if the segment started the file


def _hostile(counts: int, per_run: int, trun_flags: int = 0, mdat: int = 95_000) -> bytes:
    tfhd = full_box("tfhd", 0, 0x02_0000, struct.pack(">I", 1))
    truns = [full_box("trun", 0, trun_flags, struct.pack(">I", per_run)) for _ in range(counts)]
    moof = box("moof", full_box("mfhd", 0, 0, b"\0\0\0\1"), box("traf", tfhd, *truns))
    return moof + box("mdat", bytes(mdat))


@pytest.mark.parametrize(
    ("runs", "per_run", "flags"),
    [(16, 1 << 20, 0), (64, 1 << 20, 0), (1, 1 << 31, 0), (1, 0xFFFF_FFFF, 0x200)],
)
def test_hostile_counts_fail_fast_in_bounded_memory(runs: int, per_run: int, flags: int) -> None:
    """Issue 17: 16 truns of 2^20 zero-size samples in 95 KB (54 s and 2.5 GiB before), a
    trun claiming 2^31 samples, and one claiming 2^32-1 sizes it does not hold."""
    seg = _hostile(runs, per_run, flags)
    tracemalloc.start()
    cpu = time.thread_time()
    with pytest.raises(SampleTableError):
        read_fragments(seg)
    spent = time.thread_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert spent < 0.5 and peak < 8 << 20


def test_sizes_cannot_sum_past_the_mdat_and_counts_past_the_bytes() -> None:
    ok = fragment((Traf(1, (Run(((10, 1, 0, True),) * 3),)),))
    assert len(read_fragments(ok)[0]) == 3
    cut = ok[:-1]  # the mdat box now lies about its size
    with pytest.raises(MalformedBox):
        read_fragments(cut)
    fixed = bytearray(cut)
    mdat = next(b for b in iter_boxes(ok) if b.type == "mdat")
    struct.pack_into(">I", fixed, mdat.offset, mdat.size - 1)
    with pytest.raises(SampleTableError, match="outside the segment"):
        read_fragments(bytes(fixed))
    # zero-size samples without a per-sample table: at most one per byte of the buffer
    zero = _hostile(1, 200, mdat=10)
    with pytest.raises(SampleTableError, match="samples in"):
        read_fragments(zero)
    assert len(read_fragments(_hostile(1, 50, mdat=10))[0]) == 50
    most = fmp4.MAX_FRAGMENT_SAMPLES
    assert len(read_fragments(_hostile(1, most, mdat=most))[0]) == most
    with pytest.raises(SampleTableError, match="samples in"):
        read_fragments(_hostile(2, most // 2 + 1, mdat=2 * most))


def test_decode_times_continue_and_stay_in_int64() -> None:
    a = Traf(1, (Run(((1, 100, 0, True),) * 2),), decode_time=500)
    b = Traf(1, (Run(((1, 100, 0, True),)),), decode_time=None, base_is_moof=False)
    t1, t2 = read_fragments(fragment((a, b)))
    assert (t1.decode_time, t1.decode_end, t2.decode_time) == (500, 700, 700)
    assert t2.offsets[0] == t1.data_end
    runs = (Run(((3, 1, 0, True),), gap=5), Run(((4, 1, 0, True),), data_offset=False))
    (t,) = read_fragments(fragment((Traf(1, runs),)))
    assert t.offsets[1] == t.offsets[0] + 3 and t.run_starts == (0, 1)  # 8.8.8.1
    late = Traf(1, (Run(((1, 100, 0, True),)),), decode_time=(1 << 63) - 50)
    with pytest.raises(SampleTableError, match="int64"):
        read_fragments(fragment((late,)))


def test_senc_saiz_saio_bounds_are_typed() -> None:
    senc = box("senc", b"\0\0\0\2", struct.pack(">I", 0xFFFF_FFFF))
    with pytest.raises(SampleTableError):
        fmp4.read_senc(next(iter_boxes(senc)))
    saiz = box("saiz", b"\0\0\0\0", b"\0", struct.pack(">I", 1000), bytes(10))
    with pytest.raises(SampleTableError):
        fmp4.read_saiz(next(iter_boxes(saiz)))
    saio = box("saio", b"\1\0\0\0", struct.pack(">I", 3), bytes(16))
    with pytest.raises(SampleTableError):
        fmp4.read_saio(next(iter_boxes(saio)))
    entry = memoryview(bytes(8) + b"\0\2" + struct.pack(">HIHI", 1, 2, 3, 4))
    assert fmp4.aux_entry(entry, 0, len(entry), 8, True) == (bytes(8), ((1, 2), (3, 4)), 22)
    with pytest.raises(SampleTableError, match="subsamples"):
        fmp4.aux_entry(entry, 0, len(entry) - 1, 8, True)


def test_init_tracks() -> None:
    init, _ = _split(_clip("frag_keyframe+empty_moov+default_base_moof"))
    (track,) = read_init(init)
    assert (track.handler, track.sample_entry, track.timescale) == ("vide", "avc1", 12800)
    assert read_init(b"") == ()
