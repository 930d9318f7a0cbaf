"""Ladder validation, observation size look-ups and sample throughput arithmetic."""

from __future__ import annotations

import pytest

from abr.errors import InvalidObservationError
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample, clamp_rung


def test_ladder_rejects_empty_unsorted_and_nonpositive() -> None:
    for bad in ((), (300.0, 300.0), (750.0, 300.0), (0.0, 300.0)):
        with pytest.raises(InvalidObservationError) as info:
            Ladder(bad, 4.0)
        assert info.value.code == 9005
    with pytest.raises(InvalidObservationError):
        Ladder((300.0,), 0.0)


def test_highest_below_and_rungs() -> None:
    ladder = Ladder((300.0, 750.0, 1200.0), 4.0)
    assert ladder.highest_below(100) == 0
    assert ladder.highest_below(750) == 1
    assert ladder.highest_below(1199.9) == 1
    assert ladder.highest_below(10_000) == 2
    assert [r.bitrate_kbps for r in ladder.rungs] == [300.0, 750.0, 1200.0]
    assert clamp_rung(7, ladder) == 2 and clamp_rung(-1, ladder) == 0


def test_segment_size_uses_known_sizes_then_nominal() -> None:
    ladder = Ladder((300.0, 750.0), 4.0)
    obs = Observation(
        now=0.0, buffer_s=0.0, phase=Phase.STARTUP, ladder=ladder, upcoming_sizes=((111, 222),)
    )
    assert obs.segment_size(0, 1) == 222
    assert obs.segment_size(1, 1) == 750 * 1000 / 8 * 4  # unknown: nominal bitrate x duration
    assert obs.sizes_matrix(2) == [[111.0, 222.0], [150_000.0, 375_000.0]]
    assert obs.last_rung is None
    assert (
        Observation(
            now=0, buffer_s=0, phase=Phase.STEADY, ladder=ladder, last_decision=Decision(1)
        ).last_rung
        == 1
    )


def test_sample_separates_latency_from_transfer() -> None:
    s = ThroughputSample(bytes=100_000, ttfb_s=0.2, transfer_s=0.8, end_s=1.0)
    assert s.kbps == pytest.approx(800.0)
    assert s.transfer_kbps == pytest.approx(1000.0)
