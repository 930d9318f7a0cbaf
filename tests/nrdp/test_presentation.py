"""The presentation clock runs only while started, on the injected clock."""

from __future__ import annotations

from nrdp.scheduler.presentation import PresentationClock
from nrdp.testing import FakeClock


def test_runs_only_while_started_and_seeks():
    clock = FakeClock()
    pc = PresentationClock(clock, 1.0)
    clock.advance(5)
    assert pc.position() == 1.0 and not pc.running
    pc.start()
    clock.advance(2)
    assert pc.position() == 3.0
    pc.stop()
    clock.advance(10)
    assert pc.position() == 3.0
    pc.set(7.5)
    pc.start()
    clock.advance(0.5)
    assert pc.position() == 8.0
    pc.set(1.0)  # a seek while running restarts from the new position now
    clock.advance(1.0)
    assert pc.position() == 2.0
