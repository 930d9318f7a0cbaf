"""QoE_lin/log/hd and session metrics, computed by hand on a small log."""

from __future__ import annotations

import math

import pytest

from abr.sim.qoe import metrics, qoe_hd, qoe_lin, qoe_log
from abr.sim.simulator import ChunkRecord, SessionLog


def log_of(rates: list[float], stall: float, startup: float = 1.0) -> SessionLog:
    chunks = tuple(
        ChunkRecord(i, 0, r, 1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "") for i, r in enumerate(rates)
    )
    play = 4.0 * len(rates)
    return SessionLog(
        "a",
        "t",
        chunks,
        startup,
        stall,
        play,
        startup + stall + play,
        4.0,
        (300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0),
    )


def test_qoe_lin_by_hand() -> None:
    log = log_of([750, 1200, 1200, 300], stall=2.0)
    expected = ((0.75 + 1.2 + 1.2 + 0.3) - 4.3 * 2.0 - (0.45 + 0 + 0.9)) / 4
    assert qoe_lin(log) == pytest.approx(expected)


def test_qoe_log_and_hd() -> None:
    log = log_of([300, 1200], stall=1.0)
    q = [0.0, math.log(4)]
    assert qoe_log(log) == pytest.approx((sum(q) - 2.66 - q[1]) / 2)
    assert qoe_hd(log) == pytest.approx((1 + 3 - 8 - 2) / 2)


def test_metrics() -> None:
    m = metrics(log_of([750, 1200, 1200, 300], stall=2.0, startup=0.5))
    assert m.switches == 2
    assert m.bitrate_kbps == pytest.approx(862.5)
    assert m.rebuffer_ratio == pytest.approx(2.0 / 18.0)
    assert m.startup_s == 0.5
