"""RobustMPC: the chosen plan maximises horizon QoE (checked by brute force), the robust
discount, plan enumeration and the end-of-video horizon."""

from __future__ import annotations

import ast
import itertools

import numpy as np
import pytest

from abr.errors import AlgorithmConfigError
from abr.mpc import MPC, plans
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample

LADDER = Ladder((300.0, 1200.0, 4300.0), 4.0)


def sample(kbps: float, end: float) -> ThroughputSample:
    return ThroughputSample(int(kbps * 1000 / 8 * 2), 0.0, 2.0, end)


def plan_qoe(
    plan: tuple[int, ...], sizes: list[list[float]], buffer_s: float, kbps: float, last: int
) -> float:
    """Pure-Python reference of Pensieve's MPC objective for one plan."""
    rates = LADDER.bitrates_kbps
    buf, stall, prev, q = buffer_s, 0.0, last, 0.0
    for k, r in enumerate(plan):
        dt = sizes[k][r] / (kbps * 1000 / 8)
        stall += max(dt - buf, 0.0)
        buf = max(buf - dt, 0.0) + 4.0
        q += rates[r] / 1000 - abs(rates[r] - rates[prev]) / 1000
        prev = r
    return q - 4.3 * stall


@pytest.mark.parametrize(
    ("buffer_s", "kbps", "last"),
    [
        (2.0, 800.0, 2),
        (8.0, 800.0, 0),
        (20.0, 1500.0, 1),
        (4.0, 5000.0, 0),
        (0.5, 300.0, 1),
    ],
)
def test_mpc_choice_equals_brute_force(buffer_s: float, kbps: float, last: int) -> None:
    rng = np.random.default_rng(int(buffer_s * 10 + kbps))
    rows = tuple(
        tuple(int(b * 500 * rng.uniform(0.7, 1.3)) for b in LADDER.bitrates_kbps) for _ in range(3)
    )
    algo = MPC(horizon=3, robust=False)
    o = Observation(
        now=0.0,
        buffer_s=buffer_s,
        phase=Phase.STEADY,
        ladder=LADDER,
        segments_left=10,
        upcoming_sizes=rows,
        samples=tuple(sample(kbps, float(i)) for i in range(5)),
        last_decision=Decision(last),
    )
    d = algo.choose(o)
    sizes = [list(map(float, r)) for r in rows]
    best = max(
        plan_qoe(p, sizes, buffer_s, kbps, last) for p in itertools.product(range(3), repeat=3)
    )
    chosen = tuple(ast.literal_eval(d.reason.split(" at ")[0].removeprefix("plan ")))
    assert chosen[0] == d.rung
    assert plan_qoe(chosen, sizes, buffer_s, kbps, last) == pytest.approx(best, abs=1e-9)


def test_robust_discount_is_max_recent_error() -> None:
    algo = MPC()
    s: list[ThroughputSample] = []
    preds = []
    for i, k in enumerate([1000.0, 1000.0, 3000.0, 1000.0]):
        s.append(sample(k, float(i)))
        o = Observation(
            now=float(i), buffer_s=10.0, phase=Phase.STEADY, ladder=LADDER, samples=tuple(s)
        )
        preds.append(algo.predict(o))
    # after the 3000 sample: harmonic(1000, 1000) = 1000 was predicted, error |1000-3000|/3000
    harmonic = 3 / (2 / 1000 + 1 / 3000)
    assert preds[2] == pytest.approx(harmonic / (1 + 2 / 3))
    # then |harmonic - 1000| / 1000 = 0.286 < 2/3: the max stays 2/3
    harmonic4 = 4 / (3 / 1000 + 1 / 3000)
    assert preds[3] == pytest.approx(harmonic4 / (1 + 2 / 3))


def test_plans_enumeration_and_horizon_truncation() -> None:
    p = plans(3, 2)
    assert p.shape == (9, 2) and p[0].tolist() == [0, 0] and p[-1].tolist() == [2, 2]
    algo = MPC()
    o = Observation(
        now=0.0,
        buffer_s=30.0,
        phase=Phase.STEADY,
        ladder=LADDER,
        segments_left=1,
        samples=(sample(10_000, 0.0),),
        last_decision=Decision(2),
    )
    d = algo.choose(o)
    assert d.rung == 2 and "plan [2]" in d.reason  # last segment: horizon of one
    with pytest.raises(AlgorithmConfigError):
        MPC(horizon=0)
