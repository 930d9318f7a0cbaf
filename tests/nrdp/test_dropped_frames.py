"""Dropped frames: late pictures are skipped in real time, sinks may refuse a frame, and every
decoded frame is either presented or dropped, in order."""

from __future__ import annotations

import time

from fake_backend.packager.frame_id import read_frame_id
from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.events import FramesRendered
from nrdp.media.sinks import HashSink, VideoFrame
from nrdp.state import PlayerState


class SlowSink(HashSink):
    """Takes ``delay`` seconds to show each picture (blocks the loop, like a slow renderer)."""

    def __init__(self, delay: float) -> None:
        super().__init__(read_frame_id)
        self.delay = delay

    def on_video(self, frame: VideoFrame) -> bool | None:
        super().on_video(frame)
        time.sleep(self.delay)
        return None


class PickySink(HashSink):
    """Refuses every third picture (reports it as dropped by returning False)."""

    def __init__(self) -> None:
        super().__init__(read_frame_id)
        self.offered = 0
        self.refused = 0

    def on_video(self, frame: VideoFrame) -> bool | None:
        self.offered += 1
        if self.offered % 3 == 0:
            self.refused += 1
            return False
        super().on_video(frame)
        return True


async def _play(backend, nb, sink, config, n):  # type: ignore[no-untyped-def]
    async with Device(DeviceConfig(f"nrdp-dropframes-{n:04d}", backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        events: list[FramesRendered] = []
        player = dev.player(sink=sink, config=config)
        player.on_event(lambda e: events.append(e) if isinstance(e, FramesRendered) else None)
        await player.load(nb.TITLE.id)
        state = await player.wait_until_done(timeout=30)
        assert state is PlayerState.ENDED, player.stats().last_error
        stats = player.stats()
        await player.stop()
        return stats, events


REALTIME = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=2.0, max_ahead=3.0))


async def test_a_slow_sink_in_real_time_drops_late_frames_in_order(backend, nb):
    sink = SlowSink(0.25)  # 2.5 frame durations per picture at 10 fps
    stats, events = await _play(backend, nb, sink, REALTIME, 1)
    shown = [i for i in sink.frame_ids if i is not None]
    assert len(shown) == sink.video_frames
    assert shown == sorted(set(shown))  # nothing out of order, nothing twice
    assert stats.dropped_frames > 0
    assert stats.presented_frames == sink.video_frames
    assert stats.decoded_frames == stats.presented_frames + stats.dropped_frames == nb.FRAMES
    assert sum(e.dropped for e in events) == stats.dropped_frames
    # the frames shown were the ones whose time had come: the late ones were skipped
    assert len(shown) < nb.FRAMES and shown[-1] >= nb.FRAMES - 5


async def test_the_fast_path_never_drops_even_with_a_slow_sink(backend, nb):
    sink = SlowSink(0.03)
    stats, _ = await _play(backend, nb, sink, PlayerConfig(realtime=False), 2)
    assert stats.dropped_frames == 0
    assert sink.frame_ids == list(range(nb.FRAMES))
    assert stats.decoded_frames == stats.presented_frames == nb.FRAMES


async def test_frames_the_sink_refuses_are_counted_as_dropped(backend, nb):
    sink = PickySink()
    stats, _ = await _play(backend, nb, sink, PlayerConfig(realtime=False), 3)
    assert sink.offered == nb.FRAMES and sink.refused == nb.FRAMES // 3
    assert stats.dropped_frames == sink.refused
    assert stats.presented_frames == sink.video_frames == nb.FRAMES - sink.refused
    assert stats.decoded_frames == stats.presented_frames + stats.dropped_frames
    assert sink.frame_ids == [i for i in range(nb.FRAMES) if (i + 1) % 3]
