"""MPD refresh schedule, update merging, Location, end of event, and the refresher task on a
virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manifest import UpdateMismatch, parse_mpd
from nrdp.errors import ConnectFailed
from nrdp.live import event_end, live_window, merge_refresh, next_refresh_at, reached_end
from nrdp.live.refresh import RefreshOutcome
from nrdp.live.refresher import MpdRefresher
from nrdp.live.testing import dynamic_mpd

AST = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://cdn.example/live/m.mpd"


def at(seconds: float) -> datetime:
    return AST + timedelta(seconds=seconds)


class SleepClock:
    """Virtual monotonic time whose sleep only moves the clock (records every sleep)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def test_refresh_schedule() -> None:
    assert next_refresh_at(parse_mpd(dynamic_mpd(AST, mup=2.0), URL), 10.0) == 12.0
    assert next_refresh_at(parse_mpd(dynamic_mpd(AST, mup=0.0), URL), 10.0) == 11.0
    assert next_refresh_at(parse_mpd(dynamic_mpd(AST, mup=None), URL), 10.0) is None
    static = parse_mpd(dynamic_mpd(AST, mpd_type="static", duration=30.0), URL)
    assert next_refresh_at(static, 10.0) is None


def test_timeline_update_appends_and_keeps_history() -> None:
    old = parse_mpd(dynamic_mpd(AST, timeline=[(0, 2000, 9)], publish=at(20)), URL)
    new = parse_mpd(dynamic_mpd(AST, timeline=[(4000, 2000, 11)], publish=at(28)), URL)
    out = merge_refresh(old, new, fetched_url=URL, now=at(28.5))
    rep = out.manifest.periods[0].adaptation_sets[0].representations[0]
    times = [s.time for s in rep.segments(at(28.5))]
    assert times == list(range(0, 28000, 2000))  # 0..26 s: the dropped 0 and 2 kept
    assert out.new_segments == 2 * 4  # four new per set, two sets
    assert out.next_url == URL and not out.ended and out.new_periods == ()


def test_number_update_extends_with_time_and_location_moves_the_url() -> None:
    old = parse_mpd(dynamic_mpd(AST), URL)
    new = parse_mpd(dynamic_mpd(AST, locations=["../next/m.mpd"]), URL)
    before = live_window(old, at(20.5)).edge
    out = merge_refresh(old, new, fetched_url=URL, now=at(20.5))
    assert out.next_url == "https://cdn.example/next/m.mpd"
    assert live_window(out.manifest, at(24.5)).edge == before + 4.0


def test_new_period_is_reported() -> None:
    old = parse_mpd(dynamic_mpd(AST), URL)
    new = parse_mpd(dynamic_mpd(AST, periods=[("p0", 0.0), ("ad1", 40.0)]), URL)
    out = merge_refresh(old, new, fetched_url=URL, now=at(30.0))
    assert out.new_periods == ("ad1",)
    assert [p.start_time for p in out.manifest.periods] == [0.0, 40.0]


def test_update_for_another_presentation_is_rejected() -> None:
    old = parse_mpd(dynamic_mpd(AST), URL)
    other = parse_mpd(dynamic_mpd(AST + timedelta(seconds=5)), URL)
    with pytest.raises(UpdateMismatch):
        merge_refresh(old, other, fetched_url=URL)


def test_end_of_event() -> None:
    live = parse_mpd(dynamic_mpd(AST), URL)
    assert event_end(live) is None and not reached_end(live, 1e9)
    closing = parse_mpd(dynamic_mpd(AST, duration=60.0), URL)  # dynamic + duration
    assert event_end(closing) == 60.0
    static = parse_mpd(dynamic_mpd(AST, mpd_type="static", duration=42.0), URL)
    out = merge_refresh(live, static, fetched_url=URL)
    assert out.ended and out.end == 42.0
    assert reached_end(out.manifest, 41.97) and not reached_end(out.manifest, 41.0)


