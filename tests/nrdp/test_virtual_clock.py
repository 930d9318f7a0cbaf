"""The virtual clock: sleeps on virtual time, jumps only when every task waits and no
outside work marked busy (a worker thread) is outstanding; explicit stepping."""

from __future__ import annotations

import asyncio
import time

import pytest

from nrdp.clock import Clock, MonotonicClock, busy, wait_event
from nrdp.errors import InvalidArgument
from nrdp.testing import VirtualClock


async def test_sleepers_wake_in_deadline_order_without_waiting_on_the_wall_clock() -> None:
    clock = VirtualClock(10.0)
    woke: list[tuple[str, float]] = []

    async def nap(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    t0 = time.monotonic()
    await asyncio.gather(nap("long", 3600.0), nap("short", 5.0), nap("mid", 60.0))
    assert woke == [("short", 15.0), ("mid", 70.0), ("long", 3610.0)]
    assert time.monotonic() - t0 < 5.0  # an hour of virtual time, no hour of real time
    assert isinstance(clock, Clock)


async def test_time_does_not_jump_while_a_busy_thread_job_is_outstanding() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    async def decode() -> None:
        loop = asyncio.get_running_loop()
        with busy(clock):
            await loop.run_in_executor(None, time.sleep, 0.3)  # a slow decoder thread
        seen.append(clock.now())

    async def presenter() -> None:
        await clock.sleep(0.01)
        seen.append(clock.now())

    await asyncio.gather(decode(), presenter())
    assert seen == [0.0, 0.01]  # the 10 ms sleeper waited for the 300 ms thread job


async def test_a_busy_task_sleeping_on_the_clock_lets_time_move() -> None:
    clock = VirtualClock()
    with busy(clock):
        await clock.sleep(2.5)  # e.g. an emulated slow download inside a busy section
    assert clock.now() == 2.5


async def test_tiny_sleeps_still_move_time() -> None:
    clock = VirtualClock(1.0)
    for _ in range(3):
        await clock.sleep(1e-300)
    assert clock.now() > 1.0


async def test_stepped_clock_wakes_only_what_is_due() -> None:
    clock = VirtualClock(autojump=False)
    done = asyncio.Event()

    async def nap() -> None:
        await clock.sleep(1.0)
        done.set()

    task = asyncio.create_task(nap())
    await asyncio.sleep(0)
    clock.advance(0.5)
    await asyncio.sleep(0.05)  # real time passes; virtual time does not
    assert not done.is_set() and clock.pending == 1
    clock.advance(0.5)
    await asyncio.wait_for(done.wait(), 5)
    await task
    assert clock.now() == 1.0 and clock.pending == 0


async def test_wait_event_times_out_on_the_clock_and_returns_early_when_set() -> None:
    clock = VirtualClock()
    event = asyncio.Event()
    assert await wait_event(clock, event, 30.0) is False
    assert clock.now() == 30.0
    asyncio.get_running_loop().call_soon(event.set)
    assert await wait_event(clock, event, 30.0) is True
    assert clock.now() == 30.0


async def test_monotonic_clock_sleeps_for_real() -> None:
    clock = MonotonicClock()
    t0 = clock.now()
    await clock.sleep(0.02)
    assert clock.now() - t0 >= 0.015
    await clock.sleep(-1.0)  # negative: no wait, no error


async def test_virtual_sleep_rejects_non_finite() -> None:
    with pytest.raises(InvalidArgument):
        await VirtualClock().sleep(float("nan"))
