"""One contest row per player per trace, the same fields and QoE_lin formula for every
player (``abr.sim.qoe.qoe`` with q(R) = R in Mbit/s, mu = 4.3, the MPD's bitrates)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import abr.sim

__all__ = ["browser_row", "nrdp_row", "qoe_lin_of", "set_means"]

FIELDS = ("qoe_lin", "avg_bitrate_kbps", "rebuffer_ratio", "stall_count", "switches", "startup_s")


def qoe_lin_of(rates_kbps: Sequence[float], stall_s: float) -> float:
    return round(abr.sim.qoe(list(rates_kbps), stall_s, lambda r: r / 1000.0, 4.3), 4)


def _summary(rates: list[float], stall_s: float, stalls: int, played_s: float) -> dict[str, Any]:
    switches = sum(1 for a, b in itertools.pairwise(rates) if a != b)
    denom = stall_s + played_s
    return {
        "qoe_lin": qoe_lin_of(rates, stall_s),
        "avg_bitrate_kbps": round(statistics.fmean(rates), 1) if rates else 0.0,
        "rebuffer_ratio": round(stall_s / denom, 4) if denom > 0 else 0.0,
        "rebuffer_s": round(stall_s, 3),
        "stall_count": stalls,
        "switches": switches,
        "chunks": len(rates),
    }


def browser_row(state: Mapping[str, Any], title_s: float) -> dict[str, Any]:
    """A browser session: the last download of each video segment number is the one played
    (a player may replace a segment it fetched first at another rung)."""
    last: dict[int, Mapping[str, Any]] = {}
    for seg in state.get("segments", []):
        last[int(seg["number"])] = seg
    rates = [float(last[n]["bitrate_kbps"]) for n in sorted(last)]
    stalls = list(state.get("stalls") or [])
    samples = state.get("buffer") or []
    if state.get("stallOpen") is not None and samples:  # still stalled when it stopped
        stalls.append([state["stallOpen"], max(0.0, samples[-1][0] - state["stallOpen"])])
    stall_s = sum(float(d) for _, d in stalls)
    row = _summary(rates, stall_s, len(stalls), title_s if state.get("ended") else 0.0)
    startup = state.get("startup")
    row["startup_s"] = round(float(startup), 3) if startup is not None else None
    play_api = state.get("playApi")
    row["play_api_s"] = round(float(play_api), 3) if play_api is not None else None
    row["ended"] = bool(state.get("ended"))
    row["error"] = state.get("error") or (
        f"timed out at {samples[-1][2]:.1f} s of media"
        if state.get("timed_out") and samples
        else None
    )
    row["timeline"] = {
        "bitrate": [[s["t"], s["bitrate_kbps"]] for s in state.get("segments", [])],
        "buffer": [[round(t, 2), round(b, 3)] for t, b, _ in state.get("buffer", [])],
    }
    return row


def nrdp_row(report: Mapping[str, Any]) -> dict[str, Any]:
    """Our player's session report (``apps.headless.report``), in contest fields."""
    video = [s for s in report.get("segments", []) if s.get("track") == "video"]
    rates = [float(s["bitrate_kbps"]) for s in video]
    stall_s = float(report.get("stall_s") or 0.0)
    row = _summary(
        rates, stall_s, int(report.get("stall_count") or 0), float(report.get("played_s") or 0.0)
    )
    startup = report.get("startup_ms")
    row["startup_s"] = round(float(startup) / 1000.0, 3) if startup is not None else None
    row["ended"] = report.get("state") == "ended"
    row["error"] = "; ".join(str(e) for e in report.get("errors") or []) or None
    row["timeline"] = {
        "bitrate": [[s["t"], s["bitrate_kbps"]] for s in video],
        "buffer": [
            [p["t"], round(p["buffer_s"], 3)] for p in report.get("timeline", []) if "buffer_s" in p
        ],
        # every download (audio too) with its link timing: what a link model is checked on
        "segments": [
            [s["t"], s["track"], s["bytes"], s["ttfb_s"], s["download_s"]]
            for s in report.get("segments", [])
        ],
    }
    return row


SIM_FIELDS = (
    "sim_qoe_lin",
    "sim_gap",
    "sim_rel_gap",
    "sim_plain_qoe_lin",
    "sim_plain_rel_gap",
    "sim_audio_qoe_lin",
)


def rel_gap(real: float | None, sim: float | None) -> float | None:
    """|real - sim| / |sim| (the contest's sim-to-real target: within 0.1 on average)."""
    if real is None or sim is None or sim == 0:
        return None
    return round(abs(real - sim) / abs(sim), 4)


def set_means(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{set: {player: {field: mean}}}`` over the rows that played (no error)."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("error") is None:
            groups.setdefault((r["set"], r["player"]), []).append(r)
            groups.setdefault(("all", r["player"]), []).append(r)
    for (set_name, player), rs in sorted(groups.items()):
        means: dict[str, float | None] = {"traces": float(len(rs))}
        for f in (*FIELDS, *SIM_FIELDS):
            vals = [float(r[f]) for r in rs if r.get(f) is not None]
            means[f] = round(statistics.fmean(vals), 4) if vals else None
        out.setdefault(set_name, {})[player] = means
    return out