async def test_refresher_follows_schedule_until_static() -> None:
    docs = [
        dynamic_mpd(AST, timeline=[(0, 2000, 4)], mup=2.0),
        dynamic_mpd(AST, timeline=[(0, 2000, 5)], mup=3.0),
        dynamic_mpd(AST, timeline=[(0, 2000, 6)], mpd_type="static", duration=14.0),
    ]
    fetched: list[tuple[float, str]] = []
    clock = SleepClock()

    async def fetch(url: str) -> bytes:
        fetched.append((clock.now(), url))
        return docs[len(fetched) - 1]

    seen: list[RefreshOutcome] = []
    first = parse_mpd(dynamic_mpd(AST, timeline=[(0, 2000, 3)], mup=2.0), URL)
    r = MpdRefresher(
        first,
        fetch=fetch,
        clock=clock,
        utc_now=lambda: at(12.0 + clock.now()),
        on_update=seen.append,
    )
    final = await r.run()
    assert [t for t, _ in fetched] == [2.0, 4.0, 7.0]  # MUP 2, 2, then the update's 3
    assert r.refreshes == 3 and seen[-1].ended and not final.is_dynamic
    assert [o.new_segments for o in seen] == [2, 2, 2]


async def test_refresher_retries_a_failed_fetch() -> None:
    clock = SleepClock()
    calls = 0

    async def fetch(url: str) -> bytes:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectFailed(url=url, reason="refused")
        return dynamic_mpd(AST, mpd_type="static", duration=10.0)

    r = MpdRefresher(parse_mpd(dynamic_mpd(AST), URL), fetch=fetch, clock=clock, retry_s=0.5)
    await r.run()
    assert calls == 3 and r.failures == 2 and clock.sleeps == [2.0, 0.5, 0.5]


async def test_refresher_gives_up_after_max_failures() -> None:
    clock = SleepClock()

    async def fetch(url: str) -> bytes:
        raise ConnectFailed(url=url, reason="refused")

    r = MpdRefresher(parse_mpd(dynamic_mpd(AST), URL), fetch=fetch, clock=clock, max_failures=3)
    with pytest.raises(ConnectFailed):
        await r.run()
    assert r.failures == 3


def test_number_timeline_update_keeps_numbers_of_the_kept_history() -> None:
    """FFmpeg's style: $Number$ + SegmentTimeline whose window slides (startNumber grows).
    The merged history keeps its own numbers; the update's first segment keeps its own."""

    def numbered(timeline: list[tuple[int, int, int]], start: int) -> bytes:
        text = dynamic_mpd(AST, timeline=timeline)
        return text.replace(
            b'media="$RepresentationID$/$Time$.m4s"',
            f'media="$RepresentationID$/$Number$.m4s" startNumber="{start}"'.encode(),
        )

    old = parse_mpd(numbered([(0, 2000, 9)], 1), URL)
    new = parse_mpd(numbered([(4000, 2000, 11)], 3), URL)
    out = merge_refresh(old, new, fetched_url=URL, now=at(28.5))
    rep = out.manifest.periods[0].adaptation_sets[0].representations[0]
    refs = list(rep.segments(at(28.5)))
    assert [(r.number, r.time) for r in refs[:3]] == [(1, 0), (2, 2000), (3, 4000)]
    assert refs[-1].number == 14 and refs[-1].url.endswith("/v1/14.m4s")


async def test_refresher_follows_location() -> None:
    clock = SleepClock()
    urls: list[str] = []
    docs = [
        dynamic_mpd(AST, locations=["https://edge2.example/live/m.mpd"]),
        dynamic_mpd(AST, mpd_type="static", duration=10.0),
    ]

    async def fetch(url: str) -> bytes:
        urls.append(url)
        return docs[len(urls) - 1]

    r = MpdRefresher(parse_mpd(dynamic_mpd(AST), URL), fetch=fetch, clock=clock)
    await r.run()
    assert urls == [URL, "https://edge2.example/live/m.mpd"]
