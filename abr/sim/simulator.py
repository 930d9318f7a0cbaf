"""The session simulator: ``run(algo, trace, video, cfg) -> SessionLog``, virtual time only.

Each step asks the algorithm for a rung, downloads that segment over a :class:`TraceLink`,
then updates the buffer: stall if the download outlasted the buffer, add one segment, and
enforce the buffer cap. Defaults reproduce Pensieve's ``fixed_env.py`` (the reference
figures of ``shared/abr/ANCHORS.md``); :data:`SABRE` mirrors Sabre's timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from abr.base import AbrAlgorithm
from abr.errors import SimulatorConfigError
from abr.sim.linkmodel import LinkModel
from abr.sim.network import TraceLink
from abr.sim.traces import Trace
from abr.sim.video import Video
from abr.types import Decision, Observation, Phase, ThroughputSample

__all__ = ["PENSIEVE", "SABRE", "ChunkRecord", "SessionLog", "SimConfig", "run"]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Simulator settings.

    - ``latency_s``: added once per request (time to first byte).
    - ``latency_advances_trace``: False = Pensieve (latency does not consume trace time),
      True = Sabre.
    - ``cap_mode``: ``"after"`` = Pensieve (after arrival, idle in ``sleep_step_s`` steps until
      the buffer is under the cap), ``"before"`` = Sabre (wait before a request until the
      segment fits).
    - ``startup_threshold_s``: playback starts once this much is buffered (None = one segment).
    - ``first_rung``: rung forced for the first segment (Pensieve forces rung 1), None = ask.
    - ``abandon``: give up a download that would stall when a lower rung would finish sooner.
    - ``sizes_known``: the algorithm sees the upcoming segments' sizes (False: none, so it
      plans with nominal sizes, bitrate x duration, as a player reading an MPD without a
      segment index does).
    - ``link``: a :class:`~abr.sim.linkmodel.LinkModel` (per-request RTT that runs the
      trace's clock, an audio track sharing the link, slow start after idle) instead of
      ``latency_s`` and an instant trace rate; None = the plain model.
    """

    latency_s: float = 0.08
    payload_fraction: float = 0.95
    buffer_cap_s: float = 60.0
    startup_threshold_s: float | None = None
    segments: int | None = None
    first_rung: int | None = 1
    latency_advances_trace: bool = False
    cap_mode: str = "after"
    sleep_step_s: float = 0.5
    abandon: bool = False
    history: int = 20
    link: LinkModel | None = None
    sizes_known: bool = True

    def validate(self) -> None:
        if self.link is not None:
            self.link.validate()
        if not (self.latency_s >= 0 and math.isfinite(self.latency_s)):
            raise SimulatorConfigError("latency_s must be >= 0", setting="latency_s")
        if not 0 < self.payload_fraction <= 1:
            raise SimulatorConfigError(
                "payload_fraction must be in (0, 1]", setting="payload_fraction"
            )
        if not self.buffer_cap_s > 0:
            raise SimulatorConfigError("buffer_cap_s must be positive", setting="buffer_cap_s")
        if self.cap_mode not in ("after", "before"):
            raise SimulatorConfigError("cap_mode must be 'after' or 'before'", setting="cap_mode")
        if not self.sleep_step_s > 0:
            raise SimulatorConfigError("sleep_step_s must be positive", setting="sleep_step_s")
        if self.startup_threshold_s is not None and not (
            0 <= self.startup_threshold_s <= self.buffer_cap_s
        ):
            raise SimulatorConfigError(
                "startup_threshold_s must be within [0, buffer_cap_s]",
                setting="startup_threshold_s",
            )
        if self.history < 1:
            raise SimulatorConfigError("history must be >= 1", setting="history")


PENSIEVE = SimConfig()
SABRE = SimConfig(first_rung=None, latency_advances_trace=True, cap_mode="before", abandon=True)


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """One downloaded segment. Times are session (wall) seconds from the first request."""

    index: int
    rung: int
    bitrate_kbps: float
    bytes: int
    request_s: float
    ttfb_s: float
    transfer_s: float
    rebuffer_s: float
    buffer_s: float
    wait_s: float
    reason: str
    abandoned_bytes: float = 0.0
    abandoned_rung: int | None = None


@dataclass(frozen=True, slots=True)
class SessionLog:
    """A whole session. ``wall_s = startup_s + rebuffer_s + play_s`` by construction."""

    algorithm: str
    trace: str
    chunks: tuple[ChunkRecord, ...]
    startup_s: float
    rebuffer_s: float
    play_s: float
    wall_s: float
    segment_duration_s: float
    bitrates_kbps: tuple[float, ...]


def _abandon_check(
    link: TraceLink,
    size: float,
    buffer_s: float,
    latency: float,
    sizes_row: tuple[int, ...],
    rung: int,
) -> tuple[float, int] | None:
    """Sabre/dash.js-style abandonment, evaluated once, when half the buffer has drained.

    Returns (elapsed transfer seconds at abandonment, new rung) or None to keep going.
    """
    probe = link.copy()
    full = probe.download(size)
    if latency + full <= buffer_s or rung == 0:
        return None
    check = max(0.5, buffer_s / 2.0 - latency)
    if check >= full:
        return None
    probe = link.copy()
    got = probe.advance(check)
    rate = got / check if check > 0 else 0.0
    left_time = buffer_s - latency - check
    if rate <= 0:
        return check, 0
    remaining = (size - got) / rate
    new = 0
    for r in range(rung):
        if latency + sizes_row[r] / rate <= left_time:
            new = r
    if remaining <= latency + sizes_row[new] / rate:
        return None
    return check, new


