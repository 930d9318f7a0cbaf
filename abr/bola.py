"""BOLA (Spiteri et al., INFOCOM 2016) and BOLA-E (Spiteri et al., MMSys 2018), as in Sabre.

BOLA picks the rung m maximising ``(V (v_m + γp) − Q) / S_m`` where Q is the buffer level,
``v_m = ln(S_m / S_1)`` the utility and ``S_m`` the segment size (here the bitrate, as in
Sabre and dash.js). V and γp follow from the buffer target: the top rung is chosen from
``Q = target − p`` on, and γp (seconds) sets where the lowest rung stops being forced.
"""

from __future__ import annotations

import math
from typing import ClassVar

from abr.errors import AlgorithmConfigError
from abr.estimators import BandwidthEstimator, EwmaPair, SampleFeed
from abr.throughput import ThroughputRule, rung_for_throughput, safe_rung_for_buffer
from abr.tunables import Tunable
from abr.types import Decision, Ladder, Observation, Phase

__all__ = ["Bola", "BolaE"]


def _score_argmax(
    ladder: Ladder, utilities: list[float], vp: float, gp: float, level: float
) -> int:
    best, score = 0, -math.inf
    for m, r in enumerate(ladder.bitrates_kbps):
        s = (vp * (utilities[m] + gp) - level) / r
        if s > score:
            best, score = m, s
    return best


