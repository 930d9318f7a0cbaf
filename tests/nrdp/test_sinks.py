"""Frame values: immutable, digest given or computed once from the luma plane."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from nrdp.media.sinks import (
    HashSink,
    NullSink,
    Sink,
    VideoFrame,
    apply_playback_rate,
    luma_digest,
    supports_playback_rate,
)
from nrdp.scheduler.presentation import PresentationClock
from nrdp.testing import VirtualClock


def _frame(luma: np.ndarray, digest: str | None = None) -> VideoFrame:
    return VideoFrame(0.5, 0.1, luma.shape[1], luma.shape[0], "v240", 3, luma, digest)


def test_digest_is_sha1_of_the_unpadded_luma_rows() -> None:
    padded = np.arange(4 * 8, dtype=np.uint8).reshape(4, 8)
    view = padded[:, :6]  # a decoder's row padding: not contiguous
    expected = hashlib.sha1(np.ascontiguousarray(view).tobytes()).hexdigest()[:24]
    assert luma_digest(view) == expected
    frame = _frame(view)
    assert frame.digest == expected and frame.digest is frame.digest  # cached
    assert _frame(view, "given").digest == "given"


def test_video_frame_is_frozen_and_keeps_its_constructor() -> None:
    frame = VideoFrame(
        pts=1.0, duration=0.1, width=2, height=2, rung="r", segment=1,
        luma=np.zeros((2, 2), np.uint8), digest="d", rgb=None,
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.pts = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del frame.luma
    assert (frame.pts, frame.rung, frame.rgb, frame.digest) == (1.0, "r", None, "d")
    assert "pts=1.0" in repr(frame) and "luma" not in repr(frame)


def test_hash_sink_asks_for_digests_and_null_sink_does_not() -> None:
    assert isinstance(HashSink(), Sink) and isinstance(NullSink(), Sink)
    assert HashSink.wants_digests is True
    assert getattr(NullSink(), "wants_digests", False) is False
    sink = HashSink()
    luma = np.full((2, 4), 7, np.uint8)
    sink.on_video(_frame(luma))
    assert sink.video_digests == [luma_digest(luma)]


class _DeviceClockedSink(NullSink):
    """A sink with a clock of its own (an audio device) that cannot change rate."""

    supports_playback_rate = False

    def set_playback_rate(self, rate: float) -> None:
        raise AssertionError("a sink without rate support is never told a rate")


def test_sdk_paced_sinks_take_a_playback_rate_others_are_left_alone() -> None:
    null, hashed, clocked = NullSink(), HashSink(), _DeviceClockedSink()
    assert supports_playback_rate(null) and supports_playback_rate(hashed)
    assert not supports_playback_rate(clocked) and not supports_playback_rate(object())
    for sink in (null, hashed, clocked, object()):
        apply_playback_rate(sink, 1.05)
    apply_playback_rate(hashed, 1.0)
    assert null.playback_rate == 1.05 and hashed.playback_rate == 1.0
    assert hashed.rates == [1.05, 1.0]


def test_presentation_clock_runs_at_its_rate_and_converts_waits() -> None:
    clock = VirtualClock()
    pclock = PresentationClock(clock, 10.0)
    pclock.start()
    clock.advance(2.0)
    pclock.set_rate(1.05)
    clock.advance(2.0)
    assert pclock.position() == pytest.approx(14.1)
    assert pclock.clock_seconds(0.105) == pytest.approx(0.1)  # a frame's wait at +5 %
