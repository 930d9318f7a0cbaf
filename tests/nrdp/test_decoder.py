"""Packets built from the fragment's boxes decode to exactly what ``av.open`` gives.

Real media: the packager's encoded test title (clear H.264 + AAC, 10 fps, 1 s segments),
plus tiny libx264 clips with B-frames and an edit list made here. Every reference frame is
decoded by PyAV's own demuxer (``av.open(init + segment)``), independently of the SDK.
"""

from __future__ import annotations

import hashlib
import io
import struct

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_backend.packager.frame_id import read_frame_id
from mediacore.boxes import BoxNode, box, find_first, full_box, iter_boxes, parse_tree
from nrdp.errors import DecodeError, DecodeFailed, DemuxFailed
from nrdp.media.codecs import DecoderPool, track_codec
from nrdp.media.decoder import decode_segment, fragment_samples
from nrdp.media.samples import segment_samples
from tests.fuzz.clips import encoded_clip

CMAF = "frag_keyframe+empty_moov+default_base_moof+skip_trailer+cmaf"


def _reference(init: bytes, segment: bytes, kind: str) -> list[tuple[float, str]]:
    """(pts, digest) of every frame as PyAV's demuxer decodes ``init + segment``."""
    out = []
    with av.open(io.BytesIO(init + segment), mode="r", format="mp4") as c:
        for frame in c.decode(**{kind: 0}):
            if isinstance(frame, av.VideoFrame):
                plane = frame.planes[0]
                rows = np.frombuffer(memoryview(plane), np.uint8)
                luma = rows.reshape(frame.height, plane.line_size)[:, : frame.width]
                data = np.ascontiguousarray(luma).tobytes()
            else:
                data = frame.to_ndarray().tobytes()
            out.append((float(frame.time), hashlib.sha1(data).hexdigest()[:24]))
    return out


def _digests(init: bytes, segment: bytes, kind: str, pool: DecoderPool) -> list[tuple[float, str]]:
    dec = decode_segment(init, segment, kind=kind, number=1, digests=True, decoders=pool)
    if kind == "video":
        return [(f.pts, f.digest) for f in dec.video]
    return [(f.pts, f.digest) for f in dec.audio]


def test_every_rendition_decodes_as_with_the_demuxer(encoded_title) -> None:  # type: ignore[no-untyped-def]
    """Packets fed to pooled video contexts (fresh AAC ones) give the demuxer's frames: same
    count, pts, pixels and samples; the stamped frame ids run in order across segments."""
    renditions = [*encoded_title.video, encoded_title.audio]
    for r in renditions:
        pool = DecoderPool()
        ids: list[int | None] = []
        for number, seg in enumerate(r.segments, start=1):
            assert _digests(r.init, seg, r.kind, pool) == _reference(r.init, seg, r.kind)
            if r.kind == "video":
                dec = decode_segment(r.init, seg, kind="video", number=number, decoders=pool)
                ids += [read_frame_id(f.luma) for f in dec.video]
                assert all(f.segment == number for f in dec.video)
        if r.kind == "video":
            assert ids == list(range(len(ids))) and len(ids) == encoded_title.spec.frame_count
        # video: one context per rendition, reused for every segment; audio: never pooled
        assert pool.created == (1 if r.kind == "video" else 0)


def test_samples_are_the_demuxer_packets(encoded_title) -> None:  # type: ignore[no-untyped-def]
    """Offsets, sizes, times and key flags from moof/trun equal the mov demuxer's packets."""
    for r in [*encoded_title.video, encoded_title.audio]:
        track = track_codec(r.init, r.kind)
        assert track is not None and track.codec == ("h264" if r.kind == "video" else "aac")
        for seg in r.segments:
            samples = fragment_samples(seg, track)
            data = r.init + seg
            with av.open(io.BytesIO(data), mode="r", format="mp4") as c:
                packets = [p for p in c.demux(**{r.kind: 0}) if p.size]
            assert len(samples) == len(packets)
            for s, p in zip(samples, packets, strict=True):
                assert (s.pts, s.dts, s.duration, s.key) == (
                    p.pts,
                    p.dts,
                    p.duration,
                    p.is_keyframe,
                )
                assert seg[s.offset : s.offset + s.size] == bytes(p)
        if r.kind == "video":
            assert track.extradata[:1] == b"\x01"  # an avcC record (configurationVersion 1)


