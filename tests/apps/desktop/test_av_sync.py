"""A/V sync arithmetic: the audio device's clock, and which frame shows at each tick."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.desktop.av_sync import VideoSync, played_position

BPS = 48_000 * 2 * 2  # 48 kHz stereo int16


@dataclass(frozen=True)
class F:
    pts: float
    duration: float = 0.04


def test_played_position_is_start_plus_processed_minus_buffered():
    # 1.5 s processed, 0.25 s of it still in the sink's buffer, stream started at 10 s
    assert played_position(10.0, 1_500_000, BPS // 4, BPS) == pytest.approx(11.25)
    assert played_position(0.0, 0, 0, BPS) == 0.0
    # more buffered than processed (just started): never before the first sample
    assert played_position(3.0, 10_000, BPS, BPS) == 3.0
    with pytest.raises(ValueError):
        played_position(0.0, 0, 0, 0)


def test_frames_wait_for_their_time_on_the_audio_clock():
    sync: VideoSync[F] = VideoSync()
    for i in range(5):
        sync.push(F(i * 0.04))
    pick = sync.pick(-0.1)  # audio not there yet: everything waits
    assert pick.frame is None and pick.waiting == 5
    pick = sync.pick(0.0)
    assert pick.frame == F(0.0) and pick.dropped == 0
    assert sync.pick(0.03).frame is None  # next is at 0.04
    pick = sync.pick(0.041)
    assert pick.frame == F(0.04) and pick.waiting == 3


def test_late_frames_are_dropped_for_the_newest_due_one():
    sync: VideoSync[F] = VideoSync()
    for i in range(6):
        sync.push(F(i * 0.04))
    pick = sync.pick(0.13)  # 0.0, 0.04, 0.08, 0.12 are due: show 0.12, drop 3
    assert pick.frame == F(0.12) and pick.dropped == 3 and pick.waiting == 2
    assert (sync.shown, sync.dropped) == (1, 3)


def test_without_a_master_clock_frames_show_in_order():
    sync: VideoSync[F] = VideoSync()
    sync.push(F(5.0))
    sync.push(F(5.04))
    assert sync.pick(None).frame == F(5.0)
    assert sync.pick(None).frame == F(5.04)
    assert sync.pick(None).frame is None


def test_a_stopped_audio_clock_cannot_freeze_video_forever():
    sync: VideoSync[F] = VideoSync(max_held=4)
    for i in range(10):
        sync.push(F(1.0 + i * 0.04))
    pick = sync.pick(0.0)  # the clock is stuck before them all: video goes on, late
    assert pick.frame == F(1.0 + 5 * 0.04) and pick.dropped == 5 and len(sync) == 4
    sync.clear()
    assert len(sync) == 0
