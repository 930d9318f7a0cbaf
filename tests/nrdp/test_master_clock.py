"""An external master clock (``Player.set_master_clock``, the audio device's clock in the
desktop app): video follows it in real time, late frames are dropped and counted, and a
missing or stalled master falls back to the SDK's own clock without a jump.

The players run against the real fake backend in real time; the assertions are relations
that hold however slow the machine is (a frame is never shown before the master reached
its time), never upper bounds on timing. The frozen-master test, which bounds when frames
are shown after the freeze, runs on virtual time (the master reads the same clock), so a
busy machine cannot move a frame.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

from fake_backend.packager.frame_id import read_frame_id
from nrdp import MasterClock
from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.events import FramesRendered
from nrdp.media.sinks import HashSink, VideoFrame
from nrdp.player import Player
from nrdp.scheduler.master import MasterFollower
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock

REALTIME = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=2.0, max_ahead=3.0))
EPS = 1e-6


class WallMaster:
    """A master clock on the wall clock: ``offset + rate * (now - t0)``, where ``t0`` is
    the first reading (the SDK reads it first when the first video frame is due), frozen
    from master time ``freeze_at`` on if given."""

    def __init__(
        self, *, rate: float = 1.0, offset: float = 0.0, freeze_at: float | None = None
    ) -> None:
        self.rate = rate
        self.offset = offset
        self.freeze_at = freeze_at
        self.t0: float | None = None
        self.reads = 0

    def at(self, wall: float) -> float:
        assert self.t0 is not None
        value = self.offset + self.rate * (wall - self.t0)
        return value if self.freeze_at is None else min(value, self.freeze_at)

    def __call__(self) -> float | None:
        self.reads += 1
        if self.t0 is None:
            self.t0 = time.monotonic()
        return self.at(time.monotonic())


class VirtualMaster:
    """A master clock on the player's virtual clock: ``clock.now() - t0`` from its first
    reading, frozen from master time ``freeze_at`` on."""

    def __init__(self, clock: VirtualClock, *, freeze_at: float) -> None:
        self.clock = clock
        self.freeze_at = freeze_at
        self.t0: float | None = None

    def at(self, now: float) -> float:
        assert self.t0 is not None
        return min(now - self.t0, self.freeze_at)

    def __call__(self) -> float | None:
        if self.t0 is None:
            self.t0 = self.clock.now()
        return self.at(self.clock.now())


class VirtualTimedSink(HashSink):
    """Records the virtual time and the master's reading at which each picture is shown."""

    def __init__(self, master: VirtualMaster) -> None:
        super().__init__(read_frame_id)
        self.master = master
        self.shown: list[tuple[float, float, float | None]] = []  # pts, time, master

    def on_video(self, frame: VideoFrame) -> None:
        super().on_video(frame)
        now = self.master.clock.now()
        self.shown.append((frame.pts, now, self.master.at(now)))


class TimedSink(HashSink):
    """Records the wall time and the master's reading at which each picture is shown."""

    def __init__(self, master: Any = None) -> None:
        super().__init__(read_frame_id)
        self.master = master
        self.shown: list[tuple[float, float, float | None]] = []  # pts, wall, master

    def on_video(self, frame: VideoFrame) -> None:
        super().on_video(frame)
        wall = time.monotonic()
        reading = self.master.at(wall) if isinstance(self.master, WallMaster) else None
        self.shown.append((frame.pts, wall, reading))


@pytest.fixture
async def device(backend):
    devices: list[Device] = []

    async def make(n: int, clock: VirtualClock | None = None) -> Device:
        dev = Device(DeviceConfig(f"nrdp-master-{n:04d}", backend.gateway_url), clock=clock)
        await dev.__aenter__()
        devices.append(dev)
        await dev.login(backend.demo_email, backend.demo_password)
        return dev

    try:
        yield make
    finally:
        for dev in devices:
            await dev.close()


async def _run(device, nb, n: int, master: MasterClock | None, sink: HashSink, clock=None):
    dev = await device(n, clock)
    events: list[FramesRendered] = []
    player = dev.player(sink=sink, config=REALTIME)
    player.on_event(lambda e: events.append(e) if isinstance(e, FramesRendered) else None)
    player.set_master_clock(master)
    await player.load(nb.TITLE.id)
    return player, events


# -- the real player ------------------------------------------------------------------------


