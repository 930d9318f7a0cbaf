"""Audio out through Qt Multimedia, and the master clock it provides when there is a device.

Qt Multimedia (PySide6-Addons) is optional: without the module or without an output device
(``QMediaDevices.defaultAudioOutput()`` is null: CI, offscreen, this machine) the app plays
video only, paced by the SDK's session clock, and the overlay says
``system clock (no audio device)``. With a device, the SDK's PCM (planar float from the AAC
decoder) is interleaved to 16-bit and pushed into a ``QAudioSink``; :meth:`position` (the
first sample's time plus ``processedUSecs`` minus what is still buffered, see
``av_sync.played_position``) is the master clock: ``main_window.py`` publishes it on a fast
UI timer into ``av_sync.DeviceClock``, which the SDK reads to pace video
(``nrdp.Player.set_master_clock``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject

import nrdp
from apps.desktop.app_state import ClockSource
from apps.desktop.av_sync import played_position

__all__ = ["AudioOutput", "to_int16_interleaved"]

BYTES_PER_SAMPLE = 2  # Int16


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

    def __init__(
        self, parent: QObject | None = None, *, enabled: bool = True, device: Any = None
    ) -> None:
        """``device``: a ``QAudioDevice`` to use as given (default: the system's default
        output, if there is one)."""
        super().__init__(parent)
        self._mm: Any = None
        self._device: Any = None
        self._sink: Any = None
        self._io: Any = None
        self._format: tuple[int, int] | None = None
        self._first_pts: float | None = None
        self._pending = bytearray()  # PCM in order, not yet taken by the device
        self._paused = False
        self.failure: str | None = None  # the device would not open: system clock instead
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
        if device is None:
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
        return ClockSource.AUDIO if self.available and not self.failure else ClockSource.SYSTEM

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
        error = self._sink.error()
        if self._io is None or error != mm.QAudio.Error.NoError:
            self.failure = getattr(error, "name", str(error))
            self.note = f"audio device failed: {self.failure}"
            return
        self.failure = None
        if self._paused:
            self._sink.suspend()

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
            self._pending += to_int16_interleaved(frame.pcm)
            self._drain()

    def _drain(self) -> None:
        """Write as much queued PCM as the device has room for, whole sample frames, and
        keep the rest in order for the next call: the SDK hands audio over up to 0.2 s ahead
        (``nrdp.scheduler.presenter.AUDIO_LEAD_S``), which may exceed a device's buffer, and
        a push-mode ``QAudioSink`` drops what does not fit."""
        if self._io is None or self._sink is None or self._format is None or not self._pending:
            return
        frame_bytes = self._format[1] * BYTES_PER_SAMPLE
        room = min(len(self._pending), int(self._sink.bytesFree()))
        room -= room % frame_bytes
        if room <= 0:
            return
        written = int(self._io.write(bytes(self._pending[:room])))
        if written > 0:
            del self._pending[:written]

    def position(self) -> float | None:
        """Media time of the sample the device plays now (the master clock), or ``None``
        (no audio yet, the device failed, or it ran out of audio: starved or the audio
        ended; video then runs on the SDK's own clock, which takes over at once). Read on a
        fast UI timer, it also tops the device up with audio queued ahead."""
        self._drain()
        if self._sink is None or self._first_pts is None or self._format is None:
            return None
        if self.failure is not None:
            return None
        if self._sink.state() == self._mm.QAudio.State.IdleState:
            return None
        rate, channels = self._format
        buffered = self._sink.bufferSize() - self._sink.bytesFree()
        return played_position(
            self._first_pts,
            int(self._sink.processedUSecs()),
            int(buffered),
            rate * channels * BYTES_PER_SAMPLE,
        )

    def set_paused(self, paused: bool) -> None:
        """Slot: hold the device (pause) so the master clock stops with the player."""
        self._paused = paused
        if self._sink is not None:
            if paused:
                self._sink.suspend()
            else:
                self._sink.resume()

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
        self._pending.clear()
