"""Pure pieces: trace conversion for OCA fault plans, the frame-order check, JUnit counts."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np

import nrdp
from abr.sim.traces import parse_trace
from apps.headless.faults import load_trace, trace_points
from apps.headless.frames import FrameSink, check_frames
from apps.headless.report import (
    Assertion,
    CaseResult,
    frames_complete,
    frames_message,
    write_junit,
)
from fake_backend.packager.frame_id import draw_frame_id


def test_trace_points_shift_pensieve_intervals() -> None:
    tr = parse_trace("10 100\n11 200\n13 300\n", "t")
    # sample i holds on (t[i-1], t[i]]; the OCA holds a point from its time on
    assert trace_points(tr) == [[0.0, 200.0], [1.0, 300.0]]


def test_load_trace_guesses_mahimahi(tmp_path: Path) -> None:
    p = tmp_path / "mm.trace"
    p.write_text("\n".join(str(ms) for ms in range(0, 2000, 2)) + "\n")
    tr = load_trace(p)
    # one 1500-byte packet every 2 ms = 6000 kbit/s
    assert abs(tr.kbps[-1] - 6000) < 1e-6


def _frame(n: int, pts: float) -> nrdp.VideoFrame:
    luma = draw_frame_id(n, 128, 96)
    return nrdp.VideoFrame(pts, 0.5, 128, 96, "v", 1, luma, f"{n:024x}")


def test_frames_in_order_across_a_seek() -> None:
    sink = FrameSink()
    sink.begin(0.0)
    for n in range(3):  # 2 fps, title of 4 s = 8 frames
        sink.on_video(_frame(n, n * 0.5))
    sink.on_flush(2.0)
    for n in range(4, 8):
        sink.on_video(_frame(n, n * 0.5))
    ok = check_frames(sink, title_duration=4.0, ended=True)
    assert (ok.decoded, ok.expected, ok.in_order) == (7, 7, True)
    # a missing frame at the end of an ended title is caught
    short = FrameSink()
    for n in range(7):
        short.on_video(_frame(n, n * 0.5))
    bad = check_frames(short, title_duration=4.0, ended=True)
    assert (bad.decoded, bad.expected, bad.in_order) == (7, 8, True)


def test_frames_out_of_order_or_duplicated() -> None:
    sink = FrameSink()
    for n in (0, 1, 1, 2):
        sink.on_video(_frame(n, n * 0.5))
    assert check_frames(sink, title_duration=None, ended=False).in_order is False
    sink = FrameSink()
    sink.on_video(_frame(0, 0.0))
    sink.on_video(
        nrdp.VideoFrame(0.5, 0.5, 128, 96, "v", 1, np.full((96, 128), 128, np.uint8), "x")
    )
    res = check_frames(sink, title_duration=None, ended=False)
    assert res.in_order is False and res.unreadable == 1


def test_frames_skipped_late_only_pass_when_the_sdk_counted_them() -> None:
    sink = FrameSink()
    for n in (0, 1, 3, 4, 5, 6, 7):  # frame 2 missed its slot in real time
        sink.on_video(_frame(n, n * 0.5))
    unexplained = check_frames(sink, title_duration=4.0, ended=True)
    assert (unexplained.decoded, unexplained.expected, unexplained.in_order) == (7, 8, False)
    explained = check_frames(sink, title_duration=4.0, ended=True, dropped=1)
    assert explained.in_order is True
    report = {**explained.to_dict(), "frames_dropped": 1}
    assert frames_complete(report) and "+1 dropped late" in frames_message(report)
    assert not frames_complete({**report, "frames_dropped": 0})
    assert not frames_complete({**report, "frames_decoded": None})  # --no-decode
    # a drop never excuses a duplicate
    dup = FrameSink()
    for n in (0, 1, 1, 3):
        dup.on_video(_frame(n, n * 0.5))
    assert check_frames(dup, title_duration=None, ended=False, dropped=5).in_order is False


def test_junit_counts(tmp_path: Path) -> None:
    ok = CaseResult("a", "a.yaml", [Assertion("x", True, "fine"), Assertion("y", False, "bad")])
    broken = CaseResult("b", "b.yaml", [], error="control plane unreachable")
    out = tmp_path / "j.xml"
    write_junit(out, [ok, broken])
    root = ET.parse(out).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["a", "b"]
    assert suites[0].find("testcase[@name='y']/failure").get("message") == "bad"  # type: ignore[union-attr]