def _clip(movflags: str, frames: int = 24, codec: str = "libx264") -> bytes:
    """A tiny fMP4 (libx264: with B-frames, so reordered pts and composition offsets)."""
    return encoded_clip(movflags, frames=frames, gop=8, codec=codec)


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    boxes = list(iter_boxes(data))
    moov = next(b for b in boxes if b.type == "moov")
    init = data[: moov.end]
    moofs = [b for b in boxes if b.type == "moof"]
    ends = [b.offset for b in moofs[1:]] + [len(data)]
    return init, [data[m.offset : e] for m, e in zip(moofs, ends, strict=True)]


def _with_elst(init: bytes, entries: list[tuple[int, int]]) -> bytes:
    """``init`` with an edit list (segment_duration, media_time) in its trak."""
    elst = full_box(
        "elst",
        0,
        0,
        struct.pack(">I", len(entries)),
        b"".join(struct.pack(">Iihh", d, m, 1, 0) for d, m in entries),
    )
    edts = BoxNode("edts", children=(BoxNode("elst", elst[8:]),))

    def fix(n: BoxNode) -> BoxNode:
        if n.type == "trak":
            return BoxNode("trak", children=(n.children[0], edts, *n.children[1:]))
        if n.children:
            return BoxNode(n.type, children=tuple(fix(c) for c in n.children))
        return n

    return b"".join(fix(n).to_bytes() for n in parse_tree(init))


@pytest.mark.parametrize("negative", [False, True])
def test_b_frames_and_edit_lists(negative: bool) -> None:
    """Reordered pictures come out in presentation order as with the demuxer. Unsigned
    composition offsets and edit lists give the demuxer's pts exactly; with negative offsets
    (trun v1) FFmpeg adds the largest of them to every pts, which the packet path does not."""
    flags = CMAF if negative else CMAF.replace("+cmaf", "")
    init, segs = _split(_clip(flags))
    assert len(segs) == 3
    trun = find_first(segs[0], "moof/traf/trun")
    assert trun is not None and trun.full_header()[0] == int(negative)
    pool = DecoderPool()
    for edits in ([], [(1000, 3600)], [(40, -1), (1000, 7200)]):
        ini = _with_elst(init, edits) if edits else init
        for seg in segs:
            got, ref = _digests(ini, seg, "video", pool), _reference(ini, seg, "video")
            assert [d for _, d in got] == [d for _, d in ref]
            shift = 3600 / 90000 if negative else 0.0  # one frame of reordering delay
            assert [p for p, _ in got] == pytest.approx([p - shift for p, _ in ref], abs=1e-9)
            assert [p for p, _ in got] == sorted(p for p, _ in got)


def test_other_codecs_fall_back_to_the_demuxer() -> None:
    """An init whose codec is not fed as packets (MPEG-4 Part 2 here) is decoded through
    ``av.open`` and gives its frames all the same."""
    init, segs = _split(_clip(CMAF.replace("+cmaf", ""), codec="mpeg4"))
    assert track_codec(init, "video") is None
    total = 0
    for seg in segs:
        got, ref = _digests(init, seg, "video", DecoderPool()), _reference(init, seg, "video")
        assert got == ref and got
        total += len(got)
    assert total >= 8  # of the 24 encoded: per segment, what the demuxer gives as well


def test_malformed_fragments_are_typed(encoded_title) -> None:  # type: ignore[no-untyped-def]
    r = encoded_title.video[0]
    seg = r.segments[0]
    trun = find_first(seg, "moof/traf/trun")
    assert trun is not None
    count_at = trun.payload_offset + 4
    (count,) = struct.unpack_from(">I", seg, count_at)
    more = seg[:count_at] + struct.pack(">I", count + 5) + seg[count_at + 4 :]
    with pytest.raises(DemuxFailed) as info:
        decode_segment(r.init, more, kind="video", number=7)  # entries run past the trun
    assert info.value.segment == 7 and "trun" in info.value.reason
    cut = find_first(seg, "mdat")
    assert cut is not None
    with pytest.raises(DemuxFailed, match="outside the segment"):
        # the mdat is cut short, with its size fixed so the box itself is well formed
        short = seg[: cut.offset] + struct.pack(">I", cut.size - 100) + seg[cut.offset + 4 :]
        decode_segment(r.init, short[:-100], kind="video", number=1)
    with pytest.raises(DemuxFailed, match="no samples"):
        decode_segment(r.init, seg[: find_first(seg, "moof").offset], kind="video", number=1)  # type: ignore[union-attr]
    with pytest.raises(DemuxFailed):
        decode_segment(r.init[:50], seg, kind="video", number=1)  # init cut inside its moov
    with pytest.raises(DemuxFailed):
        decode_segment(r.init, b"\x00" * 64, kind="video", number=1)
    garbage = bytearray(seg)
    for i in range(cut.payload_offset, cut.end):  # samples scrambled, boxes intact
        garbage[i] ^= 0x5A
    with pytest.raises(DecodeFailed) as bad:
        decode_segment(r.init, bytes(garbage), kind="video", number=3)
    assert bad.value.codec == "h264" and bad.value.segment == 3