def run(algo: AbrAlgorithm, trace: Trace, video: Video, cfg: SimConfig = PENSIEVE) -> SessionLog:
    """Stream ``video`` over ``trace`` with ``algo``; pure and deterministic."""
    cfg.validate()
    algo.reset()
    ladder = video.ladder
    seg = ladder.segment_duration_s
    n = cfg.segments if cfg.segments is not None else video.played
    n = max(1, min(n, video.num_segments))
    rows = video.rows()[:n]
    threshold = seg if cfg.startup_threshold_s is None else cfg.startup_threshold_s
    link = TraceLink(trace, cfg.payload_fraction)
    model = cfg.link
    lat = cfg.latency_s if model is None else model.rtt_s
    advances = cfg.latency_advances_trace or model is not None
    companion = 0.0 if model is None else model.companion_bytes(seg)
    window, last_end = 0.0, -math.inf
    top = ladder.top

    buffer = 0.0
    wall = 0.0
    playing = False
    startup = 0.0
    rebuffer_total = 0.0
    stalled_last = False
    samples: list[ThroughputSample] = []
    chunks: list[ChunkRecord] = []
    last: Decision | None = None

    for i in range(n):
        wait = 0.0
        if cfg.cap_mode == "before" and playing:
            over = buffer + seg - cfg.buffer_cap_s
            if over > 0:
                wait = over
                link.advance(over)
                buffer -= over
                wall += over
        if cfg.first_rung is not None and i == 0:
            decision = Decision(min(cfg.first_rung, top), "forced first segment")
        else:
            if not playing:
                phase = Phase.STARTUP
            elif stalled_last:
                phase = Phase.REBUFFERING
            else:
                phase = Phase.STEADY
            obs = Observation(
                now=wall,
                buffer_s=buffer,
                phase=phase,
                ladder=ladder,
                segment_index=i,
                segments_left=n - i,
                upcoming_sizes=rows[i:] if cfg.sizes_known else (),
                samples=tuple(samples[-cfg.history :]),
                last_decision=last,
                buffer_cap_s=cfg.buffer_cap_s,
            )
            decision = algo.choose(obs)
            if not (isinstance(decision.rung, int) and 0 <= decision.rung <= top):
                raise SimulatorConfigError(
                    f"{algo.name} returned rung {decision.rung!r} outside 0..{top}",
                    setting="algorithm",
                )
        rung = decision.rung
        request_at = wall
        abandoned_bytes = 0.0
        abandoned_rung: int | None = None
        spent = 0.0
        if advances:
            link.advance(lat)
        if cfg.abandon and playing:
            verdict = _abandon_check(link, rows[i][rung], buffer, lat, rows[i], rung)
            if verdict is not None:
                spent, new = verdict
                abandoned_bytes = link.advance(spent)
                abandoned_rung = rung
                rung = new
                decision = Decision(new, f"abandoned rung {abandoned_rung}; " + decision.reason)
                if advances:
                    link.advance(lat)
                spent += lat
        size = rows[i][rung]
        if model is None:
            transfer = spent + link.download(size)
        else:
            moved = model.transfer(link, size + companion, window, request_at - last_end)
            transfer, window = spent + moved.seconds, moved.window
        delay = lat + transfer
        last_end = wall + delay
        wall += delay
        if playing:
            stall = max(delay - buffer, 0.0)
            buffer = max(buffer - delay, 0.0)
        else:
            stall = 0.0
            startup += delay
        rebuffer_total += stall
        stalled_last = stall > 0
        buffer += seg
        if not playing and buffer >= threshold - 1e-9:
            playing = True
        sleep = 0.0
        if cfg.cap_mode == "after" and buffer > cfg.buffer_cap_s:
            step = cfg.sleep_step_s
            sleep = math.ceil((buffer - cfg.buffer_cap_s) / step) * step
            buffer -= sleep
            link.advance(sleep)
            wall += sleep
        if model is not None and model.audio_samples and companion > 0:
            audio_s = model.audio_share_s(size, transfer, seg)
            samples.append(
                ThroughputSample(int(companion), lat, audio_s, request_at + lat + audio_s)
            )
        samples.append(ThroughputSample(size, lat, transfer, wall - sleep))
        chunks.append(
            ChunkRecord(
                i,
                rung,
                ladder.bitrates_kbps[rung],
                size,
                request_at,
                lat,
                transfer,
                stall,
                buffer,
                wait + sleep,
                decision.reason,
                abandoned_bytes,
                abandoned_rung,
            )
        )
        last = replace(decision, rung=rung)
    if not playing:  # threshold above the whole video: playback starts at the end
        playing = True
    wall += buffer
    play = n * seg
    return SessionLog(
        algorithm=getattr(algo, "name", type(algo).__name__),
        trace=trace.name,
        chunks=tuple(chunks),
        startup_s=startup,
        rebuffer_s=rebuffer_total,
        play_s=play,
        wall_s=wall,
        segment_duration_s=seg,
        bitrates_kbps=ladder.bitrates_kbps,
    )
