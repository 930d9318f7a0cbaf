from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.errors import InvalidArgument
from nrdp.testing import FakeClock


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(10.0)
    assert clock.now() == 10.0
    assert clock.now() == 10.0
    assert clock.advance(2.5) == 12.5
    assert clock.now() == 12.5
    assert clock.advance_to(20.0) == 20.0
    assert clock.advance_to(5.0) == 20.0  # the past is a no-op
    assert "20.0" in repr(clock)


@pytest.mark.parametrize("bad", [-0.001, math.nan, math.inf])
def test_fake_clock_refuses_backwards_or_non_finite_steps(bad: float) -> None:
    clock = FakeClock()
    with pytest.raises(InvalidArgument):
        clock.advance(bad)
    assert clock.now() == 0.0


def test_advance_to_refuses_nan() -> None:
    with pytest.raises(InvalidArgument):
        FakeClock().advance_to(math.nan)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=30))
def test_fake_clock_is_the_sum_of_its_steps(steps: list[float]) -> None:
    clock = FakeClock()
    seen = [clock.now()]
    for step in steps:
        seen.append(clock.advance(step))
    assert seen == sorted(seen)
    assert clock.now() == pytest.approx(math.fsum(steps), rel=1e-9, abs=1e-6)
