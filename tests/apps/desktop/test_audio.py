"""Audio out: PCM conversion, and the fallback to the system clock without a device."""

from __future__ import annotations

import numpy as np
import pytest

import nrdp
from apps.desktop.app_state import ClockSource, OverlayStats
from apps.desktop.audio import AudioOutput, to_int16_interleaved
from apps.desktop.main_window import MainWindow
from apps.desktop.session import Session


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


# -- the master clock ----------------------------------------------------------------------


class SteppedAudio(AudioOutput):
    """An output whose device clock the test sets (no sound card here): the window's
    audio-master path runs for real against it."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.note = "test device"
        self.now: float | None = None
        self.paused: list[bool] = []

    @property
    def available(self) -> bool:
        return True

    def position(self) -> float | None:
        return self.now

    def set_paused(self, paused: bool) -> None:
        self.paused.append(paused)


def window_with(qtbot, audio: AudioOutput) -> MainWindow:
    session = Session("http://127.0.0.1:9", runtime=None)
    window = MainWindow(session, audio=audio)
    qtbot.addWidget(window)
    return window


def test_on_this_machine_without_a_device_video_runs_on_the_system_clock(qtbot):
    mm = pytest.importorskip("PySide6.QtMultimedia", exc_type=ImportError)
    device = mm.QMediaDevices.defaultAudioOutput()
    window = window_with(qtbot, AudioOutput())
    try:
        if not device.isNull():
            pytest.skip("this machine has an audio device")
        assert not window.audio_master and window.session.master_clock is None
        assert window.audio.clock == ClockSource.SYSTEM
        assert window._clock_note() == "no audio device"
        stats = OverlayStats(clock=window.audio.clock, clock_note=window._clock_note())
        assert "sync        system clock (no audio device)" in stats.lines()
    finally:
        window.session.close()


def test_audio_master_hands_the_device_clock_to_the_sdk(qtbot, decoded_frames):
    audio = SteppedAudio()
    window = window_with(qtbot, audio)
    clock = window.bridge.device_clock
    try:
        assert window.audio_master and audio.clock == ClockSource.AUDIO
        assert window.session.master_clock is clock  # installed on the player at play()
        assert clock() is None
        audio.now = 0.25
        window.controller._publish_clock()  # the UI timer: the SDK reads what it stored
        assert clock() == 0.25
        # the SDK paces video on that clock: frames show as the SDK hands them over
        for f in decoded_frames[:3]:
            window.bridge.on_video(f)
        assert window.video.frame is decoded_frames[2] and window.display_dropped == 0
        assert "A/V drift -50 ms" in window._clock_note()  # shown 0.2 s, heard 0.25 s
        window.controller._on_state("paused")
        window.controller._on_state("playing")
        assert audio.paused == [True, False]
        window.bridge.on_flush(0.0)  # a seek: the old audio's position is gone at once
        assert clock() is None
        audio.now = 0.1  # the device plays the new epoch's audio: published again
        window.controller._publish_clock()
        assert clock() == 0.1
        audio.now = None  # no audio (a video-only title): the SDK's own clock paces video
        window.controller._publish_clock()
        assert clock() is None
        window.bridge.on_video(decoded_frames[8])
        assert window.video.frame is decoded_frames[8]
    finally:
        window.session.close()


def test_a_device_that_fails_to_open_falls_back_to_the_system_clock(qtbot, decoded_frames):
    mm = pytest.importorskip("PySide6.QtMultimedia", exc_type=ImportError)
    QAudioDevice = mm.QAudioDevice

    out = AudioOutput(device=QAudioDevice())  # a real QAudioSink on a device that is gone
    window = window_with(qtbot, out)
    try:
        assert out.available and window.audio_master and out.clock == ClockSource.AUDIO
        pcm = np.zeros((2, 1024), np.float32)
        pcm.setflags(write=False)
        out.play(nrdp.AudioFrame(0.0, 1024 / 48_000, 48_000, 1024, 2, 1, "d", pcm))
        assert out.failure == "OpenError" and out.position() is None
        assert out.clock == ClockSource.SYSTEM
        note = window._clock_note()
        assert note == "audio device failed: OpenError"
        stats = OverlayStats(clock=out.clock, clock_note=note)
        assert "sync        system clock (audio device failed: OpenError)" in stats.lines()
        for f in decoded_frames[:3]:  # no audio clock: frames show as the SDK gives them
            window.bridge.on_video(f)
        assert window.video.frame is decoded_frames[2] and window.display_dropped == 0
        out.set_paused(True)
        out.flush()
        assert out.position() is None
    finally:
        window.session.close()


# -- audio handed over ahead (the SDK's AUDIO_LEAD_S) ---------------------------------------


class SmallDevice:
    """A push-mode device with a small buffer: takes only what fits (a real ``QAudioSink``
    drops the rest), plays when the test says."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffered = bytearray()
        self.played = bytearray()

    def bytesFree(self) -> int:  # Qt's names
        return self.size - len(self.buffered)

    def bufferSize(self) -> int:
        return self.size

    def write(self, data: bytes) -> int:
        n = min(len(data), self.bytesFree())
        self.buffered += data[:n]
        return n

    def processedUSecs(self) -> int:  # what it was given, as Qt counts it
        return (len(self.played) + len(self.buffered)) * 1_000_000 // (48_000 * 4)

    def state(self) -> str:
        return "active"

    def stop(self) -> None:
        self.buffered.clear()

    def deleteLater(self) -> None:
        pass

    def play(self, nbytes: int) -> None:
        self.played += self.buffered[:nbytes]
        del self.buffered[:nbytes]


class SmallDeviceAudio(AudioOutput):
    """The real output's queueing and clock against :class:`SmallDevice`."""

    def __init__(self, device: SmallDevice) -> None:
        super().__init__(enabled=False)
        self.fake = device
        self._device = device
        self._mm = type("mm", (), {"QAudio": type("QAudio", (), {"State": type("S", (), {})})})
        self._mm.QAudio.State.IdleState = "idle"

    def _open(self, rate: int, channels: int) -> None:
        self._sink = self._io = self.fake
        self._format = (rate, channels)


def test_audio_queued_ahead_plays_in_order_and_leaves_the_device_clock_alone():
    frame_bytes = 1024 * 4  # 1024 stereo int16 samples
    device = SmallDevice(size=3 * frame_bytes + 6)  # room for 3 frames (and half a sample)
    out = SmallDeviceAudio(device)
    frames = []
    for i in range(10):  # ~213 ms handed over at once: more than the device holds
        pcm = np.full((2, 1024), (i + 1) / 20, np.float32)
        pcm.setflags(write=False)
        frames.append(
            nrdp.AudioFrame(5.0 + i * 1024 / 48_000, 1024 / 48_000, 48_000, 1024, 2, 1, "d", pcm)
        )
        out.play(frames[-1])
    assert len(device.buffered) == 3 * frame_bytes + 4  # whole samples only, nothing lost
    assert out.position() == 5.0  # queued ahead, not played: the master clock has not moved
    while device.buffered:
        device.play(frame_bytes)
        played_s = len(device.played) / (48_000 * 4)
        assert out.position() == pytest.approx(5.0 + played_s, abs=1e-5)
    expected = b"".join(to_int16_interleaved(f.pcm) for f in frames if f.pcm is not None)
    assert bytes(device.played) == expected  # every sample once, in order
    out.play(frames[0])
    out.flush()  # a seek drops what was queued ahead too
    assert not out._pending