class Bola:
    """BOLA; ``basic=True`` is BOLA-BASIC, the bare closed form with a fixed buffer target.

    Without ``basic`` it is Sabre's ``bola``: the buffer target shrinks near the start and
    the end of the video (``max(t / 2, 3)`` segments, t = segments since start or left), and
    an up-switch above the throughput-sustainable rung goes at most one rung above it
    (BOLA-O). ``buffer_target_s`` None = the observation's buffer cap (else 60 s).
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        Tunable("gamma_p_s", float, 0.01, 100.0),
        Tunable("buffer_target_s", float, 1.0, 600.0),
        Tunable("basic", bool),
    )

    def __init__(
        self,
        gamma_p_s: float = 5.0,
        buffer_target_s: float | None = None,
        basic: bool = False,
        name: str = "bola",
    ) -> None:
        if not (isinstance(gamma_p_s, int | float) and gamma_p_s > 0):
            raise AlgorithmConfigError(
                "gamma_p_s must be positive", algorithm=name, parameter="gamma_p_s"
            )
        if buffer_target_s is not None and not buffer_target_s > 0:
            raise AlgorithmConfigError(
                "buffer_target_s must be positive", algorithm=name, parameter="buffer_target_s"
            )
        self.name = name
        self.gamma_p_s = float(gamma_p_s)
        self.buffer_target_s = buffer_target_s
        self.basic = basic
        self.estimator = EwmaPair(3.0, 8.0, transfer_only=True)
        self._feed = SampleFeed()
        self.reset()

    def reset(self) -> None:
        self.estimator.reset()
        self._feed.reset()
        self._last = 0

    def target(self, obs: Observation) -> float:
        target = self.buffer_target_s or obs.buffer_cap_s or 60.0
        if not self.basic and obs.segments_left is not None:
            t = max(min(obs.segment_index, obs.segments_left) / 2.0, 3.0)
            target = min(target, t * obs.ladder.segment_duration_s)
        return target

    def params(self, obs: Observation) -> tuple[list[float], float]:
        """(utilities, V·p) for this ladder and buffer target."""
        rates = obs.ladder.bitrates_kbps
        utilities = [math.log(r / rates[0]) for r in rates]
        seg = obs.ladder.segment_duration_s
        vp = (self.target(obs) - seg) / (utilities[-1] + self.gamma_p_s)
        return utilities, vp

    def rung_for_level(self, obs: Observation, level: float) -> int:
        utilities, vp = self.params(obs)
        return _score_argmax(obs.ladder, utilities, vp, self.gamma_p_s, level)

    def choose(self, obs: Observation) -> Decision:
        for s in self._feed.new(obs.samples):
            self.estimator.add(s)
        rung = self.rung_for_level(obs, obs.buffer_s)
        reason = f"BOLA at {obs.buffer_s:.1f}s"
        est = self.estimator.estimate()
        if not self.basic and rung > self._last and est is not None:
            q_t = rung_for_throughput(obs.ladder, est, ThroughputRule.latency(obs))
            if rung > q_t:
                rung = self._last if self._last > q_t else q_t + 1
                reason += f", BOLA-O up-switch limited by {est:.0f}kbps"
        self._last = rung
        return Decision(rung, reason)


class BolaE:
    """BOLA-E as in Sabre's ``bolae`` (the dash.js BOLA of 2018).

    - Utilities ``ln(S_m/S_1) + 1``; V and γ put the lowest rung's region at 10 s
      (``minimum_buffer``) and stretch the ladder over the buffer cap.
    - Startup: the first decision follows throughput; a *placeholder* buffer is added so
      BOLA continues from that rung instead of the bottom (BOLA-PL). The placeholder is
      trimmed after each download to stay consistent with the rung fetched.
    - Oscillation guard: an up-switch above the throughput rung goes one rung above
      ``max(last, throughput rung)`` at most.
    - Insufficient-buffer rule: never fetch a segment bigger than what the link delivers
      before the buffer drains (safety 0.9 decaying to 0.5).

    Sabre's request delays are not modelled (the simulator enforces the buffer cap); the
    delay they would cause is taken from the placeholder first, as Sabre does.
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (Tunable("buffer_cap_s", float, 1.0, 600.0),)

    minimum_buffer_s = 10.0
    minimum_buffer_per_level_s = 2.0

    def __init__(
        self,
        buffer_cap_s: float | None = None,
        estimator: BandwidthEstimator | None = None,
        name: str = "bola-e",
    ) -> None:
        if buffer_cap_s is not None and not buffer_cap_s > 0:
            raise AlgorithmConfigError(
                "buffer_cap_s must be positive", algorithm=name, parameter="buffer_cap_s"
            )
        self.name = name
        self.buffer_cap_s = buffer_cap_s
        self.estimator = (
            estimator if estimator is not None else EwmaPair(3.0, 8.0, transfer_only=True)
        )
        self._feed = SampleFeed()
        self.reset()

    def reset(self) -> None:
        self.estimator.reset()
        self._feed.reset()
        self._startup = True
        self._placeholder = 0.0
        self._last = 0
        self._ibr_safety = 0.9

    def params(self, obs: Observation) -> tuple[list[float], float, float]:
        """(utilities, V·p, γp)."""
        rates = obs.ladder.bitrates_kbps
        utilities = [math.log(r / rates[0]) + 1.0 for r in rates]
        cap = self.buffer_cap_s or obs.buffer_cap_s or 60.0
        buffer = max(self.minimum_buffer_s + self.minimum_buffer_per_level_s * len(rates), cap)
        gp = max((utilities[-1] - 1.0) / (buffer / self.minimum_buffer_s - 1.0), 1e-9)
        return utilities, self.minimum_buffer_s / gp, gp

    def min_level(self, obs: Observation, rung: int) -> float:
        """Lowest (buffer + placeholder) level at which BOLA prefers ``rung``."""
        utilities, vp, gp = self.params(obs)
        b, u = obs.ladder.bitrates_kbps[rung], utilities[rung]
        level = 0.0
        for q in range(rung):
            bq, uq = obs.ladder.bitrates_kbps[q], utilities[q]
            level = max(level, vp * (gp + (b * uq - bq * u) / (b - bq)))
        return level

    def max_level(self, obs: Observation, rung: int) -> float:
        utilities, vp, gp = self.params(obs)
        return vp * (utilities[rung] + gp)

    def _after_download(self, obs: Observation) -> None:
        """Sabre's ``report_download``: keep the placeholder consistent with the last rung."""
        last = obs.samples[-1]
        level = obs.buffer_s
        level_was = level + last.duration_s
        self._placeholder = min(
            self._placeholder, max(0.0, self.max_level(obs, self._last) - level_was)
        )
        if level > 0:
            self._placeholder = max(self._placeholder, self.min_level(obs, self._last) - level_was)

    def choose(self, obs: Observation) -> Decision:
        fresh = self._feed.new(obs.samples)
        for s in fresh:
            self.estimator.add(s)
        if obs.last_rung is not None:
            self._last = obs.last_rung
        # The ladder may shrink between calls (a new period, a capped plan): stay on it.
        self._last = min(self._last, len(obs.ladder) - 1)
        if obs.phase is Phase.AFTER_SEEK:
            self._startup = True
        if fresh and not self._startup:
            self._after_download(obs)
        est = self.estimator.estimate()
        if self._startup:
            if est is None:
                return Decision(self._last, "BOLA-E startup: no throughput yet")
            self._startup = False
            self._ibr_safety = 0.9
            q = rung_for_throughput(obs.ladder, est, ThroughputRule.latency(obs))
            self._placeholder = max(0.0, self.min_level(obs, q) - obs.buffer_s)
            self._last = q
            return Decision(q, f"BOLA-E startup at {est:.0f}kbps")
        assert est is not None
        utilities, vp, gp = self.params(obs)
        lat = ThroughputRule.latency(obs)
        level = obs.buffer_s + self._placeholder
        q = _score_argmax(obs.ladder, utilities, vp, gp, level)
        q_t = rung_for_throughput(obs.ladder, est, lat)
        if q > self._last and q > q_t:
            q = max(self._last, q_t) + 1
        excess = level - self.max_level(obs, q)
        if excess > 0:
            self._placeholder = max(0.0, self._placeholder - excess)
        capped = safe_rung_for_buffer(obs.ladder, q, obs.buffer_s, lat, est, self._ibr_safety)
        self._ibr_safety = max(self._ibr_safety * 0.9, 0.5)
        if capped < q:
            q = capped
            self._placeholder = min(
                self._placeholder, max(0.0, self.min_level(obs, q) - obs.buffer_s)
            )
        self._last = q
        return Decision(q, f"BOLA-E at {level:.1f}s (placeholder {self._placeholder:.1f}s)")
