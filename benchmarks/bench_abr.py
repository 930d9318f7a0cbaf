"""abr benchmarks: the whole dev comparison, and RobustMPC's per-decision cost.

Data: the 80 dev traces and the Envivio video of ``shared/abr`` (``NRDP_SHARED_DIR`` or
``../shared`` beside the checkout).

1. ``compare_all``: 80 traces x every registered algorithm (RobustMPC included) over a
   2-process pool, against the same work in one process (ratio = parallel speed-up; the
   issue's target is the absolute figure: under 60 s on 2 cores). Decisions per second in
   the notes.
2. ``robustmpc_decision``: one RobustMPC decision (6^5 = 7776 plans scored with numpy)
   against a pure-Python brute force over the same plans (target: 10x faster).
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from abr import registry
from abr.sim.cli import PEERS, load_trace_dir, load_video
from abr.sim.parallel import Job, run_jobs
from abr.sim.simulator import PENSIEVE
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample
from benchmarks.harness import Result, benchmark, scaled, time_call

SHARED = Path(
    os.environ.get("NRDP_SHARED_DIR", Path(__file__).resolve().parent.parent.parent / "shared")
)


def _jobs() -> list[Job]:
    video = load_video(SHARED / "abr" / "video" / "envivio.json")
    algos = (*PEERS, "mpc", "default")
    jobs = []
    for name in ("fcc", "hsdpa"):
        for tr in load_trace_dir(SHARED / "abr" / "traces" / name)[: scaled(None, 1)]:
            jobs.append(Job(name, tr, algos, video, PENSIEVE))
    return jobs


@benchmark
def compare_all() -> list[Result]:
    jobs = _jobs()
    t0 = time.perf_counter()
    results = run_jobs(jobs, workers=2)
    parallel = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_jobs(jobs, workers=1)
    serial = time.perf_counter() - t0
    decisions = sum(r.decisions for r in results)
    return [
        Result(
            name="abr.compare_all (80 traces x 12 algorithms, 2 processes)",
            figure=parallel,
            unit="s",
            baseline_name="same work, 1 process",
            baseline=serial,
            notes=f"target < 60 s; {decisions} decisions, {decisions / parallel:.0f} decisions/s",
            extra={"decisions": decisions},
        )
    ]


def _brute_force(obs: Observation, kbps: float, horizon: int) -> int:
    rates = obs.ladder.bitrates_kbps
    sizes = obs.sizes_matrix(horizon)
    bw = kbps * 1000 / 8
    best, best_q = 0, -1e18
    for plan in itertools.product(range(len(rates)), repeat=horizon):
        buf, stall, prev, q = obs.buffer_s, 0.0, obs.last_rung or 0, 0.0
        for k, r in enumerate(plan):
            dt = sizes[k][r] / bw
            stall += max(dt - buf, 0.0)
            buf = max(buf - dt, 0.0) + 4.0
            q += rates[r] / 1000 - abs(rates[r] - rates[prev]) / 1000
            prev = r
        q -= 4.3 * stall
        if q >= best_q:
            best, best_q = plan[0], q
    return best


@benchmark
def robustmpc_decision() -> list[Result]:
    video = load_video(SHARED / "abr" / "video" / "envivio.json")
    ladder: Ladder = video.ladder
    samples = tuple(ThroughputSample(500_000, 0.08, 2.0, float(i)) for i in range(5))
    obs = Observation(
        now=10.0,
        buffer_s=12.0,
        phase=Phase.STEADY,
        ladder=ladder,
        segments_left=30,
        upcoming_sizes=video.rows()[10:],
        samples=samples,
        last_decision=Decision(2),
        buffer_cap_s=60.0,
    )
    algo = registry.create("mpc")
    fast = time_call(lambda: algo.choose(obs), repeat=7, number=20)
    slow = time_call(lambda: _brute_force(obs, samples[0].kbps, 5), repeat=3, number=1)
    assert algo.choose(obs).rung == _brute_force(obs, samples[0].kbps, 5)
    return [
        Result(
            name="abr.robustmpc_decision (7776 plans)",
            figure=fast * 1000,
            unit="ms",
            baseline_name="pure-Python brute force",
            baseline=slow * 1000,
            target=10.0,
        )
    ]
