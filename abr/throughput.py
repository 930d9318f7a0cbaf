"""Throughput-based rules: pick the highest rung below a (discounted) bandwidth estimate."""

from __future__ import annotations

import statistics
from typing import ClassVar

from abr.errors import AlgorithmConfigError
from abr.estimators import BandwidthEstimator, EwmaPair, SampleFeed
from abr.tunables import Tunable
from abr.types import Decision, Ladder, Observation

__all__ = ["ThroughputRule", "rung_for_throughput", "safe_rung_for_buffer"]


def rung_for_throughput(ladder: Ladder, kbps: float, latency_s: float = 0.0) -> int:
    """Highest rung whose segment (plus request latency) downloads within its duration."""
    p = ladder.segment_duration_s
    rung = 0
    for i, b in enumerate(ladder.bitrates_kbps):
        if i > 0 and latency_s + p * b / max(kbps, 1e-9) <= p:
            rung = i
    return rung


def safe_rung_for_buffer(
    ladder: Ladder, rung: int, buffer_s: float, latency_s: float, kbps: float, safety: float
) -> int:
    """dash.js/Sabre insufficient-buffer rule: do not fetch more than ``safety`` x what the
    link delivers before the buffer runs dry."""
    safe_kbit = safety * (buffer_s - latency_s) * kbps
    for q in range(rung):
        if ladder.bitrates_kbps[q + 1] * ladder.segment_duration_s > safe_kbit:
            return q
    return rung


class ThroughputRule:
    """Highest rung with bitrate <= ``safety`` x estimate; rung ``start_rung`` before samples.

    With ``HarmonicMean(5)`` and safety 1 this is the literature's "RB"; by default it is
    dash.js's/Sabre's throughput rule: an EWMA pair (3 s, 8 s) on the transfer rate, safety
    0.9, latency counted against the segment duration, and the insufficient-buffer rule
    (its safety starts at 0.9 and decays by 0.9 per segment down to 0.5).
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        Tunable("safety", float, 0.01, 2.0),
        Tunable("start_rung", int, 0, 64),
        Tunable("latency_aware", bool),
        Tunable("insufficient_buffer_rule", bool),
    )

    def __init__(
        self,
        estimator: BandwidthEstimator | None = None,
        safety: float = 0.9,
        start_rung: int = 0,
        latency_aware: bool = True,
        insufficient_buffer_rule: bool = True,
        name: str = "throughput",
    ) -> None:
        if not (isinstance(safety, int | float) and 0 < safety <= 2):
            raise AlgorithmConfigError(
                "safety must be in (0, 2]", algorithm=name, parameter="safety"
            )
        self.name = name
        self.estimator = (
            estimator if estimator is not None else EwmaPair(3.0, 8.0, transfer_only=True)
        )
        self.safety = float(safety)
        self.start_rung = start_rung
        self.latency_aware = latency_aware
        self.insufficient_buffer_rule = insufficient_buffer_rule
        self._feed = SampleFeed()
        self.reset()

    def reset(self) -> None:
        self.estimator.reset()
        self._feed.reset()
        self._ibr_safety = 0.9

    def estimate(self, obs: Observation) -> float | None:
        for s in self._feed.new(obs.samples):
            self.estimator.add(s)
        return self.estimator.estimate()

    @staticmethod
    def latency(obs: Observation) -> float:
        recent = [s.ttfb_s for s in obs.samples[-3:]]
        return statistics.fmean(recent) if recent else 0.0

    def choose(self, obs: Observation) -> Decision:
        est = self.estimate(obs)
        if est is None:
            return Decision(min(self.start_rung, obs.ladder.top), "no throughput sample yet")
        if not self.latency_aware:
            return Decision(obs.ladder.highest_below(self.safety * est), f"estimate {est:.0f}kbps")
        lat = self.latency(obs)
        rung = rung_for_throughput(obs.ladder, self.safety * est, lat)
        if self.insufficient_buffer_rule:
            rung = safe_rung_for_buffer(obs.ladder, rung, obs.buffer_s, lat, est, self._ibr_safety)
            self._ibr_safety = max(self._ibr_safety * 0.9, 0.5)
        return Decision(rung, f"estimate {est:.0f}kbps, latency {lat * 1000:.0f}ms")
