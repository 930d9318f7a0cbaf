"""The video view paints the real decoded frame it is given, pixel for pixel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtGui import QImage

from apps.desktop.video_view import VideoView, fit_rect
from fake_backend.packager.frame_id import read_frame_id


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
