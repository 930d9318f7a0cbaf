"""Live edge, DVR window, start position and segment availability on virtual time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import parse_mpd
from manifest.model import Manifest, Representation
from nrdp.errors import InvalidArgument
from nrdp.live import (
    ClockSync,
    Failover,
    Fetch,
    NotFoundPolicy,
    RetryAt,
    Skip,
    UtcScheme,
    UtcSource,
    WaitUntil,
    clamp_seek,
    estimate_offset,
    live_window,
    on_not_found,
    plan_request,
    start_position,
    target_latency,
)
from nrdp.live.testing import dynamic_mpd

AST = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://cdn.example/live/m.mpd"


def mpd(**kw: object) -> Manifest:
    return parse_mpd(dynamic_mpd(AST, **kw), URL)  # type: ignore[arg-type]


def at(seconds: float) -> datetime:
    return AST + timedelta(seconds=seconds)


def video(m: Manifest, period: int = 0) -> Representation:
    return m.periods[period].adaptation_sets[0].representations[0]


@pytest.mark.parametrize("timeline", [None, [(0, 2000, 99)]], ids=["number", "timeline"])
def test_edge_and_dvr_window(timeline: list[tuple[int, int, int]] | None) -> None:
    m = mpd(timeline=timeline, tsbd=10.0)
    w = live_window(m, at(101.0))
    assert (w.now_s, w.edge, w.segment_duration) == (101.0, 100.0, 2.0)
    # A segment stays AST + end + TSBD + its duration (manifest.timing): end > 89.
    assert w.dvr_start == 88.0
    assert w.depth == 12.0
    assert w.latency(95.0) == 6.0


def test_edge_is_the_slowest_track() -> None:
    """Audio one segment behind video: the edge is audio's (playing on would stall)."""
    text = dynamic_mpd(AST, timeline=[(0, 2000, 49)], tsbd=60.0)  # up to t=100 s
    head, _, tail = text.rpartition(b'r="49"')
    m = parse_mpd(head + b'r="48"' + tail, URL)  # audio: up to t=98 s
    assert m.periods[0].adaptation_sets[1].kind == "audio"
    w = live_window(m, at(130.0))
    assert w.edge == 98.0 and w.dvr_start == 68.0


def test_empty_before_first_segment_and_static_rejected() -> None:
    w = live_window(mpd(), at(1.0))
    assert w.empty and w.edge == w.now_s == 1.0
    static = parse_mpd(dynamic_mpd(AST, mpd_type="static", duration=20.0), URL)
    with pytest.raises(InvalidArgument):
        live_window(static, at(1.0))


def test_start_position_from_delay_target_and_dvr_offset() -> None:
    m = mpd(spd=6.0)
    w = live_window(m, at(101.0))
    assert start_position(m, w) == 95.0  # now - suggestedPresentationDelay
    assert start_position(m, w, latency=4.0) == 97.0  # configured target wins
    assert start_position(m, w, latency=0.0) == 98.0  # never past the newest start
    assert start_position(m, w, dvr_offset=0.0) == 88.0
    assert start_position(m, w, dvr_offset=4.5) == 92.5
    assert start_position(m, w, dvr_offset=-5.0) == 95.0  # back from the edge
    assert start_position(m, w, dvr_offset=-500.0) == 88.0
    no_delay = mpd()
    assert target_latency(no_delay, live_window(no_delay, at(101.0))) == 6.0  # 3 segments
    assert clamp_seek(w, 10.0) == 88.0 and clamp_seek(w, 200.0) == 100.0


@pytest.mark.parametrize("skew", [-30.0, 30.0])
def test_device_clock_off_by_30s_still_at_the_edge(skew: float) -> None:
    """The device's wall clock is ``skew`` off; one UTCTiming sample puts it right."""
    true_now = AST.timestamp() + 101.0
    device = true_now + skew
    source = UtcSource(UtcScheme.HTTP_XSDATE, "https://time.example/")
    unsynced = ClockSync()
    m = mpd()
    assert live_window(m, unsynced.now(device)).edge != 100.0
    sample = estimate_offset(source, at(101.0 + 0.05), device, device + 0.1)
    synced = unsynced.update(sample)
    w = live_window(m, synced.now(device + 0.1))
    assert w.edge == 100.0 and abs(w.now_s - 101.1) < 1e-6


