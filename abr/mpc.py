"""Model-predictive control (Yin et al., SIGCOMM 2015): FastMPC and RobustMPC.

Every decision enumerates all rung plans over the next ``horizon`` segments (6^5 = 7776
for Envivio), simulates the buffer under a throughput prediction, scores each plan with
QoE_lin (bitrate − μ·stall − |switch|) and fetches the first rung of the best plan. Plans
are enumerated once per (rungs, horizon) and scored with numpy in one pass.

RobustMPC predicts the harmonic mean of the last 5 samples divided by ``1 + max error``,
the largest relative prediction error of the last 5 segments (Pensieve's ``mpc.py``).
"""

from __future__ import annotations

import functools
import itertools
from collections import deque
from typing import ClassVar

import numpy as np

from abr.errors import AlgorithmConfigError
from abr.tunables import Tunable
from abr.types import Decision, Observation

__all__ = ["MPC", "PlanScorer", "best_index", "plans"]


@functools.lru_cache(maxsize=32)
def plans(rungs: int, horizon: int) -> np.ndarray:
    """All rung sequences of length ``horizon``, shape (rungs**horizon, horizon), in
    ``itertools.product`` order."""
    return np.array(list(itertools.product(range(rungs), repeat=horizon)), dtype=np.intp)


class PlanScorer:
    """Scores every plan of a horizon for given sizes, buffer and throughput predictions."""

    def __init__(self, rates_kbps: tuple[float, ...], horizon: int) -> None:
        self.rates = np.asarray(rates_kbps, dtype=float) / 1000.0  # Mbit/s
        self.horizon = horizon
        self.plans = plans(len(rates_kbps), horizon)
        p = self.plans
        r = self.rates[p]
        self.rate_sum = r.sum(axis=1)
        self.inner_smooth = np.abs(np.diff(r, axis=1)).sum(axis=1) if horizon > 1 else 0.0 * r[:, 0]
        self.first_rate = r[:, 0]
        self.cols = [p[:, k] for k in range(horizon)]

    def simulate(
        self, sizes: np.ndarray, buffer_s: float, bytes_per_s: np.ndarray | float, seg_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(stall seconds, end buffer) per plan; ``bytes_per_s`` is a scalar or one value
        per step (shape (horizon,) ) or per scenario (shape (S, 1))."""
        bw = np.asarray(bytes_per_s, dtype=float)
        n = len(self.plans)
        shape = (n,) if bw.ndim == 0 or bw.ndim == 1 else (bw.shape[0], n)
        buf = np.full(shape, buffer_s)
        stall = np.zeros(shape)
        for k in range(self.horizon):
            step_bw = bw[k] if bw.ndim == 1 else bw
            dt = sizes[k][self.cols[k]] / step_bw
            stall += np.maximum(dt - buf, 0.0)
            buf = np.maximum(buf - dt, 0.0) + seg_s
        return stall, buf

    def qoe(
        self, stall: np.ndarray, last_rung: int | None, rebuf_penalty: float, smooth_penalty: float
    ) -> np.ndarray:
        first = np.abs(self.first_rate - self.rates[last_rung]) if last_rung is not None else 0.0
        return self.rate_sum - rebuf_penalty * stall - smooth_penalty * (self.inner_smooth + first)


def best_index(values: np.ndarray) -> int:
    """Index of the maximum, the last one among ties (Pensieve keeps the last best plan)."""
    rev = values[::-1]
    return len(values) - 1 - int(np.argmax(rev))


class MPC:
    """RobustMPC (``robust=True``) or FastMPC's objective with a plain harmonic mean."""

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        Tunable("horizon", int, 1, 8),
        Tunable("robust", bool),
        Tunable("window", int, 1, 50),
        Tunable("rebuf_penalty", float, 0.0, 100.0),
        Tunable("smooth_penalty", float, 0.0, 100.0),
    )

    def __init__(
        self,
        horizon: int = 5,
        robust: bool = True,
        window: int = 5,
        rebuf_penalty: float = 4.3,
        smooth_penalty: float = 1.0,
        name: str = "robustmpc",
    ) -> None:
        if not (isinstance(horizon, int) and 1 <= horizon <= 8):
            raise AlgorithmConfigError(
                "horizon must be an integer in 1..8", algorithm=name, parameter="horizon"
            )
        if not (isinstance(window, int) and window >= 1):
            raise AlgorithmConfigError(
                "window must be an integer >= 1", algorithm=name, parameter="window"
            )
        self.name = name
        self.horizon = horizon
        self.robust = robust
        self.window = window
        self.rebuf_penalty = rebuf_penalty
        self.smooth_penalty = smooth_penalty
        self._scorers: dict[tuple[tuple[float, ...], int], PlanScorer] = {}
        self.reset()

    def reset(self) -> None:
        self._errors: deque[float] = deque(maxlen=self.window)
        self._last_prediction: float | None = None
        self._seen_end = -1.0

    def scorer(self, rates: tuple[float, ...], horizon: int) -> PlanScorer:
        key = (rates, horizon)
        s = self._scorers.get(key)
        if s is None:
            s = self._scorers[key] = PlanScorer(rates, horizon)
        return s

    def predict(self, obs: Observation) -> float | None:
        """Predicted kbit/s for the coming segments (updates the error history)."""
        if not obs.samples:
            return None
        newest = obs.samples[-1]
        if newest.end_s != self._seen_end:
            self._seen_end = newest.end_s
            actual = newest.kbps
            if self._last_prediction is not None:
                self._errors.append(abs(self._last_prediction - actual) / actual)
            else:
                self._errors.append(0.0)
        recent = [s.kbps for s in obs.samples[-self.window :]]
        harmonic = len(recent) / sum(1.0 / max(v, 1e-9) for v in recent)
        self._last_prediction = harmonic
        if self.robust and self._errors:
            return harmonic / (1.0 + max(self._errors))
        return harmonic

    def choose(self, obs: Observation) -> Decision:
        pred = self.predict(obs)
        if pred is None:
            return Decision(0, "no throughput sample yet")
        left = obs.segments_left if obs.segments_left is not None else self.horizon
        h = max(1, min(self.horizon, left))
        sc = self.scorer(obs.ladder.bitrates_kbps, h)
        sizes = np.asarray(obs.sizes_matrix(h), dtype=float)
        stall, _ = sc.simulate(
            sizes, obs.buffer_s, pred * 1000.0 / 8.0, obs.ladder.segment_duration_s
        )
        q = sc.qoe(stall, obs.last_rung, self.rebuf_penalty, self.smooth_penalty)
        i = best_index(q)
        return Decision(int(sc.plans[i, 0]), f"plan {sc.plans[i].tolist()} at {pred:.0f}kbps")
