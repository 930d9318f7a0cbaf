"""A/V sync with audio as the master clock: the device's clock, handed to the SDK.

Pure (no Qt, no clocks): times are arguments. The audio device's clock is the media time of
the sample being heard now: the first sample's time, plus what the sink has processed,
minus what still waits in its buffer (``played_position``, so the device's buffer latency is
in it). The SDK paces video against it (``nrdp.Player.set_master_clock``): a frame reaches
the bridge when the device plays its time, late ones are dropped in the SDK (before any
RGB conversion, counted in its ``dropped_frames``), and if the device has no position or
stalls the SDK's own clock takes over without a jump.

The device (a ``QAudioSink``) lives on the UI thread and the SDK reads its clock on the loop
thread, often: :class:`DeviceClock` is the hand-over. The UI thread publishes the device's
position on a fast timer; the SDK's master clock callable (``DeviceClock.__call__``) only
reads the last published value under a lock (thread-safe and cheap, as the SDK asks).
"""

from __future__ import annotations

import threading

__all__ = ["DeviceClock", "played_position"]


def played_position(
    first_pts: float, processed_us: int, buffered_bytes: int, bytes_per_second: int
) -> float:
    """Media time (s) of the sample playing now: start + processed - still buffered."""
    if bytes_per_second <= 0:
        raise ValueError("bytes_per_second must be positive")
    buffered_s = max(0, buffered_bytes) / bytes_per_second
    return first_pts + max(0.0, processed_us / 1e6 - buffered_s)


class DeviceClock:
    """The audio device's position as the SDK's master clock, across threads.

    ``publish`` (UI thread) stores the device's position, ``None`` when it has none.
    ``hold`` (the loop thread, in the sink's ``on_flush``: a seek) makes the clock ``None``
    and ignores what is published until ``release`` (UI thread, once the device dropped the
    audio of before the seek), so the SDK never paces the new epoch on the old audio."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: float | None = None
        self._held = False
        self.published = 0

    def publish(self, position: float | None) -> None:
        with self._lock:
            self.published += 1
            if not self._held:
                self._value = position

    def hold(self) -> None:
        with self._lock:
            self._held = True
            self._value = None

    def release(self) -> None:
        with self._lock:
            self._held = False

    def __call__(self) -> float | None:
        """The master clock (loop thread): the last published position, or ``None``."""
        with self._lock:
            return self._value
