"""Audio out: PCM conversion, and the fallback to the system clock without a device."""

from __future__ import annotations

import numpy as np

from apps.desktop.app_state import ClockSource
from apps.desktop.audio import AudioOutput, to_int16_interleaved


def test_planar_float_becomes_interleaved_int16_clipped():
    planar = np.array([[0.0, 0.5, 2.0], [-1.0, -0.25, -3.0]], dtype=np.float32)
    out = np.frombuffer(to_int16_interleaved(planar), "<i2")
    assert out.tolist() == [0, -32767, 16383, -8191, 32767, -32767]


def test_mono_int16_passes_through():
    mono = np.array([1, -2, 3], dtype=np.int16)
    assert np.frombuffer(to_int16_interleaved(mono), "<i2").tolist() == [1, -2, 3]


def test_without_a_device_the_system_clock_is_used_and_said(qtbot):
    out = AudioOutput(enabled=False)
    assert not out.available and out.clock == ClockSource.SYSTEM
    assert out.note == "audio disabled" and out.position() is None
    out.set_volume(0.4)
    out.set_muted(True)
    out.flush()  # no device: nothing to do, nothing raised
    assert out.volume == 0.4 and out.muted
