"""Frame values: immutable, digest given or computed once from the luma plane."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from nrdp.media.sinks import HashSink, NullSink, Sink, VideoFrame, luma_digest


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
