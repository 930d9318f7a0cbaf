"""The video view paints the real decoded frame it is given, pixel for pixel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtGui import QImage

from apps.desktop.video_view import (
    VideoView,
    chroma_planes,
    fit_rect,
    frame_video_frame,
    qt_gpu_conversion,
    resolve_path,
    sdk_frames_have_chroma,
)
from fake_backend.packager.frame_id import read_frame_id

# Qt Multimedia needs libpulse at import time; .ci/run installs it, a bare machine may not.
QtMultimedia = pytest.importorskip("PySide6.QtMultimedia", exc_type=ImportError)
QVideoFrameFormat = QtMultimedia.QVideoFrameFormat


def grabbed_luma(view: VideoView) -> np.ndarray:
    img = view.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    buf = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    return buf.reshape(img.height(), img.bytesPerLine())[:, : img.width()].copy()


def test_displayed_picture_is_the_decoded_frame(qtbot, decoded_frames):
    view = VideoView()
    qtbot.addWidget(view)
    first = decoded_frames[0]
    view.resize(first.width, first.height)
    assert read_frame_id(first.luma) == 0
    for n in (0, 3, 7):
        view.show_frame(decoded_frames[n])
        assert read_frame_id(grabbed_luma(view)) == n
    assert view.frames_shown == 3 and view.resolution() == "426x240"


def test_scaled_and_letterboxed_frame_still_reads(qtbot, decoded_frames):
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 480)  # 4:3 around a 16:9 picture: black bars above and below
    view.show_frame(decoded_frames[5])
    luma = grabbed_luma(view)
    target = fit_rect(426, 240, view.rect())
    top, bottom = int(target.top()), int(target.bottom())
    assert top > 50 and luma[: top - 1].max() == 0 and luma[bottom + 2 :].max() == 0
    assert read_frame_id(np.ascontiguousarray(luma[top + 1 : bottom - 1])) == 5


def test_luma_only_frame_paints_grey_and_clear_empties(qtbot, decoded_frames):
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(426, 240)
    grey = replace(decoded_frames[2], rgb=None)
    view.show_frame(grey)
    assert read_frame_id(grabbed_luma(view)) == 2
    view.show_frame(None)
    assert grabbed_luma(view).max() == 0 and view.resolution() == "-"


# -- Qt's video path (QVideoFrame) --------------------------------------------------------


def grabbed_rgb(view: VideoView) -> np.ndarray:
    img = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    buf = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    rows = buf.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    return rows.reshape(img.height(), img.width(), 3).copy()


def test_path_choice():
    assert resolve_path("rgb") == "rgb"
    assert resolve_path("yuv") == "yuv"  # Qt Multimedia is installed here
    assert sdk_frames_have_chroma()  # nrdp.VideoFrame declares u/v
    assert resolve_path("auto") == "yuv"  # Qt Multimedia is installed here
    # offscreen (tests, CI, this machine): no GPU, so Qt converts on the CPU
    assert qt_gpu_conversion() is False
    from apps.desktop.video_view import _gpu_probe

    assert _gpu_probe.__wrapped__("xcb") is False  # the GL probe itself runs: no GL offscreen
    with pytest.raises(ValueError):
        resolve_path("gpu")
    assert VideoView(path="yuv").wants_pixels is False
    assert VideoView(path="rgb").wants_pixels is True


def test_luma_only_frame_through_qt_video_path_is_y8(qtbot, decoded_frames):
    frame = replace(decoded_frames[4], rgb=None)
    vf = frame_video_frame(frame)
    assert vf.pixelFormat() == QVideoFrameFormat.PixelFormat.Format_Y8
    assert (vf.width(), vf.height()) == (426, 240) and vf.startTime() == int(frame.pts * 1e6)
    view = VideoView(path="yuv")
    qtbot.addWidget(view)
    view.resize(426, 240)
    view.show_frame(frame)
    assert read_frame_id(grabbed_luma(view)) == 4 and view.frames_painted == 1
    view.grab()  # painting the same frame again is not another frame
    assert view.frames_painted == 1


def test_yuv420p_frame_is_painted_in_colour_by_qt(qtbot, yuv_frames):
    frame = yuv_frames[6]
    assert chroma_planes(frame) is not None
    vf = frame_video_frame(frame)
    assert vf.pixelFormat() == QVideoFrameFormat.PixelFormat.Format_YUV420P
    view = VideoView(path="yuv")
    qtbot.addWidget(view)
    view.resize(frame.width, frame.height)
    view.show_frame(frame)
    assert read_frame_id(grabbed_luma(view)) == 6
    got = grabbed_rgb(view).astype(np.int16)
    want = np.asarray(frame.rgb, dtype=np.int16)
    assert got.shape == want.shape
    # Qt's YUV->RGB and FFmpeg's agree to a few levels; a grey (Y8) picture would not
    assert np.abs(got - want).mean() < 6
    chroma = np.abs(want - want.mean(axis=2, keepdims=True)).mean()
    assert chroma > 6, "the test picture has colour to lose"


def test_subtitle_is_drawn_over_the_picture(qtbot, decoded_frames):
    view = VideoView(path="rgb")
    qtbot.addWidget(view)
    view.resize(426, 240)
    view.show_frame(decoded_frames[1])
    before = grabbed_luma(view)
    view.set_subtitle("Hello there")
    after = grabbed_luma(view)
    assert view.subtitle == "Hello there"
    assert (before[-60:] != after[-60:]).any() and (before[:100] == after[:100]).all()
    view.set_subtitle("")
    assert (grabbed_luma(view) == before).all()


def test_sdk_decoded_chroma_reaches_the_view_through_qt_in_colour(qtbot):
    """The SDK's own decoder (``decode_segment(chroma=True)``, what a sink with
    ``wants_chroma`` gets) hands U/V planes; the yuv view paints them as YUV420P, in the
    colours FFmpeg's RGB conversion gives."""
    from fake_backend.packager import TEST_LADDER, TitleSpec, encode_title
    from nrdp.media.decoder import decode_segment

    spec = TitleSpec(
        "t-chroma",
        duration_s=1.0,
        rungs=TEST_LADDER[:1],
        fps=10,
        segment_duration_s=1.0,
        audio=False,
    )
    r = encode_title(spec).video[0]
    decoded = decode_segment(
        r.init, r.segments[0], kind="video", number=1, rung="v240", chroma=True
    )
    reference = decode_segment(
        r.init, r.segments[0], kind="video", number=1, rung="v240", pixels=True
    )
    frame, rgb = decoded.video[3], reference.video[3].rgb
    assert frame.rgb is None and frame.u is not None and frame.v is not None
    view = VideoView(path="yuv")
    assert view.wants_chroma is True and view.wants_pixels is False
    assert VideoView(path="rgb").wants_chroma is False
    qtbot.addWidget(view)
    view.resize(frame.width, frame.height)
    view.show_frame(frame)
    assert view._video_frame.pixelFormat() == QVideoFrameFormat.PixelFormat.Format_YUV420P
    assert read_frame_id(grabbed_luma(view)) == 3 and view.frames_painted == 1
    got = grabbed_rgb(view).astype(np.int16)
    want = np.asarray(rgb, dtype=np.int16)
    assert got.shape == want.shape and np.abs(got - want).mean() < 6
    assert np.abs(want - want.mean(axis=2, keepdims=True)).mean() > 6  # colour to lose
    view.show_frame(replace(frame, u=None, v=None))  # the same frame without its chroma
    assert view._video_frame.pixelFormat() == QVideoFrameFormat.PixelFormat.Format_Y8
    assert np.abs(grabbed_rgb(view).astype(np.int16) - want).mean() > 6  # grey: colour lost
