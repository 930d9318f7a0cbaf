"""Chroma planes: ``VideoFrame.u``/``v`` (4:2:0) only when asked for, equal to the
demuxer's planes, read-only and unpadded; other layouts are converted to 4:2:0."""

from __future__ import annotations

import io

import av
import numpy as np

from nrdp.media.decoder import _video, decode_segment


def _demuxer_planes(init: bytes, segment: bytes) -> list[tuple[np.ndarray, ...]]:
    """(Y, U, V) of every frame as PyAV's own demuxer decodes ``init + segment``."""
    out = []
    with av.open(io.BytesIO(init + segment), mode="r", format="mp4") as c:
        for f in c.decode(video=0):
            assert f.format.name == "yuv420p"
            planes = []
            for i, p in enumerate(f.planes[:3]):
                h, w = (f.height, f.width) if i == 0 else (p.height, p.width)
                rows = np.frombuffer(memoryview(p), np.uint8).reshape(h, p.line_size)
                planes.append(rows[:, :w].copy())
            out.append(tuple(planes))
    return out


def test_chroma_only_when_asked_and_equal_to_the_demuxers(encoded_title) -> None:  # type: ignore[no-untyped-def]
    r = encoded_title.video[0]
    init, seg = r.init, r.segments[0]
    plain = decode_segment(init, seg, kind="video", number=1)
    assert plain.video and all(f.u is None and f.v is None for f in plain.video)
    both = decode_segment(init, seg, kind="video", number=1, chroma=True)
    want = _demuxer_planes(init, seg)
    assert len(both.video) == len(want) == len(plain.video)
    for frame, (y, u, v) in zip(both.video, want, strict=True):
        assert frame.u is not None and frame.v is not None and frame.rgb is None
        assert frame.u.shape == frame.v.shape == ((frame.height + 1) // 2, (frame.width + 1) // 2)
        assert frame.u.dtype == np.uint8 and frame.u.flags.c_contiguous
        assert not frame.u.flags.writeable and not frame.v.flags.writeable
        assert np.array_equal(frame.luma, y)
        assert np.array_equal(frame.u, u) and np.array_equal(frame.v, v)
    # the picture has colour: U and V are not flat grey
    assert max(float(np.std(f.u)) + float(np.std(f.v)) for f in both.video) > 2


def test_other_layouts_are_converted_to_420() -> None:
    rgb = np.zeros((6, 10, 3), np.uint8)
    rgb[:, :5] = (255, 0, 0)  # red left half, blue right half
    rgb[:, 5:] = (0, 0, 255)
    src = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv444p")
    frame = _video(src, "r", 1, False, False, 0.0, 0.1, chroma=True)
    assert frame.u is not None and frame.v is not None
    assert frame.u.shape == frame.v.shape == (3, 5)
    assert frame.luma.shape == (6, 10)
    assert frame.v[:, 0].mean() > 200 and frame.u[:, -1].mean() > 200  # red: V high; blue: U high
    assert _video(src, "r", 1, False, False, 0.0, 0.1).u is None