def test_plan_request_waits_for_availability_with_offset() -> None:
    m = mpd()
    rep = video(m)
    ref = rep.segment_at(100.0, at(110.0))  # number 51: [100, 102)
    assert plan_request(rep, ref, at(101.0)) == WaitUntil(ref, at(102.0))
    assert plan_request(rep, ref, at(102.0)) == Fetch(ref)
    early = mpd(ato=1.5)
    erep = video(early)
    eref = erep.segment_at(100.0, at(110.0))
    assert plan_request(erep, eref, at(100.4)) == WaitUntil(eref, at(100.5))
    assert plan_request(erep, eref, at(100.5)) == Fetch(eref)
    # Out of the time-shift window: end + TSBD + duration = 102 + 12.
    assert plan_request(rep, ref, at(114.0)) == Skip(ref, "out_of_window")


def test_404_near_edge_retries_same_segment_then_skips_missing() -> None:
    m = mpd()
    rep = video(m)
    ref = rep.segment_at(100.0, at(110.0))
    first = on_not_found(rep, ref, at(102.1), 1)
    assert isinstance(first, RetryAt) and first.ref == ref
    assert first.at == at(102.6)
    delays = []
    now = at(102.1)
    for attempt in range(1, 5):
        d = on_not_found(rep, ref, now, attempt)
        assert isinstance(d, RetryAt) and d.ref == ref and d.at > now
        delays.append((d.at - now).total_seconds())
        now = d.at
    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert on_not_found(rep, ref, now, 5) == Skip(ref, "missing")


def test_404_with_clock_ahead_waits_for_advertised_availability() -> None:
    rep = video(mpd())
    ref = rep.segment_at(100.0, at(110.0))
    d = on_not_found(rep, ref, at(101.0), 1, NotFoundPolicy(retry_delay_s=0.25))
    assert isinstance(d, RetryAt) and d.at == at(102.25)


def test_404_long_after_availability_is_a_failover_and_gone_is_skipped() -> None:
    rep = video(mpd())
    ref = rep.segment_at(100.0, at(110.0))
    assert on_not_found(rep, ref, at(107.0), 1) == Failover(ref)
    assert on_not_found(rep, ref, at(115.0), 1) == Skip(ref, "out_of_window")


@settings(max_examples=60, deadline=None)
@given(
    seg=st.sampled_from([1.0, 2.0, 3.84, 6.0]),
    elapsed=st.floats(min_value=30.0, max_value=5000.0),
    tsbd=st.floats(min_value=8.0, max_value=120.0),
    use_timeline=st.booleans(),
)
def test_window_invariants(seg: float, elapsed: float, tsbd: float, use_timeline: bool) -> None:
    """Every segment the window covers is fetchable now; the next one is not yet."""
    ticks = round(seg * 1000)
    timeline = [(0, ticks, 10_000)] if use_timeline else None
    m = mpd(segment_s=seg, tsbd=tsbd, timeline=timeline)
    now = at(elapsed)
    w = live_window(m, now)
    assert w.edge <= w.now_s + 1e-9 and w.now_s - w.edge < seg + 1e-6
    assert w.dvr_start <= w.edge
    assert w.now_s - w.dvr_start <= tsbd + 2 * seg + 1e-6
    rep = video(m)
    newest = rep.segment_at(w.edge - seg / 2, now)
    oldest = rep.segment_at(w.dvr_start + 1e-6, now)
    assert isinstance(plan_request(rep, newest, now), Fetch)
    assert isinstance(plan_request(rep, oldest, now), Fetch)
    following = rep.segment_at(w.edge + seg / 2, at(elapsed + 10 * seg))
    assert isinstance(plan_request(rep, following, now), WaitUntil)
    start = start_position(m, w)
    assert w.dvr_start <= start <= w.edge