def _fragment(track_id: int, count: int, tfdt: int, samples: bytes = b"") -> bytes:
    """A one-traf ``moof`` + ``mdat``: every sample takes the ``tfhd`` default size (100)."""
    tfhd = full_box("tfhd", 0, 0x02_0010, struct.pack(">II", track_id, 100))

    def moof(data_offset: int) -> bytes:
        trun = full_box("trun", 0, 0x01, struct.pack(">Ii", count, data_offset))
        tfdt_box = full_box("tfdt", 1, 0, struct.pack(">Q", tfdt))
        traf = box("traf", tfhd, tfdt_box, trun)
        return box("moof", full_box("mfhd", 0, 0, struct.pack(">I", 1)), traf)

    return moof(len(moof(0)) + 8) + box("mdat", samples)


def test_crafted_counts_and_times_are_refused_at_once(encoded_title) -> None:  # type: ignore[no-untyped-def]
    """A sample count beyond the segment's size and a decode time beyond int64 are refused
    before any loop or allocation proportional to them."""
    r = encoded_title.video[0]
    track = track_codec(r.init, "video")
    assert track is not None
    ok = _fragment(track.track_id, 2, 0, bytes(200))
    assert [(s.offset, s.size) for s in fragment_samples(ok, track)] == [
        (len(ok) - 200, 100),
        (len(ok) - 100, 100),
    ]
    with pytest.raises(DemuxFailed, match="samples in"):
        decode_segment(r.init, _fragment(track.track_id, 0xFFFF_FFFF, 0), kind="video", number=1)
    with pytest.raises(DemuxFailed, match="outside the segment"):
        decode_segment(r.init, _fragment(track.track_id, 3, 0, bytes(200)), kind="video", number=1)
    with pytest.raises(DemuxFailed, match="int64"):
        decode_segment(
            r.init, _fragment(track.track_id, 1, 1 << 63, bytes(100)), kind="video", number=1
        )
    with pytest.raises(DemuxFailed, match="no samples"):  # a traf of another track
        decode_segment(
            r.init, _fragment(track.track_id + 1, 1, 0, bytes(100)), kind="video", number=1
        )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_damaged_segments_and_inits_give_only_typed_errors(encoded_title, data) -> None:  # type: ignore[no-untyped-def]
    """Truncations and byte flips anywhere (boxes or media) decode or fail typed."""
    r = data.draw(st.sampled_from([encoded_title.video[0], encoded_title.audio]))
    seg = bytearray(data.draw(st.sampled_from(r.segments)))
    init = bytearray(r.init)
    target = data.draw(st.sampled_from(["segment", "segment-head", "init"]))
    buf = init if target == "init" else seg
    limit = len(buf) if target != "segment-head" else min(len(buf), 1200)  # the moof
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, limit - 1))
        buf[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del buf[data.draw(st.integers(0, len(buf))) :]
    try:
        decode_segment(bytes(init), bytes(seg), kind=r.kind, number=1)
    except DecodeError as err:
        assert isinstance(err, (DemuxFailed, DecodeFailed))


def test_decode_off_slots_match_the_decoder_with_edit_lists() -> None:
    """``PlayerConfig(decode=False)`` times samples from the boxes alone
    (:func:`nrdp.media.samples.segment_samples`); it reads the init's track as the decoder
    does, so its slots are the decoded frames' times with B-frames and edit lists too,
    a leading empty edit included."""
    init, segs = _split(_clip(CMAF.replace("+cmaf", "")))
    for edits in ([], [(1000, 3600)], [(40, -1), (1000, 7200)]):
        ini = _with_elst(init, edits) if edits else init
        for n, seg in enumerate(segs, 1):
            slots = segment_samples(ini, seg, kind="video", number=n)
            frames = decode_segment(ini, seg, kind="video", number=n).video
            assert [round(s.pts, 9) for s in slots] == [round(f.pts, 9) for f in frames]
