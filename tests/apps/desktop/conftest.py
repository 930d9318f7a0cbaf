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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

import nrdp
from apps.desktop.main_window import MainWindow
from apps.desktop.runtime import LoopThread
from apps.desktop.session import Session
from fake_backend.catalog import short_title
from fake_backend.live.service import channel_title, default_channels
from fake_backend.packager import (
    TEST_LADDER,
    PackagerMaterializer,
    TitleSpec,
    encode_title,
    spec_for_title,
)
from fake_backend.packager.catalog_specs import AudioTrackSpec, SubtitleSpec
from fake_backend.runner import Backend

FPS = 10
TITLE = short_title("t-desk", (b"\x31" * 16, b"\x32" * 16))


SPEC = replace(  # the catalog row is authoritative; plus Spanish audio and English subtitles
    spec_for_title(TITLE, ()),
    fps=FPS,
    audio=(AudioTrackSpec("a128", "en", label="English"), AudioTrackSpec("a128-es", "es")),
    subtitles=(SubtitleSpec("text-en", "en", "English"),),
)


@contextmanager
def serving(root: Path, **kw: Any) -> Iterator[Backend]:
    """A real backend on its own loop thread (as the app runs it), closed after."""
    be = Backend(root / "data", **kw)
    loop = LoopThread("test-backend")
    loop.submit(be.start()).result(300)
    try:
        yield be
    finally:
        loop.submit(be.close()).result(30)
        loop.stop()


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A real backend (3 OCAs, the test title) on its own loop thread."""
    materializer = PackagerMaterializer(specs=(SPEC,), posters=False)
    with serving(
        tmp_path_factory.mktemp("desk-backend"), ocas=3, catalog=[TITLE], materializer=materializer
    ) as be:
        yield be


LIVE_CHANNELS = default_channels()  # the backend's own: live-news, live-sports (2 s segments)
LIVE_SPECS = tuple(replace(spec_for_title(channel_title(c), ()), fps=FPS) for c in LIVE_CHANNELS)


@pytest.fixture(scope="module")
def live_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A real backend with the live channels and the on-demand test title (2 OCAs)."""
    materializer = PackagerMaterializer(specs=(SPEC, *LIVE_SPECS), posters=False)
    with serving(
        tmp_path_factory.mktemp("desk-live"),
        ocas=2,
        catalog=[TITLE],
        live=LIVE_CHANNELS,
        materializer=materializer,
    ) as be:
        yield be


def _plane(frame: av.VideoFrame, i: int = 0) -> np.ndarray:
    plane = frame.planes[i]
    h, w = (frame.height, frame.width) if i == 0 else (plane.height, plane.width)
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(h, plane.line_size)
    out = np.ascontiguousarray(rows[:, :w])
    out.setflags(write=False)
    return out


def _luma(frame: av.VideoFrame) -> np.ndarray:
    return _plane(frame, 0)


@dataclass(frozen=True, eq=False)
class YuvFrame:
    """A decoded frame with its chroma planes: what ``nrdp.VideoFrame`` would carry with
    ``u``/``v`` fields (the view duck-types frames)."""

    pts: float
    duration: float
    width: int
    height: int
    rung: str
    segment: int
    luma: Any
    u: Any
    v: Any
    digest: str = ""
    rgb: Any = None


@pytest.fixture(scope="session")
def yuv_frames() -> list[YuvFrame]:
    """The same 240p frames with their U and V planes (and RGB to compare against)."""
    spec = TitleSpec(
        "t-frames",
        duration_s=1.0,
        rungs=TEST_LADDER[:1],
        fps=FPS,
        segment_duration_s=1.0,
        audio=False,
    )
    rendition = encode_title(spec).video[0]
    out = []
    with av.open(io.BytesIO(rendition.init + rendition.segments[0]), format="mp4") as c:
        for f in c.decode(video=0):
            assert f.format.name == "yuv420p"
            rgb = f.to_ndarray(format="rgb24")
            out.append(
                YuvFrame(
                    pts=float(f.time or 0.0),
                    duration=1 / FPS,
                    width=f.width,
                    height=f.height,
                    rung="v240",
                    segment=1,
                    luma=_plane(f, 0),
                    u=_plane(f, 1),
                    v=_plane(f, 2),
                    digest=str(len(out)),
                    rgb=rgb,
                )
            )
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


@pytest.fixture
def idle_window(qtbot):
    """The window on its player page with nothing loaded (its session is never contacted),
    the OSD hiding after 60 ms."""
    session = Session("http://127.0.0.1:9")
    window = MainWindow(session, hide_after_ms=60)
    qtbot.addWidget(window)
    window.resize(900, 560)
    window.show()
    window.pages.setCurrentWidget(window.player_page)
    window.player_page.setFocus()
    yield window
    session.close()


@pytest.fixture(autouse=True)
def _qt_application(qapp):  # type: ignore[no-untyped-def]
    """Every desktop test runs with a QApplication: QPixmap and friends crash the process
    without one, so a test must not depend on an earlier test having created it."""
    return qapp
