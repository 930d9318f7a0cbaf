"""Quality of experience of a session: Pensieve's QoE_lin, QoE_log, QoE_hd and plain metrics.

QoE per chunk = (Σ q(R_n) − μ·T_stall − Σ |q(R_n) − q(R_{n−1})|) / N, startup delay excluded
(reported apart), as in ``shared/abr/ANCHORS.md``:

- lin: q(R) = R in Mbit/s, μ = 4.3
- log: q(R) = ln(R / R_min), μ = 2.66
- hd:  q from Pensieve's HD table (300→1, 750→2, 1200→3, 1850→12, 2850→15, 4300→20), μ = 8
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from abr.sim.simulator import SessionLog

__all__ = ["SessionMetrics", "metrics", "qoe", "qoe_hd", "qoe_lin", "qoe_log"]

_HD_TABLE = (
    (300.0, 1.0),
    (750.0, 2.0),
    (1200.0, 3.0),
    (1850.0, 12.0),
    (2850.0, 15.0),
    (4300.0, 20.0),
)


def _hd(kbps: float) -> float:
    pts = _HD_TABLE
    if kbps <= pts[0][0]:
        return pts[0][1] * kbps / pts[0][0]
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if kbps <= x1:
            return y0 + (y1 - y0) * (kbps - x0) / (x1 - x0)
    return pts[-1][1] * kbps / pts[-1][0]


def qoe(
    rates_kbps: Sequence[float], stall_s: float, q: Callable[[float], float], mu: float
) -> float:
    """Generic per-chunk QoE over a sequence of chosen bitrates and the total stall time."""
    if not rates_kbps:
        return 0.0
    values = [q(r) for r in rates_kbps]
    smooth = sum(abs(values[k] - values[k - 1]) for k in range(1, len(values)))
    return (sum(values) - mu * stall_s - smooth) / len(values)


def qoe_lin(log: SessionLog) -> float:
    """QoE_lin (Pensieve): quality in Mbps, rebuffering weighted 4.3."""
    return qoe([c.bitrate_kbps for c in log.chunks], log.rebuffer_s, lambda r: r / 1000.0, 4.3)


def qoe_log(log: SessionLog) -> float:
    """QoE_log (Pensieve): log of bitrate over the lowest, rebuffering weighted 2.66."""
    base = log.bitrates_kbps[0]
    return qoe(
        [c.bitrate_kbps for c in log.chunks], log.rebuffer_s, lambda r: math.log(r / base), 2.66
    )


def qoe_hd(log: SessionLog) -> float:
    """QoE_hd (Pensieve): a score per bitrate favouring HD, rebuffering weighted 8."""
    return qoe([c.bitrate_kbps for c in log.chunks], log.rebuffer_s, _hd, 8.0)


@dataclass(frozen=True, slots=True)
class SessionMetrics:
    """Summary of one session; ``rebuffer_ratio`` = stall / (stall + play), startup apart."""

    qoe_lin: float
    qoe_log: float
    qoe_hd: float
    bitrate_kbps: float
    rebuffer_s: float
    rebuffer_ratio: float
    switches: int
    startup_s: float


def metrics(log: SessionLog) -> SessionMetrics:
    """The three QoE scores, mean bitrate, rebuffering and switches of one session."""
    rates = [c.bitrate_kbps for c in log.chunks]
    switches = sum(1 for k in range(1, len(rates)) if rates[k] != rates[k - 1])
    denom = log.play_s + log.rebuffer_s
    return SessionMetrics(
        qoe_lin=qoe_lin(log),
        qoe_log=qoe_log(log),
        qoe_hd=qoe_hd(log),
        bitrate_kbps=sum(rates) / len(rates) if rates else 0.0,
        rebuffer_s=log.rebuffer_s,
        rebuffer_ratio=log.rebuffer_s / denom if denom > 0 else 0.0,
        switches=switches,
        startup_s=log.startup_s,
    )
