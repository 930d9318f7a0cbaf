"""The contest title's ladder and segment sizes, read from its packaged origin copy, and
the simulator's prediction of our algorithms on the same trace and ladder."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import abr
import nrdp
from abr import Ladder
from abr.sim import LinkModel, SimConfig, Trace, Video, metrics, run
from manifest import parse_mpd

__all__ = ["TitleLadder", "player_model", "read_title", "simulate", "without_audio"]

_SEG = re.compile(r"seg-(\d+)\.m4s")


@dataclass(frozen=True)
class TitleLadder:
    """Video rungs (MPD ids and kbit/s, the values QoE_lin uses everywhere) and sizes."""

    title: str
    rep_ids: tuple[str, ...]
    kbps: tuple[float, ...]
    segment_s: float
    sizes: tuple[tuple[int, ...], ...]
    """``sizes[rung][segment]`` in bytes, from the origin's files."""
    audio_kbps: float = 0.0
    """The (first) audio rendition's bandwidth: what real players also fetch over the link."""

    @property
    def bandwidth_of(self) -> dict[str, float]:
        return dict(zip(self.rep_ids, self.kbps, strict=True))

    def video(self) -> Video:
        ladder = Ladder(self.kbps, self.segment_s)
        return Video(self.title, ladder, self.sizes, len(self.sizes[0]))


def read_title(title_dir: Path) -> TitleLadder:
    mpd = parse_mpd((title_dir / "manifest.mpd").read_bytes())
    video = next(a for a in mpd.periods[0].adaptation_sets if a.content_type == "video")
    reps = sorted(video.representations, key=lambda r: r.bandwidth or 0)
    ids = tuple(str(r.id) for r in reps)
    sizes = []
    for rep_id in ids:
        files = sorted(
            (int(m[1]), p.stat().st_size)
            for p in (title_dir / rep_id).iterdir()
            if (m := _SEG.fullmatch(p.name))
        )
        sizes.append(tuple(size for _, size in files))
    n = min(len(s) for s in sizes)
    duration = float(mpd.media_presentation_duration or 0.0)
    audio = [
        (r.bandwidth or 0) / 1000.0
        for a in mpd.periods[0].adaptation_sets
        if a.content_type == "audio"
        for r in a.representations
    ]
    return TitleLadder(
        title_dir.name,
        ids,
        tuple((r.bandwidth or 0) / 1000.0 for r in reps),
        duration / n if n else 0.0,
        tuple(s[:n] for s in sizes),
        audio[0] if audio else 0.0,
    )


def without_audio(trace: Trace, audio_kbps: float) -> Trace:
    """The trace with the audio track's share taken out (never below 5 %): the simulator
    has no audio track, a real player shares the link with it."""
    kbps = tuple(max(k - audio_kbps, 0.05 * k) for k in trace.kbps)
    return replace(trace, kbps=kbps, name=f"{trace.name}-audio")


def player_model(rtt_ms: float, audio_kbps: float) -> SimConfig:
    """The simulator set up as our player on the emulated link: playback starts at
    ``BufferConfig.start`` buffered, requests wait until a segment fits under
    ``BufferConfig.target``, the algorithm plans with nominal segment sizes (bitrate x
    duration: the player knows no actual sizes), and the link model
    (``abr.sim.LinkModel``) charges the RTT on the trace's clock per request, carries the
    audio track alongside each video segment (its downloads also feed the estimator) and
    restarts slow start after idle."""
    buffer = nrdp.BufferConfig()
    return SimConfig(
        first_rung=None,
        startup_threshold_s=buffer.start,
        buffer_cap_s=buffer.target,
        cap_mode="before",
        sizes_known=False,  # the player reads no segment index: it plans with nominal sizes
        link=LinkModel(rtt_s=rtt_ms / 1000.0, audio_kbps=audio_kbps),
    )


def simulate(
    algorithm: str, trace: Trace, title: TitleLadder, rtt_ms: float, *, plain: bool = False
) -> dict[str, Any]:
    """``abr.sim`` on the same trace and ladder, the first rung the algorithm's own choice
    as in the real player: :func:`player_model` (default), or with ``plain`` the plain
    simulator (the RTT as a fixed latency per request, no audio, the trace's rate at once)."""
    if plain:
        cfg = SimConfig(latency_s=rtt_ms / 1000.0, first_rung=None)
    else:
        cfg = player_model(rtt_ms, title.audio_kbps)
    log = run(abr.create(algorithm), trace, title.video(), cfg)
    m = metrics(log)
    return {
        "qoe_lin": round(m.qoe_lin, 4),
        "avg_bitrate_kbps": round(m.bitrate_kbps, 1),
        "rebuffer_s": round(m.rebuffer_s, 3),
        "switches": m.switches,
        "startup_s": round(m.startup_s, 3),
    }
