"""Estimators: convergence, the fast/slow minimum, harmonic mean and percentile values."""

from __future__ import annotations

import pytest

from abr.errors import AlgorithmConfigError
from abr.estimators import Ewma, EwmaPair, HarmonicMean, Percentile, SampleFeed
from abr.types import ThroughputSample


def sample(kbps: float, seconds: float = 1.0, end: float = 0.0) -> ThroughputSample:
    return ThroughputSample(int(kbps * 1000 / 8 * seconds), 0.0, seconds, end)


def test_ewma_is_unbiased_from_the_start_and_tracks_changes() -> None:
    e = Ewma(2.0)
    assert e.estimate() is None
    e.add(sample(1000))
    assert e.estimate() == pytest.approx(1000, rel=1e-3)  # zero-start correction
    for _ in range(20):
        e.add(sample(4000))
    assert e.estimate() == pytest.approx(4000, rel=0.01)


def test_ewma_half_life_weighting() -> None:
    e = Ewma(2.0)
    e.add(sample(1000, seconds=100.0))
    e.add(sample(3000, seconds=2.0))  # one half-life: halfway between old and new
    assert e.estimate() == pytest.approx(2000, rel=0.01)


def test_pair_takes_the_minimum_and_drops_tiny_samples() -> None:
    p = EwmaPair(2.0, 5.0, min_sample_bytes=16_000)
    p.add(ThroughputSample(1000, 0.0, 0.001, 0.0))
    assert p.estimate() is None
    for _ in range(10):
        p.add(sample(1000))
    p.add(sample(5000))
    # on a rise the slow average is lower; on a drop the fast one
    assert p.estimate() == pytest.approx(p.slow.estimate())
    p.add(sample(100, seconds=2.0))
    p.add(sample(100, seconds=2.0))
    assert p.estimate() == pytest.approx(p.fast.estimate())
    assert p.estimate() < p.slow.estimate()


def test_harmonic_mean_window() -> None:
    h = HarmonicMean(3)
    for v in (9999, 1000, 2000, 4000):
        h.add(sample(v))
    assert h.estimate() == pytest.approx(3 / (1 / 1000 + 1 / 2000 + 1 / 4000))


def test_percentile() -> None:
    p = Percentile(q=0.5, window=5)
    for v in (5, 1, 4, 2, 3):
        p.add(sample(v * 1000))
    assert p.estimate() == pytest.approx(3000)
    assert Percentile(q=0.0).estimate() is None


def test_bad_parameters_are_typed_errors() -> None:
    with pytest.raises(AlgorithmConfigError):
        Ewma(0)
    with pytest.raises(AlgorithmConfigError):
        HarmonicMean(0)
    with pytest.raises(AlgorithmConfigError):
        Percentile(q=1.5)


def test_feed_passes_each_sample_once() -> None:
    feed = SampleFeed()
    a, b, c = sample(1, end=1.0), sample(2, end=2.0), sample(3, end=3.0)
    assert feed.new((a, b)) == [a, b]
    assert feed.new((a, b, c)) == [c]
    assert feed.new((b, c)) == []