async def test_video_follows_a_master_clock_at_half_speed(device, nb):
    master = WallMaster(rate=0.5)
    sink = TimedSink(master)
    player, _ = await _run(device, nb, 1, master, sink)
    active: list[bool] = []
    while player.state not in (PlayerState.ENDED, PlayerState.ERROR):
        active.append(player.master_clock_active)
        await asyncio.sleep(0.2)
    assert player.state is PlayerState.ENDED, player.stats().last_error
    stats = player.stats()
    assert sink.frame_ids == list(range(nb.FRAMES))  # none late on a slow master
    assert stats.presented_frames == nb.FRAMES and stats.dropped_frames == 0
    # no frame was shown before the master reached its time; the SDK's own clock runs
    # twice as fast, so on it every frame after the first would have been early
    early = [(pts, m) for pts, _, m in sink.shown if m is None or m < pts - EPS]
    assert not early
    last_pts, last_wall, _ = sink.shown[-1]
    assert master.t0 is not None and last_wall - master.t0 >= 2 * last_pts - EPS
    assert any(active)
    await player.stop()


async def test_a_master_that_returns_none_leaves_video_on_the_sdk_clock(device, nb):
    reads = 0

    def none() -> float | None:
        nonlocal reads
        reads += 1
        return None

    sink = TimedSink()
    player, _ = await _run(device, nb, 2, none, sink)
    assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
    stats = player.stats()
    assert reads > 0  # it was asked, and video went on without it
    assert sink.frame_ids == list(range(nb.FRAMES))
    assert stats.presented_frames == nb.FRAMES and stats.dropped_frames == 0
    assert not player.master_clock_active
    await player.stop()


async def test_a_master_that_freezes_mid_playback_falls_back_without_a_jump(device, nb):
    clock = VirtualClock()  # the player and the master on virtual time: load moves nothing
    master = VirtualMaster(clock, freeze_at=1.5)  # e.g. the audio device stalled at 1.5 s
    sink = VirtualTimedSink(master)
    player, _ = await _run(device, nb, 3, master, sink, clock)
    assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
    stats = player.stats()
    # every frame shown, none dropped: the fallback went on from where the master stopped
    assert sink.frame_ids == list(range(nb.FRAMES))
    assert stats.presented_frames == nb.FRAMES and stats.dropped_frames == 0
    assert master.t0 is not None
    after = [(pts, t - master.t0) for pts, t, _ in sink.shown if pts > 1.5 + EPS]
    assert after, "no frame after the freeze: nothing was checked"
    for pts, _, reading in sink.shown:
        if pts <= 1.5 + EPS:  # on the master: never before it reached the frame's time
            assert reading is not None and reading >= pts - EPS
    # after the freeze: held STALL_AFTER (0.5 s) of playing time at 1.5, then the SDK's
    # clock from 1.5 on (not from where the SDK's clock was: no jump, nothing dropped)
    for pts, since in after:
        assert since >= pts + 0.5 - EPS, (pts, since)
        assert since <= pts + 0.5 + 0.1, (pts, since)  # and not held longer than that
    assert not player.master_clock_active  # still frozen: the SDK's clock paces video
    await player.stop()


async def test_frames_behind_the_master_are_dropped_and_counted(device, nb):
    master = WallMaster(offset=1.0)  # the master is 1 s ahead of the first frame
    sink = TimedSink(master)
    player, events = await _run(device, nb, 4, master, sink)
    assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
    stats = player.stats()
    shown = [i for i in sink.frame_ids if i is not None]
    # pictures at 0.0 .. 0.8 s were more than a frame behind a master that starts at 1.0
    late = [i for i in range(nb.FRAMES) if i / nb.FPS < 1.0 - 0.1 - EPS]
    assert late and not set(shown) & set(late)
    assert stats.dropped_frames >= len(late)
    assert stats.presented_frames == len(shown) == sink.video_frames
    assert stats.presented_frames + stats.dropped_frames == nb.FRAMES
    assert sum(e.dropped for e in events) == stats.dropped_frames
    assert shown and shown == sorted(set(shown))
    await player.stop()


