"""The contest figure: QoE_lin per chunk distributions per player, and one trace's
bitrate and buffer timelines per player."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["plot_contest"]


def plot_contest(doc: Mapping[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in doc["rows"] if r.get("qoe_lin") is not None]
    players = [p for p in doc["players"] if any(r["player"] == p for r in rows)]
    fig, (ax_q, ax_b, ax_f) = plt.subplots(1, 3, figsize=(16, 5))
    data = [[r["qoe_lin"] for r in rows if r["player"] == p] for p in players]
    if data:
        ax_q.boxplot(data, showmeans=True)
        ax_q.set_xticks(range(1, len(players) + 1), players, rotation=20)
    ax_q.set_title(f"QoE_lin per chunk, {len({r['trace'] for r in rows})} traces")
    ax_q.set_ylabel("QoE_lin per chunk")
    first = rows[0]["trace"] if rows else None
    for r in rows:
        if r["trace"] != first:
            continue
        tl = r.get("timeline") or {}
        bt = tl.get("bitrate") or []
        ax_b.step([t for t, _ in bt], [k for _, k in bt], where="post", label=r["player"])
        bf = tl.get("buffer") or []
        ax_f.plot([t for t, _ in bf], [b for _, b in bf], label=r["player"])
    ax_b.set_title(f"video bitrate requested, {first}")
    ax_b.set_xlabel("s since load")
    ax_b.set_ylabel("kbit/s")
    ax_f.set_title("buffer ahead of the playhead")
    ax_f.set_xlabel("s since load")
    ax_f.set_ylabel("s")
    for ax in (ax_b, ax_f):
        if ax.get_lines():
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
