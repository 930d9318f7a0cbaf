"""SegmentBase + sidx: references from the corpus files, and lying/broken sidx boxes."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from manifest import InvalidSidx, ManifestError, SegmentBase, parse_mpd, parse_sidx
from mediacore.boxes import box, full_box

SEGMENT_BASE_MPDS = [
    "sidx/androidx_emsg/sample.mpd",
    "sidx/androidx_multi-track-with-offset/sample.mpd",
    "cenc/packager_cenc/output.mpd",
    "cenc/packager_cbcs/output.mpd",
    "cenc/packager_cens/output.mpd",
]


@pytest.mark.parametrize("name", SEGMENT_BASE_MPDS)
def test_sidx_references_match_file_facts(
    corpus_dir: Path, expected: dict[str, Any], name: str
) -> None:
    mpd_path = corpus_dir / name
    m = parse_mpd(mpd_path.read_bytes(), f"https://cdn.example.com/{name}")
    checked = 0
    for rep in m.representations():
        info = rep.addressing
        assert isinstance(info, SegmentBase) and info.index_range is not None
        with pytest.raises(ManifestError):
            rep.segment_count()  # the index must be loaded first
        media_name = rep.base_urls[0].url
        media = (mpd_path.parent / media_name).read_bytes()
        rng = info.index_range
        loaded = rep.with_sidx(media[rng.first : rng.last + 1])
        facts = expected[str(Path(name).parent / media_name)]["facts"]["sidx"][0]
        assert facts["box_offset"] == rng.first
        refs = list(loaded.segments())
        assert len(refs) == facts["reference_count"] == loaded.segment_count()
        start = facts["box_offset"] + facts["box_size"] + facts["first_offset"]
        t = facts["earliest_presentation_time"]
        for ref, want in zip(refs, facts["references"], strict=True):
            assert ref.byte_range is not None
            assert ref.byte_range.first == start
            assert ref.byte_range.length == want["size"]
            assert ref.time == t and ref.timescale == facts["timescale"]
            assert ref.duration == pytest.approx(want["duration"] / facts["timescale"])
            assert ref.url.endswith(media_name)
            # The referenced bytes really start a box (styp/moof/emsg...).
            size, kind = struct.unpack_from(">I4s", media, start)
            assert kind in (b"moof", b"styp", b"emsg", b"prft") and size >= 8
            start += want["size"]
            t += want["duration"]
        init = loaded.init_segment()
        assert init is not None and init.byte_range is not None and init.byte_range.first == 0
        checked += 1
    assert checked >= 1


def test_multi_track_offset_applies_presentation_time_offset(corpus_dir: Path) -> None:
    name = "sidx/androidx_multi-track-with-offset/sample.mpd"
    m = parse_mpd((corpus_dir / name).read_bytes(), "file:///x/sample.mpd")
    rep = m.periods[0].adaptation_sets[0].representations[0]
    media = (corpus_dir / name).parent.joinpath("sample.video.mp4").read_bytes()
    loaded = rep.with_sidx(media[862:906])
    first = loaded.index()[0]
    # presentationTimeOffset 15000/30000 s shifts media time 0 to -0.5 s on the MPD timeline.
    assert first.start == pytest.approx(-0.5)
    assert loaded.segment_at(0.1).position == 0


def test_index_segment_repo_references(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "sidx/shakaplayer_index-segment/index-segment.mp4"
    want = expected[name]["repo_facts"]["references"]
    refs = parse_sidx((corpus_dir / name).read_bytes(), data_offset=0)
    got = [
        {
            "startTime": r.time / r.timescale,
            "endTime": (r.time + r.duration) / r.timescale,
            "startByte": r.first_byte,
            "endByte": r.last_byte,
        }
        for r in refs
    ]
    assert got == want


def _sidx(count: int, refs: list[tuple[int, int]], *, declared: int | None = None) -> bytes:
    body = struct.pack(">IIII", 1, 1000, 0, 0) + struct.pack(
        ">HH", 0, count if declared is None else declared
    )
    for size, dur in refs:
        body += struct.pack(">III", size, dur, 0x90000000)
    return full_box("sidx", 0, 0, body)


def test_synthetic_sidx_round_numbers() -> None:
    refs = parse_sidx(_sidx(2, [(100, 2000), (50, 1000)]), data_offset=500)
    assert [(r.first_byte, r.last_byte, r.time, r.duration) for r in refs] == [
        # 56-byte box (12 header + 20 fields + 2 x 12 references) starting at 500
        (556, 655, 0, 2000),
        (656, 705, 2000, 1000),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00\x08free",
        _sidx(3, [(100, 10)], declared=3),  # claims 3 references, holds 1
        _sidx(1, [(100, 10)], declared=60000),  # count far larger than the box
        _sidx(1, [(100, 10)])[:-4],  # truncated box: size lies
        struct.pack(">I4s", 0xFFFFFF, b"sidx") + b"\x00" * 20,  # size beyond the buffer
        _sidx(1, [(0, 10)]),  # a zero-sized reference
        box("sidx", b"\x00\x00"),  # empty payload
    ],
)
def test_lying_sidx_raises_typed_error(data: bytes) -> None:
    with pytest.raises(InvalidSidx):
        parse_sidx(data)
