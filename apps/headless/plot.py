"""``--plot OUT.png``: throughput, chosen bitrate and buffer over session time (Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["plot_session"]


def plot_session(report: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seg = [s for s in report.get("segments", []) if s["track"] == "video"]
    tl = [p for p in report.get("timeline", []) if "buffer_s" in p]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    if seg:
        t = [s["t"] for s in seg]
        tput = [s["bytes"] * 8 / s["download_s"] / 1000 if s["download_s"] > 0 else 0 for s in seg]
        ax1.plot(t, tput, "o", ms=3, label="segment throughput (kbit/s)", color="tab:gray")
        ax1.step(t, [s["bitrate_kbps"] for s in seg], where="post", label="video bitrate")
    ax1.set_ylabel("kbit/s")
    ax1.set_yscale("symlog")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.set_title(f"{report.get('title')}: throughput and bitrate")
    if tl:
        ax2.plot([p["t"] for p in tl], [p["buffer_s"] for p in tl], color="tab:green")
    for st in report.get("stalls", []):
        end = st["end"] if st["end"] is not None else (tl[-1]["t"] if tl else st["start"])
        for ax in (ax1, ax2):
            ax.axvspan(st["start"], end, color="tab:red", alpha=0.2)
    ax2.set_ylabel("video buffer (s)")
    ax2.set_xlabel("session time (s)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
