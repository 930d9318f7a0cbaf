"""``--plot OUT.png``: throughput, chosen bitrate and buffer over session time (Agg).

Both panels carry a y-axis label with its unit; the throughput/bitrate panel is on a
log scale (rates span decades) with plain-number ticks at 1-2-5 steps (``2,500``, not
``10^3``), so a bitrate can be read off the axis.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["plot_session", "rate_ticks", "session_figure"]

RATE_LABEL = "throughput and bitrate (kbit/s)"
BUFFER_LABEL = "video buffer (s)"


def rate_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks covering ``[low, high]`` (kbit/s, both > 0), one below and above."""
    low, high = max(low, 1.0), max(high, low, 1.0)
    ticks: list[float] = []
    for exp in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        ticks += [m * 10.0**exp for m in (1, 2, 5)]
    below = [t for t in ticks if t <= low]
    above = [t for t in ticks if t >= high]
    start = ticks.index(below[-1]) if below else 0
    end = ticks.index(above[0]) if above else len(ticks) - 1
    return ticks[start : end + 1]


def session_figure(report: dict[str, Any]) -> Any:
    """The two-panel matplotlib figure of one session report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    seg = [s for s in report.get("segments", []) if s["track"] == "video"]
    tl = [p for p in report.get("timeline", []) if "buffer_s" in p]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    if seg:
        t = [s["t"] for s in seg]
        tput = [s["bytes"] * 8 / s["download_s"] / 1000 if s["download_s"] > 0 else 0 for s in seg]
        rates = [s["bitrate_kbps"] for s in seg]
        ax1.plot(t, tput, "o", ms=3, label="segment throughput", color="tab:gray")
        ax1.step(t, rates, where="post", label="video bitrate")
        ax1.set_yscale("log")
        positive = [v for v in (*tput, *rates) if v > 0] or [1.0]
        ticks = rate_ticks(min(positive), max(positive))
        ax1.set_ylim(ticks[0], ticks[-1])
        ax1.yaxis.set_major_locator(FixedLocator(ticks))
        ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax1.yaxis.set_minor_locator(NullLocator())
        ax1.legend(loc="upper right", fontsize=8)
    ax1.set_ylabel(RATE_LABEL)
    ax1.grid(True, axis="y", alpha=0.3)
    ax1.set_title(f"{report.get('title')}: throughput and bitrate")
    if tl:
        ax2.plot([p["t"] for p in tl], [p["buffer_s"] for p in tl], color="tab:green")
    for st in report.get("stalls", []):
        end = st["end"] if st["end"] is not None else (tl[-1]["t"] if tl else st["start"])
        for ax in (ax1, ax2):
            ax.axvspan(st["start"], end, color="tab:red", alpha=0.2)
    ax2.set_ylabel(BUFFER_LABEL)
    ax2.set_xlabel("session time (s)")
    fig.tight_layout()
    return fig


def plot_session(report: dict[str, Any], out: Path) -> None:
    import matplotlib.pyplot as plt

    fig = session_figure(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