async def test_pause_and_seek_with_a_master_that_lags_the_player(device, nb):
    holder: dict[str, Player] = {}

    def lagging() -> float | None:  # like a device that plays 0.3 s behind what it is given
        return holder["player"].position - 0.3 if "player" in holder else None

    class LagSink(TimedSink):
        def on_video(self, frame: VideoFrame) -> None:
            super().on_video(frame)
            self.shown[-1] = (frame.pts, self.shown[-1][1], lagging())

    sink = LagSink()
    dev = await device(5)
    player = dev.player(sink=sink, config=REALTIME)
    holder["player"] = player
    player.set_master_clock(lagging)
    await player.load(nb.TITLE.id)
    await asyncio.sleep(1.0)
    player.pause()
    await asyncio.sleep(0.1)
    frozen = sink.video_frames
    await asyncio.sleep(0.7)  # longer than the stall limit: a paused master is not stalled
    assert sink.video_frames == frozen
    player.play()
    await asyncio.sleep(0.3)
    await player.seek(2.5)
    assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
    assert not [(p, m) for p, _, m in sink.shown if m is None or m < p - EPS]
    ids = [i for i in sink.frame_ids if i is not None]
    after = ids[ids.index(25) :] if 25 in ids else []
    assert after == list(range(25, nb.FRAMES))  # after the seek: every frame, on the master
    assert player.master_clock_active
    player.set_master_clock(None)
    assert not player.master_clock_active
    await player.stop()


# -- the follower (pure) --------------------------------------------------------------------


class Stepped:
    def __init__(self) -> None:
        self.value: float | None = None
        self.fail = False

    def __call__(self) -> float | None:
        if self.fail:
            raise RuntimeError("device gone")
        return self.value


def test_without_a_reading_the_follower_is_the_sdk_clock():
    m = Stepped()
    f = MasterFollower(m)
    f.reset(3.0)
    assert f.position(3.0) == 3.0 and f.position(3.4) == pytest.approx(3.4)
    assert not f.following


def test_the_follower_reads_the_master_and_falls_back_from_where_it_was():
    m = Stepped()
    f = MasterFollower(m, stall_after=0.5)
    f.reset(0.0)
    m.value = 0.2
    assert f.position(0.5) == 0.2 and f.following  # the master lags the SDK by 0.3
    m.value = 0.4
    assert f.position(0.7) == 0.4
    m.value = None  # starved: the SDK's clock from 0.4 on, not from 0.7 (no jump)
    assert f.position(0.8) == pytest.approx(0.4) and not f.following
    assert f.position(1.0) == pytest.approx(0.6)
    m.value = 0.9  # back: follow it again
    assert f.position(1.1) == 0.9 and f.following


def test_a_stalled_master_holds_video_for_stall_after_then_the_sdk_clock_runs_on():
    m = Stepped()
    f = MasterFollower(m, stall_after=0.5)
    f.reset(0.0)
    m.value = 1.0
    assert f.position(1.0) == 1.0
    assert f.position(1.3) == 1.0 and f.following  # not stalled yet
    assert f.position(1.5) == 1.0
    values = [f.position(1.5 + k * 0.1) for k in range(1, 6)]  # stalled from 1.5+
    assert not f.following
    assert values == sorted(values) and values[-1] == pytest.approx(1.4)
    assert all(v >= 1.0 for v in values)  # never back, never frozen for good
    m.value = 1.1  # the device runs again: video follows it (A/V sync restored)
    assert f.position(2.1) == 1.1 and f.following


def test_a_failing_or_nonsense_master_counts_as_none_and_reset_forgets():
    m = Stepped()
    f = MasterFollower(m)
    f.reset(0.0)
    m.value = 0.5
    assert f.position(0.5) == 0.5
    m.fail = True  # the SDK's clock from 0.5 on
    assert f.position(0.6) == pytest.approx(0.5) and not f.following
    m.fail = False
    m.value = math.nan
    assert f.position(0.7) == pytest.approx(0.6) and not f.following
    m.value = -math.inf
    assert f.position(0.8) == pytest.approx(0.7)
    f.reset(10.0)  # a seek: the SDK's clock from the target until the master speaks
    assert f.position(10.0) == 10.0
    m.value = 10.2
    assert f.position(10.1) == 10.2 and f.following


async def test_set_master_clock_refuses_a_non_callable(device):
    player = (await device(6)).player()
    with pytest.raises(TypeError):
        player.set_master_clock(1.5)
    player.set_master_clock(lambda: None)
    assert not player.master_clock_active  # nothing loaded
