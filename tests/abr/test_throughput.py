"""Throughput rules: RB is the highest rung under the harmonic mean of the last 5 samples."""

from __future__ import annotations

from abr import registry
from abr.types import Ladder, Observation, Phase, ThroughputSample

LADDER = Ladder((300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0), 4.0)


def samples(*kbps: float) -> tuple[ThroughputSample, ...]:
    return tuple(
        ThroughputSample(int(k * 1000 / 8), 0.0, 1.0, float(i)) for i, k in enumerate(kbps)
    )


def obs(s: tuple[ThroughputSample, ...]) -> Observation:
    return Observation(now=0.0, buffer_s=10.0, phase=Phase.STEADY, ladder=LADDER, samples=s)


def test_rb_uses_harmonic_mean_of_last_five() -> None:
    algo = registry.create("rb")
    assert algo.choose(obs(())).rung == 0
    # harmonic mean of 2000 x4 and 500 = 5 / (4/2000 + 1/500) = 1250 -> 1200 kbps rung
    s = samples(99999, 2000, 2000, 2000, 2000, 500)
    assert algo.choose(obs(s)).rung == 2
    algo.reset()
    assert algo.choose(obs(samples(1900, 1900, 1900))).rung == 3


def test_throughput_rule_applies_safety() -> None:
    algo = registry.create("throughput", safety=0.9)
    s = samples(*([2000.0] * 10))
    # 0.9 x 2000 = 1800 < 1850
    assert algo.choose(obs(s)).rung == 2
    assert registry.create("throughput", safety=1.0).choose(obs(s)).rung == 3
