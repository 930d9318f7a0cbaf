"""Fault plans: values that say how an OCA misbehaves. Pure (JSON in/out, rate lookup).

A plan applies to the OCA's file responses (optionally only paths matching ``paths``, a
glob on ``<title_id>/<path>``). Order of effects: ``down`` (connections refused) ->
``latency_ms`` (before anything) -> ``reset_rate`` (RST) -> ``error_rate`` (answer
``error_status``) -> headers -> ``ttfb_ms`` -> body paced by ``trickle_bps`` (a few bytes
at a time: a server that keeps a connection alive without serving it), ``bandwidth_kbps``
or ``trace`` -> ``stall_after_bytes`` (pause ``stall_ms``) / ``truncate_after_bytes``
(close).
"""

from __future__ import annotations

import bisect
import fnmatch
from dataclasses import asdict, dataclass, fields
from typing import Any

from fake_backend.errors import InvalidFaultPlan

__all__ = ["FaultPlan", "parse_trace_text"]


def parse_trace_text(text: str) -> tuple[tuple[float, float], ...]:
    """The shared ABR trace format: one ``time_s throughput_kbps`` pair per line."""
    out: list[tuple[float, float]] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise InvalidFaultPlan(f"trace line {n}: expected 'time_s throughput_kbps'")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise InvalidFaultPlan(f"trace line {n}: not numbers") from None
    return _check_trace(out)


def _check_trace(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    if not points or len(points) > 100_000:
        raise InvalidFaultPlan("trace needs 1..100000 points")
    prev = -1.0
    for t, kbps in points:
        if not (t >= 0 and kbps >= 0) or t < prev or t != t or kbps != kbps:
            raise InvalidFaultPlan("trace times must be non-decreasing, values non-negative")
        prev = t
    return tuple(points)


_NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "latency_ms": (0, 120_000),
    "ttfb_ms": (0, 120_000),
    "bandwidth_kbps": (1, 10_000_000),
    "error_rate": (0, 1),
    "reset_rate": (0, 1),
    "stall_ms": (0, 3_600_000),
}
_INT_LIMITS: dict[str, tuple[int, int]] = {
    "error_status": (400, 599),
    "stall_after_bytes": (0, 2**40),
    "truncate_after_bytes": (0, 2**40),
    "seed": (0, 2**32),
    "trickle_bps": (1, 1_000_000),
}


@dataclass(frozen=True)
class FaultPlan:
    """How one OCA misbehaves; the default plan is a healthy server (the fast path)."""

    latency_ms: float = 0.0
    ttfb_ms: float = 0.0
    bandwidth_kbps: float | None = None
    trace: tuple[tuple[float, float], ...] | None = None
    error_rate: float = 0.0
    error_status: int = 503
    reset_rate: float = 0.0
    stall_after_bytes: int | None = None
    stall_ms: float = 60_000.0
    truncate_after_bytes: int | None = None
    down: bool = False
    paths: str | None = None
    seed: int = 0
    trickle_bps: int | None = None
    """Body bytes per second, sent a few at a time (takes precedence over bandwidth)."""

    @property
    def shapes_body(self) -> bool:
        """True when the body must be streamed by hand (no sendfile fast path)."""
        return bool(
            self.ttfb_ms
            or self.bandwidth_kbps is not None
            or self.trace is not None
            or self.stall_after_bytes is not None
            or self.truncate_after_bytes is not None
            or self.trickle_bps is not None
        )

    @property
    def is_healthy(self) -> bool:
        return self == FaultPlan(seed=self.seed)

    def applies_to(self, rel_path: str) -> bool:
        return self.paths is None or fnmatch.fnmatchcase(rel_path, self.paths)

    def rate_bytes_per_s(self, elapsed_s: float) -> float | None:
        """The pacing rate at ``elapsed_s`` on the plan's clock (trace loops): since the
        OCA's plan was set, or since a client's first request under its client plan."""
        if self.trickle_bps is not None:
            return float(self.trickle_bps)
        if self.trace is not None:
            times = [t for t, _ in self.trace]
            span = times[-1] + (times[-1] - times[-2] if len(times) > 1 else 1.0)
            t = elapsed_s % span if span > 0 else 0.0
            i = max(0, bisect.bisect_right(times, t) - 1)
            kbps = self.trace[i][1]
            if self.bandwidth_kbps is not None:
                kbps = min(kbps, self.bandwidth_kbps)
            return max(kbps, 1.0) * 1000 / 8
        if self.bandwidth_kbps is not None:
            return self.bandwidth_kbps * 1000 / 8
        return None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if self.trace is not None:
            d["trace"] = [list(p) for p in self.trace]
        return d

    @classmethod
    def from_json(cls, doc: object) -> FaultPlan:
        if not isinstance(doc, dict):
            raise InvalidFaultPlan("a fault plan is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(doc) - known - {"trace_text"}
        if unknown:
            raise InvalidFaultPlan(f"unknown fields: {sorted(map(str, unknown))}")
        kw: dict[str, Any] = {}
        for name, (lo, hi) in _NUMBER_LIMITS.items():
            v = doc.get(name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
                raise InvalidFaultPlan(f"{name} must be a number in {lo}..{hi}")
            kw[name] = float(v)
        for name, (ilo, ihi) in _INT_LIMITS.items():
            v = doc.get(name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or not ilo <= v <= ihi:
                raise InvalidFaultPlan(f"{name} must be an integer in {ilo}..{ihi}")
            kw[name] = v
        if "down" in doc:
            if not isinstance(doc["down"], bool):
                raise InvalidFaultPlan("down must be true or false")
            kw["down"] = doc["down"]
        if doc.get("paths") is not None:
            if not isinstance(doc["paths"], str) or len(doc["paths"]) > 200:
                raise InvalidFaultPlan("paths must be a glob string")
            kw["paths"] = doc["paths"]
        if doc.get("trace") is not None and doc.get("trace_text") is not None:
            raise InvalidFaultPlan("give trace or trace_text, not both")
        if doc.get("trace") is not None:
            raw = doc["trace"]
            if not isinstance(raw, list):
                raise InvalidFaultPlan("trace must be a list of [time_s, kbps] pairs")
            pts: list[tuple[float, float]] = []
            for p in raw:
                if (
                    not isinstance(p, list | tuple)
                    or len(p) != 2
                    or any(isinstance(x, bool) or not isinstance(x, int | float) for x in p)
                ):
                    raise InvalidFaultPlan("trace must be a list of [time_s, kbps] pairs")
                pts.append((float(p[0]), float(p[1])))
            kw["trace"] = _check_trace(pts)
        if doc.get("trace_text") is not None:
            if not isinstance(doc["trace_text"], str):
                raise InvalidFaultPlan("trace_text must be a string")
            kw["trace"] = parse_trace_text(doc["trace_text"])
        return cls(**kw)
