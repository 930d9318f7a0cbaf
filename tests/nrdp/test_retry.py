from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.channels.retry import Backoff, should_retry
from nrdp.config import RetryPolicy
from nrdp.errors import (
    CircuitOpen,
    ConfigError,
    HttpStatusError,
    InvalidArgument,
    StallTimeout,
)

POLICY = RetryPolicy(max_attempts=5, base_delay=0.5, factor=2.0, max_delay=3.0, fuzz=0.0)


def test_nominal_delays_grow_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(POLICY)
    assert [backoff.nominal(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert list(backoff.delays()) == [0.5, 1.0, 2.0, 3.0]  # max_attempts - 1 retries


def test_huge_retry_numbers_do_not_overflow() -> None:
    backoff = Backoff(RetryPolicy(base_delay=1.0, factor=10.0, max_delay=60.0))
    assert backoff.nominal(10_000) == 60.0


def test_zero_base_delay_retries_immediately() -> None:
    backoff = Backoff(RetryPolicy(base_delay=0.0, max_delay=0.0, fuzz=0.5))
    assert backoff.delay(3) == 0.0


def test_retry_numbers_start_at_one() -> None:
    with pytest.raises(InvalidArgument):
        Backoff(POLICY).nominal(0)
    with pytest.raises(InvalidArgument):
        should_retry(StallTimeout(url="u", timeout_s=1), 0, POLICY)


def test_seeded_fuzz_is_deterministic_and_actually_varies() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, fuzz=0.5, max_delay=100.0)
    a = list(Backoff(policy, random.Random(7)).delays())
    b = list(Backoff(policy, random.Random(7)).delays())
    c = list(Backoff(policy, random.Random(8)).delays())
    assert a == b
    assert a != c
    assert any(d != Backoff(policy).nominal(i + 1) for i, d in enumerate(a))


@settings(max_examples=200, deadline=None)
@given(
    base=st.floats(min_value=0, max_value=5),
    factor=st.floats(min_value=1, max_value=4),
    extra=st.floats(min_value=0, max_value=60),
    fuzz=st.floats(min_value=0, max_value=1),
    retry=st.integers(min_value=1, max_value=200),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_fuzzed_delay_stays_within_bounds(
    base: float, factor: float, extra: float, fuzz: float, retry: int, seed: int
) -> None:
    policy = RetryPolicy(
        max_attempts=3, base_delay=base, factor=factor, max_delay=base + extra, fuzz=fuzz
    )
    backoff = Backoff(policy, random.Random(seed))
    nominal = backoff.nominal(retry)
    assert base <= nominal <= policy.max_delay or nominal == policy.max_delay
    delay = backoff.delay(retry)
    assert nominal * (1 - fuzz) - 1e-9 <= delay <= nominal * (1 + fuzz) + 1e-9
    assert delay >= 0
    if retry > 1:
        assert backoff.nominal(retry) >= backoff.nominal(retry - 1)


def test_should_retry_follows_retriable_flag_and_attempt_budget() -> None:
    stall = StallTimeout(url="http://h", timeout_s=2.0)
    assert should_retry(stall, 1, POLICY)
    assert should_retry(stall, 4, POLICY)
    assert not should_retry(stall, 5, POLICY)  # the 5th attempt was the last
    assert should_retry(HttpStatusError(status=503, url="u"), 1, POLICY)
    assert not should_retry(HttpStatusError(status=404, url="u"), 1, POLICY)
    assert not should_retry(CircuitOpen(channel="p", retry_after_s=1.0), 1, POLICY)
    assert not should_retry(ConfigError("x", field="f"), 1, POLICY)
    assert not should_retry(OSError("foreign, unmapped"), 1, POLICY)


def test_next_delay_combines_decision_and_timing() -> None:
    backoff = Backoff(POLICY)
    assert backoff.next_delay(StallTimeout(url="h", timeout_s=1.0), 2) == 1.0
    assert backoff.next_delay(HttpStatusError(status=404, url="h"), 1) is None
    assert backoff.next_delay(StallTimeout(url="h", timeout_s=1.0), 5) is None
    assert backoff.policy is POLICY
