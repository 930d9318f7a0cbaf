"""The player follows a live source nobody here wrote: FFmpeg's ``dash`` muxer (through PyAV)
encoding in real time (window_size, update_period, SegmentTimeline) into a directory served
by a plain ``http.server``, with the device clock 30 s ahead.

Real time by design (~65 s): the player loads at the edge, follows it for 60 s across MPD
refreshes (the encoder runs until 60 s after wherever playback started), and when the muxer
closes (it rewrites the MPD static with mediaPresentationDuration) the playback ends
cleanly. Assertions are load-proof: frames once and in order (the only gaps allowed are the
counted ones a loaded machine can make: a jump to the edge after a stall, a picture the
renderer dropped for being late), the median latency within two segment durations of the
target, the end reached.
"""

from __future__ import annotations

import asyncio
import itertools
import math
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
FOLLOW_S = 60


async def test_player_follows_ffmpeg_live_edge_until_the_event_ends(
    tmp_path: Path,
    server: str,  # noqa: F811
) -> None:
    length = [FOLLOW_S + 4]  # seconds of the event; set once playback started
    ready = threading.Event()
    encoder = threading.Thread(
        target=encode_live,
        args=(tmp_path / "live.mpd", server + "/time", ready, lambda: length[0]),
        daemon=True,
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
        length[0] = max(length[0], math.ceil(start) + FOLLOW_S)  # 60 s followed, any load
        state = await player.wait_until_done(timeout=length[0] + 60)
        stats = player.stats()
        await player.stop()
    await asyncio.to_thread(encoder.join, 10)
    end = length[0]

    assert state is PlayerState.ENDED, player.error
    sync = next(e for e in events if isinstance(e, ClockSynced))
    assert abs(sync.offset_s + DEVICE_SKEW_S) < 1.0
    assert stats.live and stats.mpd_refreshes >= 2 * FOLLOW_S // 3
    assert stats.live_latency_s is not None
    median = stats.live_latency_s["median"]
    assert median is not None and abs(median - TARGET_S) <= 2 * SEGMENT_S, stats.live_latency_s
    (ended,) = [e for e in events if isinstance(e, LiveEnded)]
    assert ended.end == pytest.approx(end)
    assert ended.end - start >= FOLLOW_S
    # every frame once, in order, from where playback started to the end of the event;
    # a frame is missing only where the edge jump or the renderer's late-frame drop says
    slots = [round(p * FPS) for p in sink.video_pts]
    jumps = [e for e in events if isinstance(e, LiveEdgeJumped)]
    assert all(b > a for a, b in itertools.pairwise(slots)), slots
    gaps = len([1 for a, b in itertools.pairwise(slots) if b != a + 1])
    assert gaps <= len(jumps) + stats.dropped_frames
    assert slots[0] == round(start * FPS) or stats.dropped_frames > 0
    assert slots[-1] == end * FPS - 1 or stats.dropped_frames > 0
    if not jumps:
        assert len(slots) + stats.dropped_frames == end * FPS - round(start * FPS)
