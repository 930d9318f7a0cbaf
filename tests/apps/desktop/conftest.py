"""Fixtures for the desktop app: offscreen Qt, real decoded frames, a real backend.

Qt runs with the ``offscreen`` platform (no display, no sound card). The end-to-end
backend is the real ``fake_backend`` on loopback, on its own loop thread (as the app runs
it), with one short CENC-encrypted title packaged once per test module (10 fps, 240p/360p + AAC).
"""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import io
from collections.abc import Iterator

import av
import numpy as np
import pytest

import nrdp
from apps.desktop.runtime import LoopThread
from fake_backend.catalog import short_title
from fake_backend.packager import (
    TEST_LADDER,
    PackagerMaterializer,
    TitleSpec,
    encode_title,
    spec_for_title,
)
from fake_backend.runner import Backend

FPS = 10
TITLE = short_title("t-desk", (b"\x31" * 16, b"\x32" * 16))


SPEC = replace(spec_for_title(TITLE, ()), fps=FPS)  # the catalog row is authoritative


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A real backend (3 OCAs, the test title) on its own loop thread."""
    root = tmp_path_factory.mktemp("desk-backend")
    be = Backend(
        root / "data",
        ocas=3,
        catalog=[TITLE],
        materializer=PackagerMaterializer(specs=(SPEC,), posters=False),
    )
    loop = LoopThread("test-backend")
    loop.submit(be.start()).result(120)
    try:
        yield be
    finally:
        loop.submit(be.close()).result(30)
        loop.stop()


def _luma(frame: av.VideoFrame) -> np.ndarray:
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
    out = np.ascontiguousarray(rows[:, : frame.width])
    out.setflags(write=False)
    return out


@pytest.fixture(scope="session")
def decoded_frames() -> list[nrdp.VideoFrame]:
    """Real frames: a 1 s 240p title encoded by the packager, decoded with PyAV."""
    spec = TitleSpec(
        "t-frames",
        duration_s=1.0,
        rungs=TEST_LADDER[:1],
        fps=FPS,
        segment_duration_s=1.0,
        audio=False,
    )
    rendition = encode_title(spec).video[0]
    frames = []
    with av.open(io.BytesIO(rendition.init + rendition.segments[0]), format="mp4") as c:
        for f in c.decode(video=0):
            rgb = f.to_ndarray(format="rgb24")
            rgb.setflags(write=False)
            frames.append(
                nrdp.VideoFrame(
                    pts=float(f.time or 0.0),
                    duration=1 / FPS,
                    width=f.width,
                    height=f.height,
                    rung="v240",
                    segment=1,
                    luma=_luma(f),
                    digest=str(len(frames)),
                    rgb=rgb,
                )
            )
    return frames
