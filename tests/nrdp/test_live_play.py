"""The player on the fake backend's live channels, on virtual time over real HTTP: real
encrypted media, real decode, the backend's channel clock and the device's wall clock both
driven by the same :class:`nrdp.testing.VirtualClock` (a busy machine cannot move them).

Each control fault of the channels has its test: late segment -> retried on the same OCA
on time (no failover); missing segment -> skipped with an event; device clock ±30 s -> at
the edge after the UTCTiming sync; ad-break Period -> crossed without a lost frame; end of
event -> ENDED.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from apps.headless.frames import read_frame_id
from fake_backend.live.channel import ChannelConfig
from nrdp import Device, DeviceConfig, PlayerConfig
from nrdp.config import BufferConfig, LiveConfig
from nrdp.events import Event, OcaFailover, RebufferStarted
from nrdp.live.events import (
    ClockSynced,
    LiveEdgeJumped,
    LiveEnded,
    LiveLatency,
    ManifestRefreshed,
    SegmentSkipped,
)
from nrdp.media.sinks import HashSink
from nrdp.player import Player
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock

SEGMENT = 1.0
FPS = 10
SINCE_AST = 100.0  # the channel has been live this long when a test starts
TARGET = 3.0
LOOP_FRAMES = 40  # the channel loops the 4 s test title


def channels(addressing: str = "time") -> tuple[ChannelConfig, ...]:
    return (
        ChannelConfig(
            "live-test",
            "Live: test",
            addressing,  # type: ignore[arg-type]
            segment_s=SEGMENT,
            loop_s=4.0,
            time_shift_buffer_s=20.0,
            presentation_delay_s=TARGET,
        ),
    )


@dataclass
class Session:
    be: Any
    clock: VirtualClock
    t0: float
    player: Player | None = None
    sink: HashSink = field(default_factory=lambda: HashSink(read_frame_id))
    events: list[Event] = field(default_factory=list)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def control(self, path: str, doc: Any = None, method: str = "POST") -> Any:
        """A live control call (virtual time holds meanwhile)."""
        with self.clock.busy():
            async with (
                aiohttp.ClientSession() as http,
                http.request(
                    method,
                    f"{self.be.control_url}/control/v1/live{path}",
                    json=doc or {},
                    headers=self.be.control_headers,
                ) as r,
            ):
                assert r.status == 200, await r.text()
                return await r.json()

    async def later(self, seconds: float, path: str, doc: Any = None, method: str = "POST") -> None:
        await self.clock.sleep(seconds)
        await self.control(path, doc, method)


@pytest.fixture
async def live_backend(make_backend: Callable[..., Any]) -> Any:
    async def make(addressing: str = "time", ocas: int = 2) -> Session:
        clock = VirtualClock()
        t0 = float(int(time.time()))
        be = await make_backend(
            catalog=[],
            live=channels(addressing),
            live_start=t0 - SINCE_AST,
            clock=lambda: t0 + clock.now(),
            ocas=ocas,
        )
        return Session(be, clock, t0)

    return make


def assert_frames_in_order(
    sink: HashSink, *, skipped: tuple[float, ...] = (), jumps: int = 0
) -> None:
    """Every frame once, in order: pts and frame ids (looped) step by one frame, except
    across the segments ``skipped`` (starts; none of their frames shown) and at most
    ``jumps`` jumps ahead to the edge."""
    pts = [round(p * FPS) for p in sink.video_pts]
    assert pts, "no frame presented"
    steps = [b - a for a, b in itertools.pairwise(pts)]
    assert all(d >= 1 for d in steps), pts
    assert len([d for d in steps if d != 1]) <= len(skipped) + jumps, pts
    for start in skipped:
        first, end = round(start * FPS), round((start + SEGMENT) * FPS)
        assert not [p for p in pts if first <= p < end], (start, pts)
        assert pts[0] < first and pts[-1] >= end
    ids = sink.frame_ids
    id_steps = [(b - a) % LOOP_FRAMES for a, b in itertools.pairwise(ids)]
    assert id_steps == [s % LOOP_FRAMES for s in steps], ids


async def play(
    s: Session,
    seconds: float,
    *,
    skew: float = 0.0,
    during: Callable[[], Any] | None = None,
    config: PlayerConfig | None = None,
) -> Player:
    """Load the channel (device wall clock ``skew`` off), play ``seconds`` of virtual time."""
    cfg = config or PlayerConfig(
        buffer=BufferConfig(start=0.5, rebuffer=0.5, target=4.0, max_ahead=6.0),
        live=LiveConfig(tick_s=0.3),
    )
    dev = Device(DeviceConfig("nrdp-live-device-0001", s.be.gateway_url), clock=s.clock)
    await dev.__aenter__()
    await dev.login(s.be.demo_email, s.be.demo_password)
    player = dev.player(sink=s.sink, config=cfg)
    player.wall = lambda: s.t0 + skew + s.clock.now()
    player.on_event(s.events.append)
    s.player = player
    await player.load("live-test")
    end = s.clock.now() + seconds
    if during is not None:
        await during()
    while s.clock.now() < end and player.state not in (PlayerState.ENDED, PlayerState.ERROR):
        await s.clock.sleep(0.5)
    s.dev = dev  # type: ignore[attr-defined]
    return player


async def finish(s: Session) -> None:
    assert s.player is not None
    await s.player.stop()
    await s.dev.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("addressing", ["time", "number"])
async def test_plays_at_the_edge_across_refreshes(live_backend, addressing) -> None:
    s = await live_backend(addressing)
    player = await play(s, 20.0)
    stats = player.stats()
    assert player.state is PlayerState.PLAYING
    assert player.error is None
    await finish(s)
    assert_frames_in_order(s.sink)
    assert len(s.sink.video_pts) >= 18 * FPS  # ~20 s played on virtual time
    assert stats.live and stats.mpd_refreshes >= 15
    assert stats.live_latency_s is not None
    median = stats.live_latency_s["median"]
    assert median is not None and abs(median - TARGET) <= 2 * SEGMENT
    assert stats.stall_count == 0
    assert s.sink.video_pts[0] >= SINCE_AST - TARGET - 2 * SEGMENT  # started at the edge
    assert s.of(ClockSynced) and s.of(ManifestRefreshed) and s.of(LiveLatency)


async def test_late_segment_is_retried_on_the_same_oca_not_failed_over(live_backend) -> None:
    s = await live_backend()
    player = await play(
        s, 12.0, during=lambda: s.later(3.0, "/live-test/late", {"seconds": 1.5, "after": 1})
    )
    stats = player.stats()
    counters = await s.control("", method="GET")
    await finish(s)
    assert counters["requests"]["not_available"] >= 1  # the 404 happened ...
    assert not s.of(OcaFailover) and stats.oca_failovers == 0  # ... and was no failover
    assert not s.of(SegmentSkipped)
    assert_frames_in_order(s.sink)  # the late segment was fetched and played
    assert len(s.sink.video_pts) >= 7 * FPS


async def test_missing_segment_is_skipped_with_an_event(live_backend) -> None:
    s = await live_backend()
    player = await play(
        s, 14.0, during=lambda: s.later(3.0, "/live-test/missing", {"segments": 1, "after": 1})
    )
    stats = player.stats()
    await finish(s)
    skipped = s.of(SegmentSkipped)
    assert {e.track for e in skipped} == {"video", "audio"}
    assert {e.reason for e in skipped} == {"missing"}
    assert stats.segments_skipped == len(skipped)
    assert not s.of(OcaFailover)
    starts = tuple({e.start for e in skipped if e.track == "video"})
    assert len(starts) == 1
    # that segment's frames are missing, the rest in order (a jump to the edge may follow
    # the stall the retries made)
    assert_frames_in_order(s.sink, skipped=starts, jumps=stats.edge_jumps)
    assert player.error is None


@pytest.mark.parametrize("skew", [30.0, -30.0])
async def test_device_clock_off_by_30s_plays_at_the_edge(live_backend, skew) -> None:
    s = await live_backend()
    player = await play(s, 12.0, skew=skew)
    stats = player.stats()
    await finish(s)
    sync = s.of(ClockSynced)[0]
    assert sync.offset_s == pytest.approx(-skew, abs=0.5)
    assert stats.live_latency_s is not None
    median = stats.live_latency_s["median"]
    assert median is not None and abs(median - TARGET) <= 2 * SEGMENT
    assert stats.stall_count == 0
    assert_frames_in_order(s.sink)


async def test_server_clock_skew_is_resynced_and_playback_stays_at_the_edge(live_backend) -> None:
    """The UTCTiming endpoint lies by 30 s at load, then tells the truth: segments are not
    where the clock says (404s), the player resamples and is back at the edge."""
    s = await live_backend()
    await s.control("/clock", {"skew_s": 30}, method="PUT")

    async def fix() -> None:
        await s.later(2.0, "/clock", {"skew_s": 0}, "PUT")

    player = await play(s, 20.0, during=fix)
    await finish(s)
    syncs = s.of(ClockSynced)
    assert len(syncs) >= 2 and abs(syncs[-1].offset_s) < 0.5
    latencies = [e.latency_s for e in s.of(LiveLatency)]
    assert abs(latencies[-1] - TARGET) <= 2 * SEGMENT
    assert player.error is None
    skipped = tuple({e.start for e in s.of(SegmentSkipped) if e.track == "video"})
    assert_frames_in_order(s.sink, skipped=skipped, jumps=len(s.of(LiveEdgeJumped)))


async def test_ad_break_period_is_crossed_without_a_lost_frame(live_backend) -> None:
    s = await live_backend()
    player = await play(s, 14.0, during=lambda: s.later(2.0, "/live-test/period", {"in_s": 4}))
    periods, stats = player.periods_played, player.stats()
    await finish(s)
    assert periods == 1  # the first Period played to its end, the ad break is playing
    assert stats.stall_count == 0
    assert any(e.new_periods for e in s.of(ManifestRefreshed))
    assert_frames_in_order(s.sink)
    assert len(s.sink.video_pts) >= 12 * FPS


async def test_end_of_event_ends_playback(live_backend) -> None:
    s = await live_backend()
    player = await play(s, 30.0, during=lambda: s.later(4.0, "/live-test/end"))
    state = player.state
    await finish(s)
    assert state is PlayerState.ENDED
    ended = s.of(LiveEnded)
    assert len(ended) == 1
    assert s.sink.video_pts[-1] == pytest.approx(ended[0].end - 1 / FPS, abs=1e-6)
    assert_frames_in_order(s.sink)


async def test_start_in_the_dvr_window_seek_clamps_and_go_live(live_backend) -> None:
    s = await live_backend()
    dev = Device(DeviceConfig("nrdp-live-device-0002", s.be.gateway_url), clock=s.clock)
    async with dev:
        await dev.login(s.be.demo_email, s.be.demo_password)
        player = dev.player(sink=s.sink, config=PlayerConfig(autoplay=True))
        player.wall = lambda: s.t0 + s.clock.now()
        player.on_event(s.events.append)
        await player.load("live-test", live_offset=2.0)  # 2 s into the 20 s window
        window = player.live_window()
        assert window is not None and player.live
        dvr_start, edge = window
        assert player.position == pytest.approx(dvr_start + 2.0, abs=SEGMENT / 2)
        first = player.position
        await s.clock.sleep(3.0)
        await player.seek(edge + 50.0)  # past the edge: clamped, at a segment start
        assert player.position <= player.live_window()[1]  # type: ignore[index]
        await player.seek(0.0)  # before the window: its start
        assert player.position >= player.live_window()[0]  # type: ignore[index]
        await s.clock.sleep(2.0)
        await player.go_live()
        live_at = player.position
        now_s = SINCE_AST + s.clock.now()
        assert abs(now_s - live_at - TARGET) <= SEGMENT / 2 + 1e-6
        await s.clock.sleep(3.0)
        assert player.state is PlayerState.PLAYING and player.error is None
        await player.stop()
    assert s.sink.video_pts[0] == pytest.approx(first)
    assert s.sink.video_pts[-1] >= live_at


async def play_nudged(
    s: Session, seconds: float, *, target: float, live_offset: float, device: str
) -> Any:
    """Play the channel ``live_offset`` from the edge with ``target`` latency on the shipped
    :class:`HashSink` (SDK-paced: it takes a playback rate) for ``seconds`` of virtual time;
    the stats snapshot at the end."""
    cfg = PlayerConfig(
        buffer=BufferConfig(start=0.5, rebuffer=0.5, target=4.0, max_ahead=6.0),
        live=LiveConfig(target_latency=target, margin_s=1.0),
    )
    dev = Device(DeviceConfig(device, s.be.gateway_url), clock=s.clock)
    async with dev:
        await dev.login(s.be.demo_email, s.be.demo_password)
        player = dev.player(sink=s.sink, config=cfg)
        player.wall = lambda: s.t0 + s.clock.now()
        player.on_event(s.events.append)
        await player.load("live-test", live_offset=live_offset)
        await s.clock.sleep(seconds)
        stats = player.stats()
        await player.stop()
    return stats


class TimedSink(HashSink):
    """The shipped HashSink, with the session-clock time of each picture and rate change."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(read_frame_id)
        self.clock = clock
        self.shown_at: list[float] = []
        self.rate_at: list[float] = []

    def on_video(self, frame: Any) -> None:
        super().on_video(frame)
        self.shown_at.append(self.clock.now())

    def set_playback_rate(self, rate: float) -> None:
        super().set_playback_rate(rate)
        self.rate_at.append(self.clock.now())

    def assert_paced_at(self, rate: float) -> None:
        """Frames reached the sink one frame duration / ``rate`` of clock time apart (over
        3 s from the first rate change, while the whole nudge applies)."""
        first = next(i for i, t in enumerate(self.shown_at) if t > self.rate_at[0])
        last = first + 3 * FPS
        elapsed = self.shown_at[last] - self.shown_at[first]
        media = self.video_pts[last] - self.video_pts[first]
        assert elapsed == pytest.approx(media / rate, abs=0.011), (elapsed, media)


