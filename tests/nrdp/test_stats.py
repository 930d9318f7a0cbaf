from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.errors import StallTimeout
from nrdp.events import (
    BandwidthEstimated,
    BufferLevel,
    ErrorEvent,
    Event,
    FramesRendered,
    LicenseAcquired,
    OcaFailover,
    QualityChanged,
    RebufferEnded,
    RebufferStarted,
    SegmentDownloaded,
    StateChanged,
    SwitchReason,
)
from nrdp.scheduler.buffer import TrackKind
from nrdp.state import PlayerState
from nrdp.stats import MAX_SWITCH_HISTORY, StatsCollector

S = PlayerState


def state(at: float, old: PlayerState, new: PlayerState) -> StateChanged:
    return StateChanged(at=at, old=old, new=new)


def session() -> list[Event]:
    return [
        state(0.0, S.IDLE, S.LOADING),
        LicenseAcquired(at=0.4, seconds=0.3, key_count=2),
        state(0.5, S.LOADING, S.BUFFERING),
        QualityChanged(
            at=0.5,
            track=TrackKind.VIDEO,
            old_bitrate=None,
            new_bitrate=1_000_000,
            rung=0,
            reason=SwitchReason.INITIAL,
        ),
        SegmentDownloaded(
            at=1.0,
            track=TrackKind.VIDEO,
            number=1,
            size=250_000,
            seconds=0.5,
            ttfb=0.1,
            oca="oca1",
            rung=0,
            bitrate=1_000_000,
        ),
        SegmentDownloaded(
            at=1.2,
            track=TrackKind.AUDIO,
            number=1,
            size=50_000,
            seconds=0.1,
            ttfb=0.05,
            oca="oca1",
            rung=0,
            bitrate=128_000,
        ),
        state(1.5, S.BUFFERING, S.PLAYING),
        QualityChanged(
            at=5.0,
            track=TrackKind.VIDEO,
            old_bitrate=1_000_000,
            new_bitrate=3_000_000,
            rung=2,
            reason=SwitchReason.ABR,
        ),
        BandwidthEstimated(at=5.0, bps=4e6),
        BufferLevel(at=5.0, track=TrackKind.VIDEO, ahead=12.0),
        BufferLevel(at=5.0, track=TrackKind.AUDIO, ahead=14.0),
        FramesRendered(at=6.0, decoded=100, dropped=2),
        FramesRendered(at=7.0, decoded=50, dropped=1),
        RebufferStarted(at=10.0, position=8.5),
        state(10.0, S.PLAYING, S.BUFFERING),
        OcaFailover(at=10.5, from_oca="oca1", to_oca="oca2", reason="stall"),
        ErrorEvent.from_error(StallTimeout(url="http://oca1/x", timeout_s=2.0), at=10.5),
        RebufferEnded(at=12.0, position=8.5, duration=2.0),
        state(12.0, S.BUFFERING, S.PLAYING),
    ]


def test_a_session_folds_into_the_expected_snapshot() -> None:
    stats = StatsCollector()
    for ev in session():
        stats.on_event(ev)
    snap = stats.snapshot(now=20.0)
    assert snap.state == "playing"
    assert snap.startup_time == pytest.approx(1.5)
    assert snap.playing_time == pytest.approx((10.0 - 1.5) + (20.0 - 12.0))
    assert snap.stall_count == 1 and snap.stall_time == pytest.approx(2.0)
    assert snap.rebuffer_ratio == pytest.approx(2.0 / (16.5 + 2.0))
    assert snap.switch_count == 1  # the initial choice is not a switch
    assert [s.reason for s in snap.switches] == ["initial", "abr"]
    assert snap.video_bitrate == 3_000_000 and snap.audio_bitrate is None
    assert snap.bandwidth_bps == 4e6
    assert snap.bytes_downloaded == 300_000 and snap.segments_downloaded == 2
    assert snap.mean_throughput_bps == pytest.approx(300_000 * 8 / 0.6)
    assert snap.mean_ttfb == pytest.approx(0.075)
    assert dict(snap.buffer_ahead) == {"video": 12.0, "audio": 14.0}
    assert (snap.decoded_frames, snap.dropped_frames) == (150, 3)
    assert snap.license_time == 0.3
    assert snap.current_oca == "oca2" and snap.oca_failovers == 1
    assert snap.error_count == 1 and snap.last_error["code"] == 2006  # type: ignore[index]
    json.dumps(snap.to_dict())


def test_an_ongoing_stall_counts_up_to_now_and_snapshots_are_pure() -> None:
    stats = StatsCollector()
    for ev in session()[:15]:
        stats.on_event(ev)
    assert stats.snapshot(11.0).stall_time == pytest.approx(1.0)
    assert stats.snapshot(13.0).stall_time == pytest.approx(3.0)
    assert stats.snapshot(11.0).stall_time == pytest.approx(1.0)
    stats.on_event(RebufferStarted(at=11.5, position=8.5))  # duplicate start: same stall
    assert stats.snapshot(12.0).stall_count == 1


def test_switch_history_is_bounded() -> None:
    stats = StatsCollector()
    for i in range(MAX_SWITCH_HISTORY + 50):
        stats.on_event(
            QualityChanged(
                at=float(i),
                track=TrackKind.VIDEO,
                old_bitrate=i,
                new_bitrate=i + 1,
                rung=0,
                reason=SwitchReason.ABR,
            )
        )
    snap = stats.snapshot(0.0)
    assert snap.switch_count == MAX_SWITCH_HISTORY + 50
    assert len(snap.switches) == MAX_SWITCH_HISTORY
    assert snap.switches[-1].new_bitrate == MAX_SWITCH_HISTORY + 50


def test_empty_collector_reports_nothing_measured() -> None:
    snap = StatsCollector().snapshot(5.0)
    assert snap.startup_time is None and snap.mean_throughput_bps is None
    assert snap.rebuffer_ratio == 0.0 and snap.last_error is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.01, 5.0)), max_size=30))
def test_stall_time_equals_the_sum_of_closed_stalls(pairs: list[tuple[bool, float]]) -> None:
    stats = StatsCollector()
    now, total, count = 0.0, 0.0, 0
    for _, gap in pairs:
        now += gap
        stats.on_event(RebufferStarted(at=now, position=0.0))
        start = now
        now += gap
        stats.on_event(RebufferEnded(at=now, position=0.0, duration=now - start))
        total += now - start
        count += 1
    snap = stats.snapshot(now + 100.0)
    assert snap.stall_count == count
    assert snap.stall_time == pytest.approx(total)
