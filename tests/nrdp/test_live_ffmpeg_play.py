"""The player follows a live source nobody here wrote: FFmpeg's ``dash`` muxer (through PyAV)
encoding in real time (window_size, update_period, SegmentTimeline) into a directory served
by a plain ``http.server``, with the device clock 30 s ahead.

Real time by design (~35 s): the player loads at the edge, follows it across MPD refreshes,
and when the muxer closes (it rewrites the MPD static with mediaPresentationDuration) the
playback ends cleanly. Assertions are load-proof: frames once and in order (a jump to the
edge after a stall on a loaded machine is the only gap allowed, and it is counted), the
median latency within two segment durations of the target, the end reached.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from pathlib import Path

import pytest

from nrdp import Device, DeviceConfig, PlayerConfig
from nrdp.config import LiveConfig
from nrdp.live.events import ClockSynced, LiveEdgeJumped, LiveEnded
from nrdp.media.sinks import HashSink
from nrdp.source import DashSource
from nrdp.state import PlayerState
from tests.nrdp.test_live_ffmpeg import FPS, SEGMENT_S, encode_live, server  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.realtime]

TARGET_S = 3.0
DEVICE_SKEW_S = 30.0


async def test_player_follows_ffmpeg_live_edge_until_the_event_ends(
    tmp_path: Path,
    server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tests.nrdp.test_live_ffmpeg.SECONDS", 30)
    ready = threading.Event()
    encoder = threading.Thread(
        target=encode_live, args=(tmp_path / "live.mpd", server + "/time", ready), daemon=True
    )
    encoder.start()
    assert await asyncio.to_thread(ready.wait, 30)
    sink, events = HashSink(), []
    async with Device(DeviceConfig("nrdp-live-ffmpeg-0001", "http://127.0.0.1:9")) as dev:
        cfg = PlayerConfig(live=LiveConfig(target_latency=TARGET_S))
        player = dev.player(sink=sink, config=cfg)
        player.wall = lambda: time.time() + DEVICE_SKEW_S
        player.on_event(events.append)
        await player.load(DashSource(server + "/live.mpd"))
        start = player.position
        state = await player.wait_until_done(timeout=90)
        stats = player.stats()
        await player.stop()
    await asyncio.to_thread(encoder.join, 10)

    assert state is PlayerState.ENDED, player.error
    sync = next(e for e in events if isinstance(e, ClockSynced))
    assert abs(sync.offset_s + DEVICE_SKEW_S) < 1.0
    assert stats.live and stats.mpd_refreshes >= 10
    assert stats.live_latency_s is not None
    median = stats.live_latency_s["median"]
    assert median is not None and abs(median - TARGET_S) <= 2 * SEGMENT_S, stats.live_latency_s
    (ended,) = [e for e in events if isinstance(e, LiveEnded)]
    assert ended.end == pytest.approx(30.0)
    # every frame once, in order, from where playback started to the end of the event
    slots = [round(p * FPS) for p in sink.video_pts]
    jumps = [e for e in events if isinstance(e, LiveEdgeJumped)]
    assert all(b > a for a, b in itertools.pairwise(slots)), slots
    assert len([1 for a, b in itertools.pairwise(slots) if b != a + 1]) <= len(jumps)
    assert slots[0] == round(start * FPS)
    assert slots[-1] == 30 * FPS - 1
    if not jumps:
        assert len(slots) == 30 * FPS - round(start * FPS)
