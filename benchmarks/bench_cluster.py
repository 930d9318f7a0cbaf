"""Cluster benchmarks: sweep throughput on a local Dask cluster vs the same work here.

``sweep_throughput``: a horizon 2x2 grid over the dev traces (units of 8 traces) run in
this process and on a ``distributed.LocalCluster`` of 2 worker processes (decisions per
second; ratio > 1 = the cluster is faster). ``unit_overhead``: the cluster's cost per work
unit on top of the work (1-segment units, so the simulation itself is negligible).
On a 2-core machine the cluster cannot beat a local process pool; the figures say what a
unit costs, so docs/abr.md can say from what size a real cluster pays off.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from abr.sim.cli import load_trace_dir, load_video
from abr.sim.parallel import map_units
from abr.sim.simulator import PENSIEVE
from abr.sim.sweep import parse_grid, run_unit, units
from benchmarks.harness import Result, benchmark, scaled

SHARED = Path(
    os.environ.get("NRDP_SHARED_DIR", Path(__file__).resolve().parent.parent.parent / "shared")
)


def _work(per_set: int | None, segments: int | None = None, chunk: int = 8) -> list[Any]:
    video = load_video(SHARED / "abr" / "video" / "envivio.json")
    sets = {n: load_trace_dir(SHARED / "abr" / "traces" / n)[:per_set] for n in ("fcc", "hsdpa")}
    grid = parse_grid("horizon", ["horizon=3,5", "reserve_weight=0.1,0.3"])
    cfg = replace(PENSIEVE, segments=segments) if segments else PENSIEVE
    return units("horizon", grid, None, sets, video, cfg, chunk=chunk)


def _cluster() -> Any:
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)


@benchmark
def sweep_throughput() -> list[Result]:
    from distributed import Client

    work = _work(scaled(None, 2), chunk=scaled(8, 1))
    t0 = time.perf_counter()
    local = map_units(run_unit, work, 1)
    here = time.perf_counter() - t0
    decisions = sum(r.decisions for r in local)
    with _cluster() as cluster, Client(cluster) as client:
        map_units(run_unit, work[:2], scheduler=client)  # workers import the simulator
        t0 = time.perf_counter()
        remote = map_units(run_unit, work, scheduler=client)
        there = time.perf_counter() - t0
    assert remote == local, "the cluster's results differ from the local run"
    return [
        Result(
            name=f"cluster.sweep_throughput ({len(work)} units, LocalCluster 2 workers)",
            figure=decisions / there,
            unit="decisions/s",
            baseline_name="same units, 1 process",
            baseline=decisions / here,
            higher_is_better=True,
            notes=f"{decisions} decisions; equal results checked",
        )
    ]


@benchmark
def unit_overhead() -> list[Result]:
    from distributed import Client

    work = _work(1, segments=1, chunk=1) * scaled(10, 2)
    t0 = time.perf_counter()
    map_units(run_unit, work, 1)
    here = (time.perf_counter() - t0) / len(work)
    with _cluster() as cluster, Client(cluster) as client:
        map_units(run_unit, work[:2], scheduler=client)
        t0 = time.perf_counter()
        map_units(run_unit, work, scheduler=client)
        there = (time.perf_counter() - t0) / len(work)
    return [
        Result(
            name=f"cluster.unit_overhead ({len(work)} one-segment units)",
            figure=there * 1000,
            unit="ms/unit",
            baseline_name="same units, 1 process",
            baseline=here * 1000,
            notes=f"cluster overhead {1000 * (there - here):.1f} ms per unit",
        )
    ]
