"""Latency control: rate nudges within ±5%, a jump after a stall, hysteresis, summary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrdp.errors import InvalidArgument
from nrdp.live import LatencyConfig, control_latency, latency_summary

CFG = LatencyConfig(target_s=6.0, margin_s=1.0)


def test_on_target_plays_at_normal_rate() -> None:
    a = control_latency(6.8, 100.0, CFG)
    assert a.rate == 1.0 and a.jump_to is None and a.reason == "on_target"


def test_behind_catches_up_proportionally_and_capped() -> None:
    a = control_latency(8.0, 100.0, CFG)  # 2 s late: 1 + 2 * 0.02
    assert a.rate == pytest.approx(1.04) and a.reason == "catch_up"
    assert control_latency(30.0, 100.0, CFG).rate == pytest.approx(1.05)


def test_too_close_slows_down() -> None:
    a = control_latency(3.0, 100.0, CFG)
    assert a.rate == pytest.approx(0.95) and a.reason == "slow_down"


def test_hysteresis_keeps_nudging_until_half_the_margin() -> None:
    assert control_latency(6.8, 100.0, CFG, current_rate=1.04).rate > 1.0
    assert control_latency(6.4, 100.0, CFG, current_rate=1.04).rate == 1.0


def test_after_a_stall_jumps_to_the_target() -> None:
    a = control_latency(15.0, 200.0, CFG, after_stall=True)
    assert a.jump_to == 194.0 and a.rate == 1.0 and a.reason == "jump_after_stall"
    assert control_latency(6.5, 200.0, CFG, after_stall=True).jump_to is None


def test_sink_without_rate_control_does_not_nudge() -> None:
    a = control_latency(12.0, 100.0, CFG, rate_supported=False)
    assert a.rate == 1.0 and a.jump_to is None and a.reason == "rate_unsupported"


def test_bad_config_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        LatencyConfig(target_s=-1.0)
    with pytest.raises(InvalidArgument):
        LatencyConfig(target_s=3.0, max_rate_delta=1.5)


@given(
    latency=st.floats(min_value=-50, max_value=500),
    rate=st.sampled_from([1.0, 1.03, 0.97]),
    stall=st.booleans(),
)
def test_rate_never_leaves_five_percent(latency: float, rate: float, stall: bool) -> None:
    a = control_latency(latency, 1000.0, CFG, current_rate=rate, after_stall=stall)
    assert 0.95 - 1e-12 <= a.rate <= 1.05 + 1e-12
    assert (a.jump_to is not None) == (stall and latency - 6.0 > 1.0)


def test_summary_median_and_p95() -> None:
    assert latency_summary([]) == {"median": None, "p95": None}
    s = latency_summary([float(x) for x in range(1, 101)])
    assert s == {"median": 50.5, "p95": 95.0}
