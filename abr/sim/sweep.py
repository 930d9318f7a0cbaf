"""A parameter sweep: every grid configuration of one algorithm on every trace, paired
trace by trace against a baseline.

Pure: the grid is parsed against the algorithm's declared :class:`~abr.tunables.Tunable`
parameters before any work starts, the work is cut into units (a chunk of traces x one
configuration) that any executor can run (this process, a process pool, a Dask cluster),
and the summary is computed from the unit results. The simulator is deterministic, so the
summary does not depend on where or in which order the units ran.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from abr import registry
from abr.errors import AlgorithmConfigError
from abr.sim.qoe import SessionMetrics, metrics
from abr.sim.simulator import SimConfig, run
from abr.sim.traces import Trace
from abr.sim.video import Video
from abr.tunables import Tunable, Value, parse_value

__all__ = [
    "Grid",
    "SweepUnit",
    "UnitResult",
    "configurations",
    "parse_grid",
    "run_unit",
    "summarize_sweep",
    "tunables_of",
    "units",
]

Params = tuple[tuple[str, Value], ...]
Grid = tuple[tuple[str, tuple[Value, ...]], ...]
BASELINE = "baseline"
TIE_EPS = 1e-9


def tunables_of(algorithm: str) -> dict[str, Tunable]:
    """The parameters a registered algorithm declares, by name."""
    algo = registry.create(algorithm)
    declared: tuple[Tunable, ...] = getattr(type(algo), "TUNABLES", ())
    return {t.name: t for t in declared}


def parse_grid(algorithm: str, specs: Sequence[str]) -> Grid:
    """``["horizon=3,5", "window=4"]`` -> typed, range-checked values, in the given order."""
    declared = tunables_of(algorithm)
    grid: list[tuple[str, tuple[Value, ...]]] = []
    seen: set[str] = set()
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or not values.strip():
            raise AlgorithmConfigError(
                f"grid {spec!r}: expected PARAM=V1,V2,...", algorithm=algorithm, parameter=name
            )
        tunable = declared.get(name)
        if tunable is None:
            known = ", ".join(t.describe() for t in declared.values()) or "none"
            raise AlgorithmConfigError(
                f"{algorithm} has no tunable {name!r} (tunables: {known})",
                algorithm=algorithm,
                parameter=name,
            )
        if name in seen:
            raise AlgorithmConfigError(
                f"grid names {name!r} twice", algorithm=algorithm, parameter=name
            )
        seen.add(name)
        parsed = tuple(parse_value(tunable, v, algorithm) for v in values.split(","))
        grid.append((name, tuple(dict.fromkeys(parsed))))
    return tuple(grid)


def configurations(grid: Grid) -> list[Params]:
    """Every combination of the grid (one empty configuration for an empty grid)."""
    names = [name for name, _ in grid]
    return [
        tuple(zip(names, combo, strict=True)) for combo in itertools.product(*(v for _, v in grid))
    ]


@dataclass(frozen=True, slots=True)
class SweepUnit:
    """One unit of work: a chunk of one set's traces run with one configuration."""

    key: str
    """``"baseline"`` or the configuration's index as text."""
    algorithm: str
    params: Params
    trace_set: str
    traces: tuple[Trace, ...]
    video: Video
    cfg: SimConfig


@dataclass(frozen=True, slots=True)
class UnitResult:
    key: str
    trace_set: str
    metrics: tuple[tuple[str, SessionMetrics], ...]
    decisions: int


def units(
    algorithm: str,
    grid: Grid,
    baseline: str | None,
    trace_sets: Mapping[str, Sequence[Trace]],
    video: Video,
    cfg: SimConfig,
    chunk: int = 8,
) -> list[SweepUnit]:
    """The baseline's units first, then each configuration's, each set cut in chunks."""
    if chunk < 1:
        raise AlgorithmConfigError("chunk must be >= 1", algorithm=algorithm, parameter="chunk")
    runs: list[tuple[str, str, Params]] = []
    if baseline is not None:
        registry.create(baseline)  # an unknown baseline fails before any work
        runs.append((BASELINE, baseline, ()))
    for i, params in enumerate(configurations(grid)):
        registry.create(algorithm, **dict(params))  # constructor checks run here, not remotely
        runs.append((str(i), algorithm, params))
    out = []
    for key, name, params in runs:
        for set_name, traces in trace_sets.items():
            for start in range(0, len(traces), chunk):
                part = tuple(traces[start : start + chunk])
                out.append(SweepUnit(key, name, params, set_name, part, video, cfg))
    return out


def run_unit(unit: SweepUnit) -> UnitResult:
    """Runs on any worker: deterministic, no I/O."""
    out = []
    decisions = 0
    for trace in unit.traces:
        algo = registry.create(unit.algorithm, **dict(unit.params))
        log = run(algo, trace, unit.video, unit.cfg)
        decisions += len(log.chunks)
        out.append((trace.name, metrics(log)))
    return UnitResult(unit.key, unit.trace_set, tuple(out), decisions)


def _per_set(results: Iterable[UnitResult], key: str) -> dict[str, dict[str, SessionMetrics]]:
    sets: dict[str, dict[str, SessionMetrics]] = {}
    for r in results:
        if r.key == key:
            sets.setdefault(r.trace_set, {}).update(r.metrics)
    return sets


def _stats(
    mine: Mapping[str, SessionMetrics], base: Mapping[str, SessionMetrics] | None
) -> dict[str, Any]:
    names = sorted(mine)
    entry: dict[str, Any] = {
        "traces": len(names),
        "qoe_lin_mean": statistics.fmean(mine[n].qoe_lin for n in names),
        "rebuffer_ratio": statistics.fmean(mine[n].rebuffer_ratio for n in names),
        "bitrate_kbps": statistics.fmean(mine[n].bitrate_kbps for n in names),
        "per_trace": {n: mine[n].qoe_lin for n in names},
    }
    if base is not None:
        diffs = [mine[n].qoe_lin - base[n].qoe_lin for n in names]
        entry["wins"] = sum(1 for d in diffs if d > TIE_EPS)
        entry["losses"] = sum(1 for d in diffs if d < -TIE_EPS)
        entry["ties"] = len(diffs) - entry["wins"] - entry["losses"]
        entry["qoe_lin_gain_mean"] = statistics.fmean(diffs)
    return entry


def summarize_sweep(
    algorithm: str, grid: Grid, baseline: str | None, results: Sequence[UnitResult]
) -> dict[str, Any]:
    """The stable JSON shape (documented in docs/abr.md)."""
    base_sets = _per_set(results, BASELINE) if baseline is not None else {}
    configs = []
    for i, params in enumerate(configurations(grid)):
        sets = _per_set(results, str(i))
        per_set = {s: _stats(m, base_sets.get(s)) for s, m in sorted(sets.items())}
        everything = {f"{s}/{n}": v for s, m in sets.items() for n, v in m.items()}
        base_all = (
            {f"{s}/{n}": v for s, m in base_sets.items() for n, v in m.items()}
            if baseline is not None
            else None
        )
        configs.append(
            {"params": dict(params), "sets": per_set, "overall": _stats(everything, base_all)}
        )
    return {
        "algorithm": algorithm,
        "baseline": baseline,
        "grid": {name: list(values) for name, values in grid},
        "baseline_sets": {
            s: {k: v for k, v in _stats(m, None).items()} for s, m in sorted(base_sets.items())
        },
        "configs": configs,
        "decisions": sum(r.decisions for r in results),
    }
