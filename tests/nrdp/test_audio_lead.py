"""Audio is handed to the sink in batches, up to ``AUDIO_LEAD_S`` ahead of its time, so the
audio presenter wakes a few times per media second instead of once per AAC frame; video
still goes at its time. Runs the real player on virtual time (a busy machine moves
nothing): the wake-ups are the presenter's sleeps on the clock, counted per task."""

from __future__ import annotations

import asyncio
import collections

from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.media.sinks import AudioFrame, HashSink, VideoFrame
from nrdp.player import Player
from nrdp.scheduler.presenter import AUDIO_LEAD_S
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock

EPS = 1e-6
REALTIME = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=2.0, max_ahead=3.0))


class CountingClock(VirtualClock):
    """Virtual time that counts the sleeps of each task, by the task's name."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: collections.Counter[str] = collections.Counter()

    async def sleep(self, seconds: float) -> None:
        task = asyncio.current_task()
        self.sleeps[task.get_name() if task is not None else "?"] += 1
        await super().sleep(seconds)


class LeadSink(HashSink):
    """Records the playhead (the presentation clock) when each frame is handed over."""

    def __init__(self) -> None:
        super().__init__()
        self.player: Player | None = None
        self.audio_at: list[tuple[float, float]] = []  # pts, playhead
        self.video_at: list[tuple[float, float]] = []
        self.end_at: float | None = None

    def _playhead(self) -> float:
        assert self.player is not None
        return self.player.position

    def on_audio(self, frame: AudioFrame) -> None:
        super().on_audio(frame)
        self.audio_at.append((frame.pts, self._playhead()))

    def on_video(self, frame: VideoFrame) -> None:
        super().on_video(frame)
        self.video_at.append((frame.pts, self._playhead()))

    def on_end(self) -> None:
        super().on_end()
        self.end_at = self._playhead()


async def test_audio_goes_in_batches_ahead_of_its_time_and_never_late(backend, nb):
    clock = CountingClock()
    sink = LeadSink()
    async with Device(
        DeviceConfig("nrdp-lead-device-0001", backend.gateway_url), clock=clock
    ) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        player = dev.player(sink=sink, config=REALTIME)
        sink.player = player
        await player.load(nb.TITLE.id)
        assert await player.wait_until_done(timeout=60) is PlayerState.ENDED
        await player.stop()
    pts = [p for p, _ in sink.audio_at]
    assert len(pts) > 100 and pts == sorted(set(pts))  # every frame once, in order
    media_s = pts[-1] - pts[0]
    # the first frame goes at its time (it starts a device), the rest at most the lead early
    first_pts, first_at = sink.audio_at[0]
    assert abs(first_at - first_pts) <= EPS
    for p, at in sink.audio_at:
        assert at <= p + EPS, (p, at)  # never after its time
        assert at >= p - AUDIO_LEAD_S - EPS, (p, at)  # never more than the lead ahead
    assert any(at < p - 0.1 for p, at in sink.audio_at)  # and really handed over ahead
    for p, at in sink.video_at:
        assert abs(at - p) <= EPS, (p, at)  # video still at its time, to the microsecond
    assert sink.video_frames == nb.FRAMES
    # the track ends at its last frame's time, not the lead before it
    assert sink.end_at is not None and sink.end_at >= pts[-1] - EPS
    # one wake-up per batch, not per AAC frame (~47 a second at 48 kHz before)
    per_s = clock.sleeps["nrdp-present-audio"] / media_s
    frames_per_s = len(pts) / media_s
    assert per_s <= frames_per_s / 4, (per_s, frames_per_s)
