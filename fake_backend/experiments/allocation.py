"""Experiment cells, deterministic allocation, and the per-cell QoE report. Pure.

Allocation hashes ``experiment id + unit id`` (the account, so a member sees one cell across
devices) into 10 000 buckets and walks the cells' cumulative weights.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_EXPERIMENT", "Cell", "Experiment", "allocate", "qoe_report"]


@dataclass(frozen=True)
class Cell:
    name: str
    weight: int
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, "params": dict(self.params)}


@dataclass(frozen=True)
class Experiment:
    id: str
    cells: tuple[Cell, ...]

    def __post_init__(self) -> None:
        if not self.cells or any(c.weight < 0 for c in self.cells):
            raise ValueError("an experiment needs cells with non-negative weights")
        if sum(c.weight for c in self.cells) <= 0:
            raise ValueError("cell weights must not all be zero")


DEFAULT_EXPERIMENT = Experiment(
    "abr-2026-q4",
    (
        # Names and parameters are those of ``abr.registry`` (a test builds every cell).
        Cell("control", 50, {"abr": "default"}),
        Cell("bola", 25, {"abr": "bola", "gamma_p_s": 5.0}),
        Cell("throughput", 25, {"abr": "throughput", "safety": 0.85}),
    ),
)


def allocate(experiment: Experiment, unit_id: str) -> Cell:
    digest = hashlib.sha256(f"{experiment.id}:{unit_id}".encode()).digest()
    total = sum(c.weight for c in experiment.cells)
    point = int.from_bytes(digest[:8], "big") % total
    for cell in experiment.cells:
        if point < cell.weight:
            return cell
        point -= cell.weight
    return experiment.cells[-1]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def qoe_report(experiment: Experiment, sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per cell: playbacks, reported sessions, mean startup, rebuffer ratio, mean bitrate.

    ``sessions`` rows are ``{"cell", "data"}`` with ``data`` a ``session_end`` event's
    payload (``startup_ms``, ``rebuffer_ms``, ``played_ms``, ``avg_bitrate_kbps``) or None.
    """
    cells: dict[str, dict[str, Any]] = {}
    for c in experiment.cells:
        cells[c.name] = {"playbacks": 0, "sessions": 0, "_s": [], "_b": [], "_r": 0.0, "_p": 0.0}
    for row in sessions:
        agg = cells.get(row["cell"])
        if agg is None:
            continue
        agg["playbacks"] += 1
        data = row.get("data")
        if not isinstance(data, dict):
            continue
        agg["sessions"] += 1
        for key, dest in (("startup_ms", "_s"), ("avg_bitrate_kbps", "_b")):
            v = data.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool):
                agg[dest].append(float(v))
        for key, dest in (("rebuffer_ms", "_r"), ("played_ms", "_p")):
            v = data.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                agg[dest] += float(v)
    out = []
    for c in experiment.cells:
        agg = cells[c.name]
        watched = agg["_p"] + agg["_r"]
        out.append(
            {
                "cell": c.name,
                "params": dict(c.params),
                "playbacks": agg["playbacks"],
                "sessions": agg["sessions"],
                "mean_startup_ms": _mean(agg["_s"]),
                "mean_bitrate_kbps": _mean(agg["_b"]),
                "rebuffer_ratio": round(agg["_r"] / watched, 5) if watched > 0 else None,
            }
        )
    return {"experiment": experiment.id, "cells": out}
