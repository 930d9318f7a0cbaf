"""Run many (trace, algorithm) sessions over a process pool; the simulator stays pure."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from abr import registry
from abr.sim.qoe import SessionMetrics, metrics
from abr.sim.simulator import SimConfig, run
from abr.sim.traces import Trace
from abr.sim.video import Video

__all__ = ["Job", "TraceResult", "run_jobs", "run_trace"]


@dataclass(frozen=True, slots=True)
class Job:
    """One trace of one set, to be run with every algorithm."""

    trace_set: str
    trace: Trace
    algorithms: tuple[str, ...]
    video: Video
    cfg: SimConfig
    params: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class TraceResult:
    trace_set: str
    trace: str
    metrics: dict[str, SessionMetrics]
    decisions: int


def run_trace(job: Job) -> TraceResult:
    params = {name: dict(kv) for name, kv in job.params}
    out: dict[str, SessionMetrics] = {}
    decisions = 0
    for name in job.algorithms:
        algo = registry.create(name, **params.get(name, {}))
        log = run(algo, job.trace, job.video, job.cfg)
        decisions += len(log.chunks)
        out[name] = metrics(log)
    return TraceResult(job.trace_set, job.trace.name, out, decisions)


def run_jobs(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: Callable[[TraceResult], None] | None = None,
) -> list[TraceResult]:
    """Results in job order; ``workers`` None = all CPU cores, 1 = in this process."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    results: dict[int, TraceResult] = {}
    if n <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = run_trace(job)
            if progress:
                progress(results[i])
    else:
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = {pool.submit(run_trace, job): i for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                res = fut.result()
                results[futures[fut]] = res
                if progress:
                    progress(res)
    return [results[i] for i in range(len(jobs))]
