from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.channels.breaker import TRANSITIONS, BreakerState, CircuitBreaker
from nrdp.config import BreakerConfig
from nrdp.errors import CircuitOpen

CFG = BreakerConfig(
    failure_threshold=3, open_duration=10.0, half_open_probes=2, success_threshold=2
)


def test_trips_after_consecutive_failures_and_fails_fast() -> None:
    b = CircuitBreaker(CFG, name="discovery")
    for t in (0.0, 1.0):
        assert b.allow(t)
        assert b.record_failure(t) is BreakerState.CLOSED
    assert b.record_success(1.5) is BreakerState.CLOSED  # a success resets the count
    assert b.consecutive_failures == 0
    for t in (2.0, 3.0, 4.0):
        b.record_failure(t)
    assert b.state is BreakerState.OPEN
    assert not b.allow(5.0)
    assert b.retry_after(5.0) == pytest.approx(9.0)
    with pytest.raises(CircuitOpen) as info:
        b.check(13.9)
    assert info.value.channel == "discovery"
    assert info.value.retry_after_s == pytest.approx(0.1)


def test_half_open_admits_limited_probes_then_closes_on_enough_successes() -> None:
    b = CircuitBreaker(CFG)
    for t in (0.0, 0.1, 0.2):
        b.record_failure(t)
    assert b.allow(10.2)  # cooled down: first probe
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow(10.3)  # second probe
    assert not b.allow(10.4)  # no third
    assert b.record_success(10.5) is BreakerState.HALF_OPEN
    assert b.record_success(10.6) is BreakerState.CLOSED
    assert b.allow(10.7)
    assert [t.new for t in b.transitions] == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_a_failed_probe_reopens_for_a_full_period() -> None:
    b = CircuitBreaker(CFG)
    for t in (0.0, 0.1, 0.2):
        b.record_failure(t)
    assert b.allow(11.0)
    assert b.record_failure(11.5) is BreakerState.OPEN
    assert not b.allow(21.0)
    assert b.allow(21.5)


def test_results_while_open_are_ignored_and_cancel_frees_a_probe() -> None:
    b = CircuitBreaker(BreakerConfig(failure_threshold=1, open_duration=1.0))
    b.record_failure(0.0)
    assert b.record_success(0.5) is BreakerState.OPEN  # late result of an older request
    assert b.record_failure(0.6) is BreakerState.OPEN
    assert b.allow(1.0)
    assert not b.allow(1.1)
    b.record_cancelled()
    assert b.allow(1.2)
    assert "half-open" in repr(b)


@settings(max_examples=200, deadline=None)
@given(
    threshold=st.integers(1, 4),
    probes=st.integers(1, 3),
    successes=st.integers(1, 3),
    ops=st.lists(
        st.tuples(st.sampled_from(["allow", "ok", "fail", "cancel"]), st.floats(0, 8)),
        max_size=60,
    ),
)
def test_breaker_invariants_hold_for_any_sequence(
    threshold: int, probes: int, successes: int, ops: list[tuple[str, float]]
) -> None:
    cfg = BreakerConfig(
        failure_threshold=threshold,
        open_duration=5.0,
        half_open_probes=probes,
        success_threshold=min(successes, probes),
    )
    b = CircuitBreaker(cfg)
    now = 0.0
    opened_at = None
    for op, dt in ops:
        now += dt
        before = b.state
        if op == "allow":
            allowed = b.allow(now)
            if before is BreakerState.OPEN and opened_at is not None and now < opened_at + 5.0:
                assert not allowed
            if before is BreakerState.CLOSED:
                assert allowed
        elif op == "ok":
            b.record_success(now)
        elif op == "fail":
            b.record_failure(now)
        else:
            b.record_cancelled()
        if b.state is BreakerState.OPEN and before is not BreakerState.OPEN:
            opened_at = now
        # invariants
        if b.state is BreakerState.CLOSED:
            assert b.consecutive_failures < threshold
        if b.state is BreakerState.HALF_OPEN:
            assert 0 <= b.probes_in_flight <= probes
        assert b.retry_after(now) >= 0
    for tr in b.transitions:
        assert TRANSITIONS[tr.old][tr.event] is tr.new
    times = [tr.at for tr in b.transitions]
    assert times == sorted(times)