async def test_latency_above_target_converges_with_a_rate_nudge_not_a_jump(live_backend) -> None:
    s = await live_backend()
    sink = s.sink = TimedSink(s.clock)
    stats = await play_nudged(
        s, 70.0, target=TARGET, live_offset=-6.0, device="nrdp-live-device-0003"
    )
    samples = s.of(LiveLatency)
    assert samples[0].latency_s > TARGET + 2.5  # beyond the margin: the full +5 %
    assert samples[0].rate == 1.05 and sink.rates[0] == 1.05  # the sink was told
    assert all(0.95 <= e.rate <= 1.05 for e in samples)
    sink.assert_paced_at(1.05)  # the media clock ran 5 % fast
    assert abs(samples[-1].latency_s - TARGET) <= 1.0  # converged within the margin
    assert samples[-1].rate <= samples[0].rate  # (proportional: slower as it closes in)
    assert stats.edge_jumps == 0 and stats.stall_count == 0 and not s.of(LiveEdgeJumped)
    assert_frames_in_order(sink)  # every frame once, in order


async def test_latency_below_target_slows_down(live_backend) -> None:
    s = await live_backend()
    sink = s.sink = TimedSink(s.clock)
    target = 5.5  # the start is at most the newest segment's start: ~2 s behind now
    stats = await play_nudged(
        s, 30.0, target=target, live_offset=-1.0, device="nrdp-live-device-0004"
    )
    samples = s.of(LiveLatency)
    assert samples[0].latency_s < target - 2.5
    assert samples[0].rate == 0.95 and sink.rates[0] == 0.95
    sink.assert_paced_at(0.95)
    assert all(0.95 <= e.rate <= 1.0 for e in samples)
    assert samples[-1].latency_s >= samples[0].latency_s + 1.2  # 30 s at -5 %..-2 %
    # at the very edge a segment may come in just late before the slow-down has had time to
    # act (at -5 % it gains 50 ms a second); a second after it the buffer only grows
    assert not [e for e in s.of(RebufferStarted) if e.at >= sink.rate_at[0] + 1.0], stats
    assert stats.edge_jumps == 0
    assert_frames_in_order(sink)
