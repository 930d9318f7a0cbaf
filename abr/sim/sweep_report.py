"""Sweep results for people: a rich table per configuration ranking, and a heatmap."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

__all__ = ["plot_heatmap", "sweep_table"]


def _label(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items()) or "(defaults)"


def sweep_table(summary: dict[str, Any], top: int = 20) -> Any:
    """Configurations ranked by mean QoE_lin per chunk over every trace (best first)."""
    from rich.table import Table

    base = summary["baseline"]
    title = f"{summary['algorithm']} sweep" + (f" vs {base}" if base else "")
    t = Table(title=title)
    t.add_column("configuration")
    for col in ("QoE", "rebuf %", "kbps"):
        t.add_column(col, justify="right")
    if base:
        t.add_column("win/loss", justify="right")
    ranked = sorted(summary["configs"], key=lambda c: -c["overall"]["qoe_lin_mean"])
    for c in ranked[:top]:
        o = c["overall"]
        row = [
            _label(c["params"]),
            f"{o['qoe_lin_mean']:.3f}",
            f"{100 * o['rebuffer_ratio']:.2f}",
            f"{o['bitrate_kbps']:.0f}",
        ]
        if base:
            row.append(f"{o['wins']}/{o['losses']}")
        t.add_row(*row)
    if base and summary["baseline_sets"]:
        means = [s["qoe_lin_mean"] for s in summary["baseline_sets"].values()]
        t.caption = f"baseline {base}: QoE {statistics.fmean(means):.3f} (mean of set means)"
    return t


def plot_heatmap(summary: dict[str, Any], path: Path) -> None:
    """Mean QoE_lin over the first two grid parameters (averaged over any others)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(summary["grid"])
    if len(names) < 2:
        names = [*names, *([""] * (2 - len(names)))]
    xs = summary["grid"].get(names[0], [None])
    ys = summary["grid"].get(names[1], [None])
    cells: dict[tuple[int, int], list[float]] = {}
    for c in summary["configs"]:
        i = xs.index(c["params"].get(names[0])) if names[0] else 0
        j = ys.index(c["params"].get(names[1])) if names[1] else 0
        cells.setdefault((j, i), []).append(c["overall"]["qoe_lin_mean"])
    grid = np.full((len(ys), len(xs)), np.nan)
    for (j, i), vals in cells.items():
        grid[j, i] = statistics.fmean(vals)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.0 + 0.9 * len(xs)), max(3.0, 1.0 + 0.6 * len(ys))))
    im = ax.imshow(grid, origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set_yticks(range(len(ys)), [str(y) for y in ys])
    ax.set_xlabel(names[0] or "-")
    ax.set_ylabel(names[1] or "-")
    for (j, i), vals in cells.items():
        ax.text(i, j, f"{statistics.fmean(vals):.3f}", ha="center", va="center", color="white")
    fig.colorbar(im, ax=ax, label="mean QoE_lin per chunk")
    ax.set_title(f"{summary['algorithm']} sweep")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
