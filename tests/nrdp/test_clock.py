from __future__ import annotations

import math

import pytest

from nrdp.clock import Clock, MonotonicClock
from nrdp.errors import InvalidArgument


def test_monotonic_clock_is_a_clock_and_never_goes_back() -> None:
    clock = MonotonicClock()
    assert isinstance(clock, Clock)
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
    assert repr(clock) == "MonotonicClock()"


def test_fake_clock_satisfies_the_protocol() -> None:
    from nrdp.testing import FakeClock

    assert isinstance(FakeClock(), Clock)


def test_a_plain_object_without_now_is_not_a_clock() -> None:
    assert not isinstance(object(), Clock)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_fake_clock_refuses_non_finite_start(bad: float) -> None:
    from nrdp.testing import FakeClock

    with pytest.raises(InvalidArgument):
        FakeClock(bad)
