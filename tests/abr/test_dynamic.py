"""DYNAMIC: throughput rule at low buffer, BOLA-E once the buffer is comfortable."""

from __future__ import annotations

from abr.dynamic import Dynamic
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample

LADDER = Ladder((300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0), 4.0)


def obs(b: float, kbps: float, n: int, last: int) -> Observation:
    s = tuple(ThroughputSample(int(kbps * 1000 / 8 * 2), 0.0, 2.0, float(i)) for i in range(n))
    return Observation(
        now=float(n),
        buffer_s=b,
        phase=Phase.STEADY,
        ladder=LADDER,
        samples=s,
        buffer_cap_s=60.0,
        last_decision=Decision(last),
    )


def test_dynamic_switches_between_rules() -> None:
    algo = Dynamic()
    d = algo.choose(obs(5.0, 2000, 3, 0))
    assert d.reason.startswith("throughput") and d.rung == 2
    d = algo.choose(obs(55.0, 5000, 6, 2))
    assert d.reason.startswith("BOLA")
    # back under the threshold and BOLA asks less than throughput: throughput again
    d = algo.choose(obs(3.0, 5000, 9, 4))
    # the EWMA pair still remembers the 2000 kbps samples: 0.9 x ~4456 kbps -> 2850 kbps,
    # then the insufficient-buffer rule (3 s x 4456 kbps x 0.729 = 9.7 Mbit) -> 1850 kbps
    assert d.reason.startswith("throughput") and d.rung == 3
