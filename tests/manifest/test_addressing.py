"""Segment addressing in every mode, checked against hand-computed references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import AddressingUnavailable, SegmentNotFound, parse_mpd

NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"'


def _mpd(body: str, *, attrs: str = 'type="static" mediaPresentationDuration="PT10S"') -> bytes:
    return f"<MPD {NS} {attrs}>{body}</MPD>".encode()


def _rep(body: str, *, attrs: str = 'type="static" mediaPresentationDuration="PT10S"'):
    m = parse_mpd(_mpd(body, attrs=attrs), "https://cdn.example/v/manifest.mpd")
    return next(m.representations())


def test_number_template_with_duration_and_formats() -> None:
    rep = _rep(
        '<Period><AdaptationSet><SegmentTemplate timescale="1000" duration="2000" startNumber="5"'
        ' media="$RepresentationID$/$Bandwidth$/seg-$Number%05d$-$$.m4s"'
        ' initialization="$RepresentationID$/init.mp4"/>'
        '<Representation id="v1" bandwidth="800000"/></AdaptationSet></Period>'
    )
    refs = list(rep.segments())
    assert [r.number for r in refs] == [5, 6, 7, 8, 9]
    assert refs[0].url == "https://cdn.example/v/v1/800000/seg-00005-$.m4s"
    assert [r.start for r in refs] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert rep.init_segment().url == "https://cdn.example/v/v1/init.mp4"
    assert rep.segment_at(3.999).number == 6
    assert rep.segment_at(4.0).number == 7
    with pytest.raises(SegmentNotFound):
        rep.segment_at(10.0)


def test_partial_last_segment_and_end_number() -> None:
    rep = _rep(
        '<Period duration="PT9S"><AdaptationSet><Representation id="a" bandwidth="1">'
        '<SegmentTemplate media="$Number$" duration="2"/></Representation></AdaptationSet>'
        "</Period>"
    )
    assert rep.segment_count() == 5  # 9 s / 2 s rounds up
    rep = _rep(
        '<Period><AdaptationSet><Representation id="a" bandwidth="1">'
        '<SegmentTemplate media="$Number$" duration="2" endNumber="3"/></Representation>'
        "</AdaptationSet></Period>"
    )
    assert [r.number for r in rep.segments()] == [1, 2, 3]


def test_time_template_with_presentation_time_offset() -> None:
    rep = _rep(
        '<Period><AdaptationSet><Representation id="a" bandwidth="1">'
        '<SegmentTemplate media="t$Time$.m4s" timescale="90000" presentationTimeOffset="900000">'
        '<SegmentTimeline><S t="900000" d="180000" r="2"/><S d="90000"/></SegmentTimeline>'
        "</SegmentTemplate></Representation></AdaptationSet></Period>"
    )
    refs = list(rep.segments())
    assert [r.path for r in refs] == ["t900000.m4s", "t1080000.m4s", "t1260000.m4s", "t1440000.m4s"]
    assert [r.start for r in refs] == [0.0, 2.0, 4.0, 6.0]
    assert refs[-1].duration == 1.0
    assert rep.segment_at(6.5).path == "t1440000.m4s"


def test_inheritance_period_adaptation_set_representation() -> None:
    rep = _rep(
        '<Period><SegmentTemplate timescale="10" startNumber="0"/>'
        '<AdaptationSet><SegmentTemplate media="$Number$.m4s" duration="20"/>'
        '<Representation id="r" bandwidth="1"><SegmentTemplate startNumber="3"/>'
        "</Representation></AdaptationSet></Period>"
    )
    info = rep.addressing
    assert (info.timescale, info.duration, info.start_number, info.media) == (
        10,
        20,
        3,
        "$Number$.m4s",
    )
    assert rep.segment_count() == 5 and rep.index()[0].number == 3


def test_repeat_minus_one_to_next_s_and_to_period_end() -> None:
    rep = _rep(
        '<Period duration="PT20S"><AdaptationSet><Representation id="r" bandwidth="1">'
        '<SegmentTemplate media="$Time$" timescale="1"><SegmentTimeline>'
        '<S t="0" d="2" r="-1"/><S t="7" d="3" r="-1"/></SegmentTimeline></SegmentTemplate>'
        "</Representation></AdaptationSet></Period>"
    )
    refs = list(rep.segments())
    # 0,2,4,6 (the last overlaps 7 and is kept, as dash.js does), then from 7 by 3 up to
    # the period end at 20 s, the last one (19-22) cut by the period end.
    assert [r.time for r in refs] == [0, 2, 4, 6, 7, 10, 13, 16, 19]
    assert rep.segment_at(19.5).time == 19


def test_repeat_minus_one_live_follows_now() -> None:
    attrs = 'type="dynamic" availabilityStartTime="2020-01-01T00:00:00Z"'
    rep = _rep(
        '<Period start="PT0S"><AdaptationSet><Representation id="r" bandwidth="1">'
        '<SegmentTemplate media="$Number$" timescale="1"><SegmentTimeline>'
        '<S t="0" d="2" r="-1"/></SegmentTimeline></SegmentTemplate>'
        "</Representation></AdaptationSet></Period>",
        attrs=attrs,
    )
    ast = datetime(2020, 1, 1, tzinfo=UTC)
    assert rep.segment_count(ast + timedelta(seconds=9)) == 4
    assert rep.segment_count(ast + timedelta(seconds=100)) == 50
    assert rep.segment_at(97.0, ast + timedelta(seconds=100)).number == 49


def test_number_template_live_counts_complete_segments() -> None:
    attrs = 'type="dynamic" availabilityStartTime="2020-01-01T00:00:00Z"'
    rep = _rep(
        '<Period start="PT10S"><AdaptationSet><Representation id="r" bandwidth="1">'
        '<SegmentTemplate media="$Number$" duration="4"/></Representation></AdaptationSet>'
        "</Period>",
        attrs=attrs,
    )
    with pytest.raises(AddressingUnavailable):
        rep.segment_count()  # open-ended without `now`
    now = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=10 + 4 * 1000 + 3)
    assert rep.segment_count(now) == 1000
    assert rep.segment_at(10 + 4 * 999.5, now).number == 1000


def test_segment_list_with_media_ranges() -> None:
    rep = _rep(
        '<Period><AdaptationSet><Representation id="r" bandwidth="1"><BaseURL>media.mp4</BaseURL>'
        '<SegmentList timescale="1000" duration="4000"><Initialization range="0-99"/>'
        '<SegmentURL mediaRange="100-199"/><SegmentURL mediaRange="200-349"/>'
        '<SegmentURL media="other.mp4" mediaRange="0-9"/></SegmentList>'
        "</Representation></AdaptationSet></Period>"
    )
    refs = list(rep.segments())
    assert [(r.url, str(r.byte_range), r.start) for r in refs] == [
        ("https://cdn.example/v/media.mp4", "100-199", 0.0),
        ("https://cdn.example/v/media.mp4", "200-349", 4.0),
        ("https://cdn.example/v/other.mp4", "0-9", 8.0),
    ]
    init = rep.init_segment()
    assert init.url == "https://cdn.example/v/media.mp4" and str(init.byte_range) == "0-99"


def test_multi_period_start_inference() -> None:
    m = parse_mpd(
        _mpd(
            '<Period id="a" duration="PT4S"><AdaptationSet><Representation id="r" bandwidth="1">'
            '<SegmentTemplate media="a$Number$" duration="2"/></Representation></AdaptationSet>'
            '</Period><Period id="b"><AdaptationSet><Representation id="r" bandwidth="1">'
            '<SegmentTemplate media="b$Number$" duration="3"/></Representation></AdaptationSet>'
            "</Period>"
        ),
        "https://x/",
    )
    assert [(p.start_time, p.end_time) for p in m.periods] == [(0.0, 4.0), (4.0, 10.0)]
    second = m.periods[1].adaptation_sets[0].representations[0]
    assert [r.start for r in second.segments()] == [4.0, 7.0]
    assert second.segment_at(8.0).path == "b2"
    with pytest.raises(SegmentNotFound):
        second.segment_at(1.0)


def test_gap_returns_next_segment() -> None:
    rep = _rep(
        '<Period><AdaptationSet><Representation id="r" bandwidth="1">'
        '<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0" d="2"/><S t="5" d="2"/>'
        "</SegmentTimeline></SegmentTemplate></Representation></AdaptationSet></Period>"
    )
    assert rep.segment_at(3.0).time == 5


def test_large_timeline_lookup_matches_arithmetic() -> None:
    # 100,000 segments in 1,000 runs of alternating durations.
    s_elems = "".join(f'<S d="{2000 if i % 2 else 1000}" r="99"/>' for i in range(1000))
    rep = _rep(
        '<Period><AdaptationSet><Representation id="r" bandwidth="1">'
        f'<SegmentTemplate media="$Number$" timescale="1000"><SegmentTimeline>{s_elems}'
        "</SegmentTimeline></SegmentTemplate></Representation></AdaptationSet></Period>",
        attrs='type="static" mediaPresentationDuration="PT200000S"',
    )
    assert rep.segment_count() == 100_000
    # Each pair of runs spans 100 s + 200 s = 300 s.
    for number in (1, 100, 101, 150, 50_000, 99_999, 100_000):
        i = number - 1
        pair, within = divmod(i, 200)
        start = pair * 300.0 + (within * 1.0 if within < 100 else 100 + (within - 100) * 2.0)
        ref = rep.segment_at(start + 0.5)
        assert (ref.number, ref.start) == (number, start)


ENTRY = st.tuples(st.integers(1, 5000), st.integers(0, 6), st.integers(0, 3000))


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(ENTRY, min_size=1, max_size=25), start=st.integers(0, 10**9))
def test_timeline_equals_explicit_segment_list(
    entries: list[tuple[int, int, int]], start: int
) -> None:
    """A SegmentTemplate timeline with r/gaps addresses what an explicit SegmentList does."""
    s_runs, s_flat, urls = [], [], []
    t = start
    number = 7
    for d, r, gap in entries:
        t += gap
        s_runs.append(f'<S t="{t}" d="{d}" r="{r}"/>')
        for _ in range(r + 1):
            s_flat.append(f'<S t="{t}" d="{d}"/>')
            urls.append(f'<SegmentURL media="s{number}-{t}.m4s"/>')
            t += d
            number += 1
    common = 'timescale="1000" startNumber="7" presentationTimeOffset="' + str(start) + '"'
    template = _rep(
        f'<Period><AdaptationSet><Representation id="r" bandwidth="1"><SegmentTemplate {common}'
        f' media="s$Number$-$Time$.m4s"><SegmentTimeline>{"".join(s_runs)}</SegmentTimeline>'
        "</SegmentTemplate></Representation></AdaptationSet></Period>"
    )
    listed = _rep(
        f'<Period><AdaptationSet><Representation id="r" bandwidth="1"><SegmentList {common}>'
        f"<SegmentTimeline>{''.join(s_flat)}</SegmentTimeline>{''.join(urls)}</SegmentList>"
        "</Representation></AdaptationSet></Period>"
    )
    a, b = list(template.segments()), list(listed.segments())
    assert [(r.url, r.start, r.duration, r.number) for r in a] == [
        (r.url, r.start, r.duration, r.number) for r in b
    ]
    for ref in a[:: max(1, len(a) // 7)]:
        probe = ref.start + ref.duration / 2
        assert template.segment_at(probe) == ref
        assert listed.segment_at(probe).url == ref.url


def test_s_n_renumbers_and_s_k_is_kept() -> None:
    rep = _rep(
        '<Period><AdaptationSet><Representation id="r" bandwidth="1">'
        '<SegmentTemplate media="$Number$"><SegmentTimeline>'
        '<S t="0" d="2" r="1" n="10" k="4"/><S d="2" n="20"/></SegmentTimeline>'
        "</SegmentTemplate></Representation></AdaptationSet></Period>"
    )
    assert [r.number for r in rep.segments()] == [10, 11, 20]
    assert rep.segment_at(4.5).path == "20"
    tl = rep.addressing.timeline
    assert tl.numbers == [10, 20] and tl.subsegments == [4, None]
