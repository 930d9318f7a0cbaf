"""The live decisions against the fake backend's live channels over real HTTP, on virtual
time: a minimal edge follower (what the engine will do, without decoding) meets each
control fault.

late segment -> retried on the same URL after its availability, no failover; missing
segment -> skipped with a SegmentSkipped event; device clock ±30 s -> at the edge after a
UTCTiming sync; ad-break Period -> crossed with media time running on; end of event ->
the refresh sees a static MPD and the follower ends at its duration.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_backend.live.service import default_channels
from fake_backend.runner import Backend
from manifest import SegmentNotFound, parse_mpd
from manifest.model import Manifest, Representation, SegmentRef
from nrdp.live import (
    ClockSync,
    Failover,
    Fetch,
    RetryAt,
    Skip,
    WaitUntil,
    live_window,
    merge_refresh,
    next_refresh_at,
    on_not_found,
    plan_request,
    reached_end,
    start_position,
    timing_sources,
)
from nrdp.live.events import SegmentSkipped
from nrdp.live.utc_client import sync_offset

START = 100.0  # seconds since availabilityStartTime when each test begins


class VirtualClock:
    def __init__(self) -> None:
        self.t = float(int(time.time()))

    def __call__(self) -> float:
        return self.t


@dataclass
class Follower:
    """Fetches a channel's video segments at the edge, one after the other."""

    http: aiohttp.ClientSession
    clock: VirtualClock
    mpd_url: str
    device_skew: float = 0.0
    sync: ClockSync = field(default_factory=ClockSync)
    manifest: Manifest | None = None
    next_refresh: float = 0.0
    got: list[SegmentRef] = field(default_factory=list)
    retries: int = 0
    failovers: int = 0
    not_found: int = 0
    events: list[SegmentSkipped] = field(default_factory=list)
    fetched_at: list[float] = field(default_factory=list)
    position: float | None = None

    def wall(self) -> float:
        return self.clock.t + self.device_skew

    def now(self) -> datetime:
        return self.sync.now(self.wall())

    async def refresh(self) -> None:
        async with self.http.get(self.mpd_url) as r:
            assert r.status == 200
            update = parse_mpd(await r.read(), self.mpd_url)
        if self.manifest is None:
            self.manifest = update
            sample = await sync_offset(
                self.http, timing_sources(update.utc_timings), wall=self.wall
            )
            self.sync = self.sync.update(sample)
        else:
            self.manifest = merge_refresh(self.manifest, update, fetched_url=self.mpd_url).manifest
        due = next_refresh_at(self.manifest, self.clock.t)
        self.next_refresh = due if due is not None else float("inf")

    def rep_at(self, position: float) -> Representation:
        assert self.manifest is not None
        period = [p for p in self.manifest.periods if p.start_time <= position + 1e-9][-1]
        return period.adaptation_sets[0].representations[0]

    async def advance_to(self, t: float) -> None:
        """Move virtual time, refreshing the MPD whenever it is due on the way."""
        while self.next_refresh <= t:
            self.clock.t = max(self.clock.t, self.next_refresh)
            await self.refresh()
        self.clock.t = max(self.clock.t, t)

    async def fetch(self, rep: Representation, ref: SegmentRef) -> bool:
        """Fetch ``ref`` following the decisions; False when it was skipped."""
        attempt = 0
        d: Any = plan_request(rep, ref, self.now())
        while True:
            if isinstance(d, WaitUntil | RetryAt):
                await self.advance_to(self.clock.t + (d.at - self.now()).total_seconds())
                d = Fetch(ref)
            if isinstance(d, Skip):
                self.events.append(
                    SegmentSkipped(
                        at=self.clock.t,
                        track="video",
                        number=ref.number,
                        start=ref.start,
                        duration=ref.duration,
                        reason=d.reason,
                    )
                )
                return False
            if isinstance(d, Failover):
                self.failovers += 1
                return False
            async with self.http.get(ref.url) as r:
                status = r.status
            if status == 200:
                self.got.append(ref)
                self.fetched_at.append(self.clock.t)
                return True
            self.not_found += 1
            attempt += 1
            d = on_not_found(rep, ref, self.now(), attempt)
            self.retries += isinstance(d, RetryAt)

    async def follow(self, seconds: float) -> None:
        """From the live start position (or where it stopped), fetch ``seconds`` of media."""
        if self.position is None:
            await self.refresh()
            assert self.manifest is not None
            self.position = start_position(self.manifest, live_window(self.manifest, self.now()))
        assert self.manifest is not None
        position = self.position
        stop = position + seconds
        while position < stop:
            if reached_end(self.manifest, position):
                return
            rep = self.rep_at(position)
            try:
                ref = rep.segment_at(position + 1e-6, self.now())
            except SegmentNotFound:  # not in the timeline yet: wait for the next refresh
                await self.advance_to(self.next_refresh)
                continue
            await self.fetch(rep, ref)
            position = self.position = ref.end


