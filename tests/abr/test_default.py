"""The default algorithm: what its reservoir term does, and a regression guard against
RobustMPC on real dev traces (paired, same simulator)."""

from __future__ import annotations

import statistics

from abr import registry
from abr.default import Horizon
from abr.sim.qoe import metrics
from abr.sim.simulator import PENSIEVE, run
from abr.sim.traces import Trace
from abr.sim.video import Video
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample

LADDER = Ladder((300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0), 4.0)


def steady(buffer_s: float, kbps: float, left: int = 30) -> Observation:
    s = tuple(ThroughputSample(int(kbps * 1000 / 8 * 4), 0.08, 4.0, float(i)) for i in range(5))
    return Observation(
        now=20.0,
        buffer_s=buffer_s,
        phase=Phase.STEADY,
        ladder=LADDER,
        segments_left=left,
        samples=s,
        last_decision=Decision(3),
        buffer_cap_s=60.0,
    )


def test_reservoir_makes_it_rebuild_a_low_buffer() -> None:
    # 8 s of buffer at 2 Mbit/s: plain MPC holds 1850 kbps (the buffer slowly drains);
    # with the reservoir the plan steps down to refill towards 15 s
    plain = Horizon(reserve_weight=0.0).choose(steady(8.0, 2000)).rung
    safe = Horizon().choose(steady(8.0, 2000)).rung
    assert (plain, safe) == (3, 2)
    # with a full buffer the reservoir is irrelevant
    assert Horizon(reserve_weight=0.0).choose(steady(50.0, 2000)) == Horizon().choose(
        steady(50.0, 2000)
    )


def test_reservoir_is_ignored_when_the_video_ends_inside_the_horizon() -> None:
    assert (
        Horizon().choose(steady(6.0, 2000, left=3)).rung
        == Horizon(reserve_weight=0.0).choose(steady(6.0, 2000, left=3)).rung
    )


def test_not_worse_than_robustmpc_on_dev_traces(
    envivio: Video, fcc_traces: list[Trace], hsdpa_traces: list[Trace]
) -> None:
    """Regression guard: 10 traces of each set, paired; the default must keep up."""
    for traces in (fcc_traces[::4], hsdpa_traces[::4]):
        ours = [metrics(run(registry.create("default"), t, envivio, PENSIEVE)) for t in traces]
        mpc = [metrics(run(registry.create("robustmpc"), t, envivio, PENSIEVE)) for t in traces]
        assert statistics.fmean(m.qoe_lin for m in ours) >= statistics.fmean(m.qoe_lin for m in mpc)
        assert sum(m.rebuffer_s for m in ours) <= sum(m.rebuffer_s for m in mpc)
