"""A/V sync: the audio device's clock, and its hand-over to the SDK's loop thread."""

from __future__ import annotations

import threading

import pytest

from apps.desktop.av_sync import DeviceClock, played_position

BPS = 48_000 * 2 * 2  # 48 kHz stereo int16


def test_played_position_is_start_plus_processed_minus_buffered():
    # 1.5 s processed, 0.25 s of it still in the sink's buffer, stream started at 10 s
    assert played_position(10.0, 1_500_000, BPS // 4, BPS) == pytest.approx(11.25)
    assert played_position(0.0, 0, 0, BPS) == 0.0
    # more buffered than processed (just started): never before the first sample
    assert played_position(3.0, 10_000, BPS, BPS) == 3.0
    with pytest.raises(ValueError):
        played_position(0.0, 0, 0, 0)


def test_device_clock_gives_the_sdk_the_last_published_position():
    clock = DeviceClock()
    assert clock() is None  # nothing published: the SDK runs on its own clock
    clock.publish(1.5)
    assert clock() == 1.5 and clock() == 1.5  # reading changes nothing
    clock.publish(None)  # device idle (starved, audio ended)
    assert clock() is None
    clock.publish(1.6)
    assert clock() == 1.6 and clock.published == 3


def test_device_clock_is_held_from_a_seek_until_the_device_was_flushed():
    clock = DeviceClock()
    clock.publish(12.0)
    clock.hold()  # on_flush (loop thread): the device still plays the audio of before
    assert clock() is None
    clock.publish(12.004)  # a UI tick before the UI flushed the device: stale, ignored
    assert clock() is None
    clock.release()  # the UI flushed the device
    assert clock() is None
    clock.publish(3.0)  # the new epoch's audio
    assert clock() == 3.0


def test_device_clock_is_safe_across_threads():
    clock = DeviceClock()
    seen: list[float | None] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(clock())

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(2000):
            clock.publish(i / 1000)
    finally:
        stop.set()
        t.join()
    values = [v for v in seen if v is not None]
    assert values == sorted(values)  # a reader never sees a torn or older value
    assert clock() == 1.999
