"""Audio out through Qt Multimedia, when the machine has an output device.

Qt Multimedia (PySide6-Addons) is optional: without the module or without a device the app
plays video only and the overlay says "system clock (no audio device)". With a device, the
SDK's PCM (planar float from the AAC decoder) is interleaved to 16-bit and pushed into a
``QAudioSink``; its played-out time is compared with the video position and shown as A/V
drift. The SDK presents frames on its own session clock and has no public seam to slave it
to the audio clock, so the audio device does not (yet) drive video timing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject

import nrdp
from apps.desktop.app_state import ClockSource

__all__ = ["AudioOutput", "to_int16_interleaved"]


def to_int16_interleaved(pcm: np.ndarray[Any, Any]) -> bytes:
    """Planar (channels, samples) float or int16 PCM -> interleaved little-endian int16."""
    arr = np.asarray(pcm)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.dtype.kind == "f":
        arr = np.clip(arr, -1.0, 1.0) * 32767.0
    return np.ascontiguousarray(arr.T).astype("<i2").tobytes()


class AudioOutput(QObject):
    """Plays :class:`nrdp.AudioFrame` PCM on the default device, if there is one."""

    def __init__(self, parent: QObject | None = None, *, enabled: bool = True) -> None:
        super().__init__(parent)
        self._mm: Any = None
        self._device: Any = None
        self._sink: Any = None
        self._io: Any = None
        self._format: tuple[int, int] | None = None
        self._first_pts: float | None = None
        self.volume = 1.0
        self.muted = False
        self.note = "no audio device"
        if not enabled:
            self.note = "audio disabled"
            return
        try:
            from PySide6 import QtMultimedia
        except ImportError:
            self.note = "no Qt Multimedia"
            return
        device = QtMultimedia.QMediaDevices.defaultAudioOutput()
        if device.isNull():
            return
        self._mm = QtMultimedia
        self._device = device
        self.note = device.description()

    @property
    def available(self) -> bool:
        return self._device is not None

    @property
    def clock(self) -> str:
        return ClockSource.AUDIO if self.available else ClockSource.SYSTEM

    def _open(self, rate: int, channels: int) -> None:
        mm = self._mm
        fmt = mm.QAudioFormat()
        fmt.setSampleRate(rate)
        fmt.setChannelCount(channels)
        fmt.setSampleFormat(mm.QAudioFormat.SampleFormat.Int16)
        self._sink = mm.QAudioSink(self._device, fmt, self)
        self._sink.setVolume(0.0 if self.muted else self.volume)
        self._io = self._sink.start()
        self._format = (rate, channels)

    def play(self, frame: nrdp.AudioFrame) -> None:
        """Slot: queue ``frame``'s samples for output."""
        if not self.available or frame.pcm is None:
            return
        if self._format != (frame.sample_rate, frame.channels):
            self.flush()
            self._open(frame.sample_rate, frame.channels)
        if self._first_pts is None:
            self._first_pts = frame.pts
        if self._io is not None:
            self._io.write(to_int16_interleaved(frame.pcm))

    def position(self) -> float | None:
        """Media time the device has played out, or ``None``."""
        if self._sink is None or self._first_pts is None:
            return None
        return self._first_pts + self._sink.processedUSecs() / 1e6

    def set_volume(self, volume: float) -> None:
        self.volume = max(0.0, min(1.0, volume))
        if self._sink is not None and not self.muted:
            self._sink.setVolume(self.volume)

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if self._sink is not None:
            self._sink.setVolume(0.0 if muted else self.volume)

    def flush(self) -> None:
        """Drop queued audio (seek, stop)."""
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
        self._sink = self._io = self._format = self._first_pts = None