@pytest.fixture
async def channel(tmp_path: Path) -> AsyncIterator[tuple[Backend, VirtualClock]]:
    clock = VirtualClock()
    be = Backend(
        tmp_path / "data",
        catalog=[],
        live=default_channels(segment_s=2.0, time_shift_buffer_s=20.0),
        live_start=clock.t - START,
        clock=clock,
        content_scale=0.02,
        ocas=1,
    )
    await be.start()
    try:
        yield be, clock
    finally:
        await be.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def mpd_url(be: Backend, cid: str) -> str:
    return f"{be.oca_urls[0]}/titles/{cid}/manifest.mpd"


async def control(http: aiohttp.ClientSession, be: Backend, path: str, doc: Any = None) -> Any:
    url = f"{be.control_url}/control/v1/live/{path}"
    async with http.post(url, json=doc or {}, headers=be.control_headers) as r:
        assert r.status == 200
        return await r.json()


def assert_in_order(refs: list[SegmentRef]) -> None:
    for a, b in itertools.pairwise(refs):
        assert abs(b.start - a.end) < 1e-6, (a, b)


@pytest.mark.parametrize("cid", ["live-news", "live-sports"])
@pytest.mark.parametrize("skew", [-30.0, 0.0, 30.0])
async def test_follow_edge_with_device_clock_skew(
    channel: tuple[Backend, VirtualClock], http: aiohttp.ClientSession, cid: str, skew: float
) -> None:
    be, clock = channel
    f = Follower(http, clock, mpd_url(be, cid), device_skew=skew)
    await f.follow(20.0)
    assert f.sync.offset is not None and f.sync.offset.offset_s == pytest.approx(-skew, abs=1e-3)
    assert len(f.got) == 10 and f.not_found == 0 and f.failovers == 0
    assert_in_order(f.got)
    # Started at now - suggestedPresentationDelay (6 s) and each segment fetched the instant
    # it became available: latency to the edge stays 2 s (one segment) once caught up.
    assert f.got[0].start == START - 6.0
    latency = [
        clock_t - (be.live.channels[cid].ast + ref.end)
        for clock_t, ref in zip(f.fetched_at, f.got, strict=True)
    ]
    assert max(latency[4:]) == pytest.approx(0.0, abs=1e-6)


async def test_late_segment_is_retried_not_failed_over(
    channel: tuple[Backend, VirtualClock], http: aiohttp.ClientSession
) -> None:
    be, clock = channel
    await control(http, be, "live-sports/late", {"segments": 1, "seconds": 3, "after": 1})
    f = Follower(http, clock, mpd_url(be, "live-sports"))
    await f.follow(14.0)
    assert f.failovers == 0 and not f.events and f.retries >= 1
    assert_in_order(f.got)
    late = next(r for r in f.got if r.number == 52)  # index 51, published 3 s late
    at = f.fetched_at[f.got.index(late)] - be.live.channels["live-sports"].ast
    assert late.end + 3.0 <= at <= late.end + 3.0 + 2.0


async def test_missing_segment_is_skipped_with_an_event(
    channel: tuple[Backend, VirtualClock], http: aiohttp.ClientSession
) -> None:
    be, clock = channel
    await control(http, be, "live-news/missing", {"segments": 1, "after": 1})
    f = Follower(http, clock, mpd_url(be, "live-news"))
    await f.follow(14.0)
    assert f.failovers == 0
    assert [(e.reason, round(e.start)) for e in f.events] == [("missing", 102)]
    assert 102.0 not in [r.start for r in f.got] and 104.0 in [r.start for r in f.got]


@pytest.mark.parametrize("cid", ["live-news", "live-sports"])
async def test_ad_break_period_is_crossed_without_loss(
    channel: tuple[Backend, VirtualClock], http: aiohttp.ClientSession, cid: str
) -> None:
    be, clock = channel
    await control(http, be, f"{cid}/period", {"in_s": 3})  # boundary at 104 s
    f = Follower(http, clock, mpd_url(be, cid))
    await f.follow(16.0)
    assert f.manifest is not None and [p.id for p in f.manifest.periods][-2:] == ["p0", "p1"]
    assert_in_order(f.got)
    crossing = [r for r in f.got if r.start in (102.0, 104.0)]
    assert [r.start for r in crossing] == [102.0, 104.0]
    before, after = crossing
    assert after.time == before.time + round(before.duration * before.timescale)
    assert f.not_found == 0 and not f.events


async def test_end_of_event_ends_the_follower(
    channel: tuple[Backend, VirtualClock], http: aiohttp.ClientSession
) -> None:
    be, clock = channel
    f = Follower(http, clock, mpd_url(be, "live-news"))
    await f.follow(6.0)
    await control(http, be, "live-news/end")  # the edge is 100 s
    await f.follow(60.0)
    assert f.manifest is not None and not f.manifest.is_dynamic
    assert f.manifest.media_presentation_duration == 100.0
    assert f.got[-1].end == 100.0 and reached_end(f.manifest, f.got[-1].end)
    assert f.not_found == 0
    assert_in_order(f.got)
