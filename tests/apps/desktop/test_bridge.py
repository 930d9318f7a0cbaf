"""The bridge turns SDK calls on the loop thread into signals delivered on the UI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

import nrdp
from apps.desktop.bridge import PlayerBridge
from apps.desktop.runtime import LoopThread


def test_frames_are_coalesced_and_cross_to_the_ui_thread(qtbot, decoded_frames):
    bridge = PlayerBridge()
    got = []
    bridge.frame_ready.connect(lambda: got.append((QThread.currentThread(), bridge.take_frame())))
    loop = LoopThread("test-sdk")
    try:
        done = threading.Event()

        def present() -> None:
            for f in decoded_frames[:3]:
                bridge.on_video(f)
            done.set()

        loop.call(present)
        assert done.wait(5)
        qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    finally:
        loop.stop()
    thread, frame = got[0]
    assert thread is bridge.thread()  # delivered on the UI thread
    assert frame is decoded_frames[2]  # the newest; the two older ones were display drops
    assert bridge.display_dropped == 2 and bridge.frames_in == 3
    assert bridge.take_frame() is None


def test_events_become_signals(qtbot):
    bridge = PlayerBridge()
    with qtbot.waitSignal(bridge.state_changed, timeout=1000) as sig:
        bridge.on_event(
            nrdp.StateChanged(at=1.0, old=nrdp.PlayerState.BUFFERING, new=nrdp.PlayerState.PLAYING)
        )
    assert sig.args == ["playing"]
    err = nrdp.NotEntitled(title_id="t-x")
    with qtbot.waitSignal(bridge.fatal_error, timeout=1000) as sig:
        bridge.on_event(nrdp.ErrorEvent.from_error(err, at=2.0, fatal=True))
    assert sig.args[0]["code"] == 7104
    with qtbot.waitSignal(bridge.warning, timeout=1000) as sig:
        bridge.on_event(nrdp.ErrorEvent.from_error(err, at=2.0, fatal=False))
    with qtbot.waitSignal(bridge.failover, timeout=1000) as sig:
        bridge.on_event(nrdp.OcaFailover(at=3.0, from_oca="oca-1", to_oca="oca-2", reason="x"))
    assert sig.args == ["oca-1", "oca-2"]


def test_runtime_runs_coroutines_off_the_ui_thread():
    loop = LoopThread("test-rt")

    async def where() -> str:
        return threading.current_thread().name

    assert loop.submit(where()).result(5) == "test-rt"
    loop.stop()
    assert not loop.running
