"""Run many (trace, algorithm) sessions over a process pool; the simulator stays pure."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TypeVar

from abr import registry
from abr.sim.qoe import SessionMetrics, metrics
from abr.sim.simulator import SimConfig, run
from abr.sim.traces import Trace
from abr.sim.video import Video

__all__ = ["Job", "TraceResult", "map_units", "run_jobs", "run_trace"]

U = TypeVar("U")
R = TypeVar("R")


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


def map_units(
    fn: Callable[[U], R],
    items: Sequence[U],
    workers: int | None = None,
    progress: Callable[[R], None] | None = None,
    scheduler: Any = None,
) -> list[R]:
    """``[fn(x) for x in items]`` in item order, run here, on a process pool or on a cluster.

    ``scheduler`` is a Dask scheduler address (``tcp://HOST:PORT``) or a
    ``distributed.Client``; None runs locally (``workers`` None = all CPU cores, 1 = in
    this process). ``fn`` must be deterministic for the three to agree.
    """
    if scheduler is not None:
        from abr.sim.cluster import map_on_cluster

        return map_on_cluster(fn, items, scheduler, progress)
    n = workers if workers is not None else (os.cpu_count() or 1)
    results: dict[int, R] = {}
    if n <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            results[i] = fn(item)
            if progress:
                progress(results[i])
    else:
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            for fut in as_completed(futures):
                res = fut.result()
                results[futures[fut]] = res
                if progress:
                    progress(res)
    return [results[i] for i in range(len(items))]


def run_jobs(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: Callable[[TraceResult], None] | None = None,
    scheduler: Any = None,
) -> list[TraceResult]:
    """Results in job order; see :func:`map_units` for ``workers`` and ``scheduler``."""
    return map_units(run_trace, jobs, workers, progress, scheduler)
