"""LiveTimeline: the engine's one live object, on virtual wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manifest import parse_mpd
from nrdp.errors import InvalidArgument
from nrdp.live import (
    ClockOffset,
    Fetch,
    LiveTimeline,
    RetryAt,
    Skip,
    UtcScheme,
    WaitUntil,
    merge_refresh,
)
from nrdp.live.testing import dynamic_mpd

AST = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://cdn.example/live/m.mpd"
T0 = AST.timestamp()


def timeline(**kw: object) -> LiveTimeline:
    return LiveTimeline(parse_mpd(dynamic_mpd(AST, spd=6.0), URL), **kw)  # type: ignore[arg-type]


def test_needs_a_dynamic_mpd() -> None:
    with pytest.raises(InvalidArgument):
        LiveTimeline(parse_mpd(dynamic_mpd(AST, mpd_type="static", duration=10.0), URL))


def test_device_clock_30s_behind_is_corrected_by_one_sample() -> None:
    tl = timeline()
    wall = T0 + 101.0 - 30.0  # the device is 30 s behind
    assert tl.window(wall).edge == 70.0
    assert not tl.on_clock_sample(ClockOffset(30.0, 0.01, wall, UtcScheme.HTTP_XSDATE))
    assert tl.window(wall).edge == 100.0 and tl.start_position(wall) == 95.0
    assert tl.start_position(wall, dvr_offset=2.0) == 90.0
    assert tl.seek(wall, 1e6) == 100.0
    assert tl.on_clock_sample(ClockOffset(32.0, 0.01, wall + 60, UtcScheme.HTTP_XSDATE))
    assert tl.counters.clock_resyncs == 1


def test_segment_decisions_and_skip_counter() -> None:
    tl = timeline()
    rep = tl.manifest.periods[0].adaptation_sets[0].representations[0]
    ref = rep.segment_at(100.0, AST + timedelta(seconds=200))
    assert isinstance(tl.plan(rep, ref, T0 + 101.0), WaitUntil)
    assert isinstance(tl.plan(rep, ref, T0 + 102.0), Fetch)
    assert isinstance(tl.on_not_found(rep, ref, T0 + 102.0, 1), RetryAt)
    assert tl.on_not_found(rep, ref, T0 + 110.0, 5) == Skip(ref, "missing")
    assert tl.plan(rep, ref, T0 + 200.0) == Skip(ref, "out_of_window")
    assert tl.counters.segments_skipped == 2


def test_tick_nudges_jumps_and_reports() -> None:
    tl = timeline(latency=4.0)
    latency, action = tl.tick(95.0, T0 + 101.0)  # 6 s behind a 4 s target
    assert latency == 6.0 and action.rate == pytest.approx(1.04) and action.jump_to is None
    latency, action = tl.tick(80.0, T0 + 101.0, after_stall=True)
    assert action.jump_to == 97.0 and tl.counters.edge_jumps == 1
    _, on_target = tl.tick(97.0, T0 + 101.0)
    assert on_target.rate == 1.0
    report = tl.report()
    assert report["live"] is True and report["edge_jumps"] == 1
    assert report["live_latency_s"] == {"median": 6.0, "p95": 21.0}


def test_refresh_counts_and_the_end() -> None:
    tl = timeline()
    static = parse_mpd(dynamic_mpd(AST, mpd_type="static", duration=104.0), URL)
    tl.on_refresh(merge_refresh(tl.manifest, static, fetched_url=URL))
    assert tl.counters.mpd_refreshes == 1 and tl.end == 104.0
    assert tl.ended(104.0) and not tl.ended(100.0)
    assert tl.tick(100.0, T0 + 200.0)[1].reason == "ended"
    assert tl.report()["mpd_refreshes"] == 1


def test_a_viewer_who_seeks_behind_live_is_not_pulled_back_until_go_live() -> None:
    tl = timeline(latency=4.0)
    wall = T0 + 101.0  # edge 100, live point 96
    tl.seek(wall, 80.0)  # the viewer chose to watch 20 s behind
    assert not tl.following
    latency, action = tl.tick(80.0, wall, after_stall=True)
    assert latency == pytest.approx(21.0)
    assert (action.rate, action.jump_to, action.reason) == (1.0, None, "behind_by_choice")
    assert tl.counters.edge_jumps == 0
    tl.seek(wall, tl.start_position(wall))  # go to live
    assert tl.following
    assert tl.tick(80.0, wall, after_stall=True)[1].jump_to is not None
    live_point = tl.start_position(wall)
    tl.seek(wall, live_point - 1.5)  # beyond the 1 s margin: behind by choice
    assert not tl.following
    tl.seek(wall, live_point - 0.5)  # within the margin of the live point: following again
    assert tl.following
