"""Benchmark harness: timing helpers, a registry and a result type.

A benchmark module ``benchmarks/bench_<area>.py`` defines functions decorated with
:func:`benchmark`; each returns a list of :class:`Result`. Every result names a baseline
that was measured in the same run on the same machine, so the ratio is meaningful even
though absolute times vary between machines.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

__all__ = ["SMOKE_ENV", "Result", "benchmark", "registry", "scaled", "smoke", "time_call"]

SMOKE_ENV = "NRDP_BENCH_SMOKE"
"""Set to ``1`` (``python -m benchmarks --smoke`` does) before the benchmark modules load:
every benchmark then runs once at a size that takes seconds. The figures mean nothing; the
run proves that each benchmark still works (the test suite runs it, so a broken benchmark is
a red CI instead of a silent ``nan``)."""

T = TypeVar("T")


def smoke() -> bool:
    """Whether this process runs the benchmarks at smoke size."""
    return os.environ.get(SMOKE_ENV) == "1"


def scaled(full: T, smoke_size: T) -> T:
    """``full`` normally, ``smoke_size`` in a smoke run."""
    return smoke_size if smoke() else full


@dataclass
class Result:
    """One measured figure and its same-run baseline.

    ``ratio`` is ``figure / baseline`` when ``higher_is_better`` (a speed) and
    ``baseline / figure`` otherwise (a time), so a ratio above 1 always means "better
    than the baseline". ``target`` is the ratio the issue asks for, if any.
    """

    name: str
    figure: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    higher_is_better: bool = False
    target: float | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.figure == 0 or self.baseline == 0:
            return None
        return self.figure / self.baseline if self.higher_is_better else self.baseline / self.figure

    @property
    def meets_target(self) -> bool | None:
        r = self.ratio
        if self.target is None or r is None:
            return None
        return r >= self.target

    @property
    def finite(self) -> bool:
        """The figure (and the baseline, if any) is a finite number: what a smoke run checks."""
        return math.isfinite(self.figure) and (
            self.baseline is None or math.isfinite(self.baseline)
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["meets_target"] = self.meets_target
        return d


BenchFn = Callable[[], list[Result]]
_REGISTRY: dict[str, BenchFn] = {}


def benchmark(fn: BenchFn) -> BenchFn:
    """Register a benchmark under ``<module>.<function>``."""
    module = fn.__module__.rsplit(".", 1)[-1].removeprefix("bench_")
    _REGISTRY[f"{module}.{fn.__name__}"] = fn
    return fn


def registry() -> dict[str, BenchFn]:
    return dict(_REGISTRY)


def time_call(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    samples = []
    if smoke():
        repeat, number = 1, 1
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - t0) / number)
        finally:
            gc.enable()
    return statistics.median(samples)
