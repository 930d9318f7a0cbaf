"""Live timing: availability windows, live edge, available segment ranges, MPD updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from manifest import UpdateMismatch, parse_mpd
from manifest.timing import (
    apply_update,
    available_segments,
    live_edge,
    live_start_time,
    segment_availability,
)

AST = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _live(s_elems: str, *, publish: str = "2024-05-01T12:10:00Z", extra: str = "") -> bytes:
    return (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic"'
        ' availabilityStartTime="2024-05-01T12:00:00Z" timeShiftBufferDepth="PT30S"'
        f' suggestedPresentationDelay="PT6S" minimumUpdatePeriod="PT2S" publishTime="{publish}"'
        f' {extra}><Period id="p0" start="PT0S"><AdaptationSet id="v">'
        '<SegmentTemplate media="$Time$.m4s" timescale="1000"><SegmentTimeline>'
        f"{s_elems}</SegmentTimeline></SegmentTemplate>"
        '<Representation id="r" bandwidth="1000"/></AdaptationSet></Period></MPD>'
    ).encode()


def test_availability_window_of_a_segment() -> None:
    m = parse_mpd(_live('<S t="0" d="2000" r="99"/>'), "https://live.example/m.mpd")
    rep = next(m.representations())
    ref = rep.index()[10]  # 20 s .. 22 s
    window = segment_availability(rep, ref)
    assert window.start == AST + timedelta(seconds=22)
    assert window.end == AST + timedelta(seconds=22 + 30 + 2)
    assert not window.contains(AST + timedelta(seconds=21.9))
    assert window.contains(AST + timedelta(seconds=22))
    assert not window.contains(AST + timedelta(seconds=54))


def test_available_range_and_live_edge() -> None:
    m = parse_mpd(_live('<S t="0" d="2000" r="-1"/>'), "https://live.example/m.mpd")
    rep = next(m.representations())
    now = AST + timedelta(seconds=101)
    assert live_edge(m, now) == 101.0
    assert live_start_time(m, now) == 95.0
    rng = available_segments(rep, now)
    # Complete segments at 101 s: 0..49 (the one ending at 100 s); time shift 30 s keeps
    # every segment whose end + 30 s + its duration is after now: ends >= 69 s -> 68..70 is #34.
    assert rng.stop - 1 == 49
    first = rep.index(now)[rng.start]
    assert segment_availability(rep, first).contains(now)
    assert not segment_availability(rep, rep.index(now)[rng.start - 1]).contains(now)


def test_availability_time_offset_makes_segments_early() -> None:
    data = _live('<S t="0" d="2000" r="-1"/>').replace(
        b'timescale="1000">', b'timescale="1000" availabilityTimeOffset="1.5">'
    )
    rep = next(parse_mpd(data, "").representations())
    now = AST + timedelta(seconds=99)
    assert available_segments(rep, now).stop - 1 == 49  # 98..100 available 1.5 s early


def test_static_is_always_available(corpus_dir: Path) -> None:
    m = parse_mpd((corpus_dir / "mpd/dashjs__unit_manifest.mpd").read_bytes(), "https://x/")
    rep = next(m.representations())
    assert segment_availability(rep, rep.index()[0]).contains(datetime(1990, 1, 1, tzinfo=UTC))
    assert live_edge(m, AST) is None


def test_update_keeps_history_and_extends() -> None:
    first = parse_mpd(_live('<S t="0" d="2000" r="9"/>'), "https://live.example/m.mpd")
    update = parse_mpd(_live('<S t="10000" d="2000" r="14"/>', publish="2024-05-01T12:10:10Z"), "")
    merged = apply_update(first, update)
    rep = next(merged.representations())
    times = [r.time for r in rep.segments()]
    assert times[0] == 0 and times[-1] == 38000 and len(times) == 20
    assert merged.url == "https://live.example/m.mpd"
    assert rep.primary_base_url == "https://live.example/m.mpd"


def test_number_timeline_update_that_slid_keeps_the_numbers_of_known_segments() -> None:
    """``$Number$`` + SegmentTimeline (FFmpeg's dash muxer): the update's window slid by
    three segments and its @startNumber says so; the history kept before it is numbered
    back from there, so every segment keeps its number (and URL)."""

    def numbered(s_elems: str, start: int, publish: str) -> bytes:
        return _live(s_elems, publish=publish).replace(
            b'media="$Time$.m4s"', f'media="seg-$Number$.m4s" startNumber="{start}"'.encode()
        )

    first = parse_mpd(numbered('<S t="0" d="2000" r="4"/>', 1, "2024-05-01T12:10:00Z"), "")
    update = parse_mpd(numbered('<S t="6000" d="2000" r="4"/>', 4, "2024-05-01T12:10:06Z"), "")
    known = {r.time: (r.number, r.path) for r in next(first.representations()).segments()}
    merged = list(next(apply_update(first, update).representations()).segments())
    assert [r.time for r in merged] == [t * 2000 for t in range(8)]  # 0..4 kept, 3..7 new
    assert {r.time: (r.number, r.path) for r in merged if r.time in known} == known
    assert [r.number for r in merged] == list(range(1, 9))
    assert merged[-1].path == "seg-8.m4s"


def test_update_rejections() -> None:
    first = parse_mpd(_live('<S t="0" d="2000"/>'), "")
    stale = parse_mpd(_live('<S t="0" d="2000"/>', publish="2024-05-01T12:00:00Z"), "")
    with pytest.raises(UpdateMismatch):
        apply_update(first, stale)
    other = parse_mpd(
        _live('<S t="0" d="2000"/>').replace(b"2024-05-01T12:00:00Z", b"2024-05-02T12:00:00Z"),
        "",
    )
    with pytest.raises(UpdateMismatch):
        apply_update(first, other)


def test_live_corpus_with_now(corpus_dir: Path) -> None:
    m = parse_mpd(
        (corpus_dir / "mpd/livesim2__segtimeline_multiper_full_min.mpd").read_bytes(),
        "https://livesim.example/m.mpd",
    )
    assert m.is_dynamic and len(m.periods) == 2
    now = m.publish_time or AST
    for rep in m.representations():
        rng = available_segments(rep, now)
        for pos in (rng.start, rng.stop - 1) if len(rng) else ():
            assert segment_availability(rep, rep.index(now)[pos]).contains(now)


def test_far_future_availability_start_does_not_overflow() -> None:
    data = _live('<S t="0" d="2000" r="9"/>').replace(
        b"2024-05-01T12:00:00Z", b"9999-12-31T23:59:00Z"
    )
    rep = next(parse_mpd(data, "").representations())
    window = segment_availability(rep, rep.index()[9])
    assert window.start is not None and window.start.year == 9999
    assert not window.contains(AST)
    assert len(available_segments(rep, AST)) == 0
