"""Summaries of simulation results: the stable JSON shape, rich tables and matplotlib plots."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from abr.sim.parallel import TraceResult
from abr.sim.simulator import SessionLog
from abr.sim.traces import Trace

__all__ = ["plot_comparison", "plot_session", "summarize", "tables"]


def summarize(
    results: Sequence[TraceResult], algorithms: Sequence[str], default: str
) -> dict[str, Any]:
    """``{"default": ALGO, "sets": {SET: {ALGO: {...metrics..., "per_trace": {...}}}}}``."""
    sets: dict[str, dict[str, Any]] = {}
    by_set: dict[str, list[TraceResult]] = {}
    for r in results:
        by_set.setdefault(r.trace_set, []).append(r)
    for set_name, rs in by_set.items():
        entry: dict[str, Any] = {}
        for algo in algorithms:
            ms = [r.metrics[algo] for r in rs]
            q = [m.qoe_lin for m in ms]
            entry[algo] = {
                "qoe_lin_mean": statistics.fmean(q),
                "qoe_lin_median": statistics.median(q),
                "bitrate_kbps": statistics.fmean(m.bitrate_kbps for m in ms),
                "rebuffer_ratio": statistics.fmean(m.rebuffer_ratio for m in ms),
                "switches": statistics.fmean(m.switches for m in ms),
                "startup_s": statistics.fmean(m.startup_s for m in ms),
                "per_trace": {r.trace: r.metrics[algo].qoe_lin for r in rs},
            }
        sets[set_name] = entry
    return {"default": default, "sets": sets}


def tables(summary: dict[str, Any]) -> list[Any]:
    """One rich Table per trace set, best mean QoE first."""
    from rich.table import Table

    out = []
    for set_name, entry in summary["sets"].items():
        n = len(next(iter(entry.values()))["per_trace"]) if entry else 0
        t = Table(title=f"{set_name} ({n} traces): QoE_lin per chunk, * = default", min_width=60)
        for col in ("algorithm", "mean", "median", "kbps", "rebuf %", "switch", "startup s"):
            t.add_column(col, justify="left" if col == "algorithm" else "right")
        ranked = sorted(entry.items(), key=lambda kv: -kv[1]["qoe_lin_mean"])
        for algo, m in ranked:
            label = f"{algo} *" if algo == summary["default"] else algo
            t.add_row(
                label,
                f"{m['qoe_lin_mean']:.3f}",
                f"{m['qoe_lin_median']:.3f}",
                f"{m['bitrate_kbps']:.0f}",
                f"{100 * m['rebuffer_ratio']:.2f}",
                f"{m['switches']:.1f}",
                f"{m['startup_s']:.2f}",
            )
        out.append(t)
    return out


def plot_comparison(summary: dict[str, Any], path: Path) -> None:
    """Bar chart of mean QoE_lin per algorithm, one group per trace set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(summary["sets"])
    algos = list(next(iter(summary["sets"].values())))
    fig, ax = plt.subplots(figsize=(min(14.0, max(6.0, 0.5 * len(algos) * len(sets))), 4.5))
    width = 0.8 / max(len(sets), 1)
    for j, s in enumerate(sets):
        vals = [summary["sets"][s][a]["qoe_lin_mean"] for a in algos]
        ax.bar([i + j * width for i in range(len(algos))], vals, width, label=s)
    ax.set_xticks(
        [i + width * (len(sets) - 1) / 2 for i in range(len(algos))], algos, rotation=30, ha="right"
    )
    ax.set_ylabel("mean QoE_lin per chunk")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_session(log: SessionLog, trace: Trace, path: Path) -> None:
    """Throughput, chosen bitrate and buffer over session time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max(log.wall_s, 1.0)
    tt: list[float] = []
    tv: list[float] = []
    period = trace.duration_s
    t0 = trace.times_s[0]
    base = 0.0
    while base < end and period > 0:
        for i in range(1, len(trace.times_s)):
            tt += [base + trace.times_s[i - 1] - t0, base + trace.times_s[i] - t0]
            tv += [trace.kbps[i]] * 2
        base += period
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(10, 6))
    ax1.plot(tt, tv, color="0.6", label="trace throughput")
    starts = [c.request_s for c in log.chunks]
    ax1.step(starts, [c.bitrate_kbps for c in log.chunks], where="post", label="chosen bitrate")
    ax1.set_ylabel("kbit/s")
    ax1.set_xlim(0, end)
    ax1.legend(loc="upper right")
    arrivals = [c.request_s + c.ttfb_s + c.transfer_s for c in log.chunks]
    ax2.plot(arrivals, [c.buffer_s for c in log.chunks], marker=".", label="buffer after arrival")
    stalls = [
        (a, c.rebuffer_s) for a, c in zip(arrivals, log.chunks, strict=True) if c.rebuffer_s > 0
    ]
    for a, s in stalls:
        ax2.axvspan(a - s, a, color="red", alpha=0.3)
    ax2.set_ylabel("buffer s")
    ax2.set_xlabel("session time s")
    ax1.set_title(
        f"{log.algorithm} on {log.trace}: stall {log.rebuffer_s:.1f}s, startup {log.startup_s:.2f}s"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
