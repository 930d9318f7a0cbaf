"""End to end: the app on the real SDK against the real fake backend on loopback.

Sign in, home rows, details, play an encrypted title: the picture painted in the widget is
read back (its frame id) and must advance in real time, stop while paused, survive a killed
OCA without a dialog, and a license refusal must open the error dialog with its code.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.request

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage

import nrdp
from apps.desktop.audio import AudioOutput
from apps.desktop.main_window import MainWindow, cue_text
from apps.desktop.session import Session
from apps.desktop.video_view import fit_rect
from fake_backend.packager.frame_id import read_frame_id

SMALL_BUFFER = nrdp.PlayerConfig(
    buffer=nrdp.BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=1.5)
)


def post(url: str, doc: dict | None = None, headers: dict | None = None) -> int:
    data = json.dumps(doc).encode() if doc is not None else b""
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data, hdrs, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


@pytest.fixture
def app_window(qtbot, backend):
    made = []

    def make(config: nrdp.PlayerConfig | None = None) -> MainWindow:
        session = Session(backend.gateway_url, player_config=config)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(900, 600)
        window.show()
        made.append(window)
        return window

    yield make
    for w in made:
        w.session.close()


def shown_frame_id(window: MainWindow) -> int | None:
    """The frame id read back from the pixels the video widget paints."""
    view = window.video
    frame = view.frame
    if frame is None:
        return None
    img = view.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    luma = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    luma = luma.reshape(img.height(), img.bytesPerLine())[:, : img.width()]
    r = fit_rect(frame.width, frame.height, view.rect())
    return read_frame_id(np.ascontiguousarray(luma[int(r.top()) + 1 : int(r.bottom()) - 1]))


def sign_in(qtbot, window: MainWindow, email: str, password: str) -> None:
    window.show_login(email, password)
    window.login_page.button.click()
    try:
        qtbot.waitUntil(lambda: bool(window.home_page.rows), timeout=10_000)
    except Exception:  # pytest-qt TimeoutError
        raise AssertionError(
            f"no rows: {window.login_page.status.text()!r} {window.home_page.status.text()!r}"
        ) from None


def press(qtbot, window: MainWindow, key: Qt.Key) -> None:
    """A remote's key: to whatever has the keyboard focus (the window if nothing has)."""
    qtbot.keyClick(window.focusWidget() or window, key)


def server_bookmark(window: MainWindow, title_id: str) -> float | None:
    """The resume point the service holds for ``title_id`` (read with the SDK)."""
    s = window.session
    assert s.device is not None
    marks = s.runtime.submit(s.device.discovery.bookmarks()).result(10)
    return next((float(b["position_s"]) for b in marks if b["title_id"] == title_id), None)


def test_keys_only_sign_in_browse_play_pause_back_resume(qtbot, app_window, backend):
    """The whole flow by remote keys: OK, arrows, Play/Pause, Back; nothing is clicked."""
    window = app_window()
    window.show_login(backend.demo_email, backend.demo_password)
    press(qtbot, window, Qt.Key.Key_Return)  # in the password field: sign in
    qtbot.waitUntil(lambda: bool(window.home_page.rows), timeout=10_000)
    _title, row = window.home_page.rows[0]
    assert row.title_ids() == ["t-desk"]
    qtbot.waitUntil(lambda: window.focusWidget() is row.tiles[0], timeout=3000)
    press(qtbot, window, Qt.Key.Key_Return)  # OK on the poster: its details
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.details_page, timeout=5000)
    page = window.details_page
    assert "t-desk" in page.name.text() and window.focusWidget() is page.play_button
    assert [q.height for q in window.details.qualities] == [240, 360]
    beats: list[float] = []  # the UI thread's heartbeat: it must never stop during playback
    heart = QTimer()
    heart.timeout.connect(lambda: beats.append(time.monotonic()))
    heart.start(20)
    press(qtbot, window, Qt.Key.Key_Return)  # OK on Play
    qtbot.waitUntil(lambda: shown_frame_id(window) is not None, timeout=15_000)
    assert window.focusWidget() is window.player_page
    first = shown_frame_id(window)
    qtbot.wait(800)
    later = shown_frame_id(window)
    assert first is not None and later is not None and later >= first + 4  # 10 fps, real time
    qtbot.waitUntil(lambda: window.overlay.stats.oca is not None, timeout=3000)
    assert window.overlay.stats.resolution in ("426x240", "640x360")
    assert window.controls.play_button.text() == "Pause"
    assert window.controls.seek_bar.duration == 4.0
    osd = window.player_page.osd
    assert osd.title.text() == window.details.card.name and osd.badge.text().endswith("b/s")
    # the audio menu lists the player's own tracks (Player.audio_tracks), the playing one ticked
    qtbot.waitUntil(lambda: any(t.selected for t in window.playback.audio_tracks), timeout=3000)
    menu = window.controls.audio_menu
    assert [(a.text(), a.isChecked()) for a in menu.actions()] == [
        ("English (en) 2ch", True),
        ("es 2ch [dub]", False),
    ]
    assert window.controls.audio_button.isEnabled()

    press(qtbot, window, Qt.Key.Key_MediaTogglePlayPause)  # the remote's Play/Pause
    qtbot.waitUntil(lambda: window.playback.state == "paused", timeout=3000)
    qtbot.wait(200)
    frozen, shown = shown_frame_id(window), window.video.frames_shown
    qtbot.wait(600)
    assert shown_frame_id(window) == frozen and window.video.frames_shown == shown
    assert window.controls.play_button.text() == "Play"
    stopped_at = window.playback.position
    assert 0.5 < stopped_at < 3.5
    press(qtbot, window, Qt.Key.Key_Escape)  # Back: the details, with the resume point
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=3000)
    assert window.focusWidget() is page.resume_button and page.resume_button.isVisibleTo(page)
    assert page.play_button.text() == "Start over"
    qtbot.waitUntil(lambda: server_bookmark(window, "t-desk") is not None, timeout=5000)
    assert abs(server_bookmark(window, "t-desk") - stopped_at) < 0.5
    press(qtbot, window, Qt.Key.Key_Escape)  # Back: home, now with Continue watching
    qtbot.waitUntil(lambda: window.home_page.rows[0][0] == "Continue watching", timeout=5000)
    tile = window.home_page.rows[0][1].tiles[0]
    assert tile.card.id == "t-desk" and 0 < (tile.card.progress or 0) < 1
    before = window.home_page.rows[1][1].tiles[0]  # the focus stayed on the title, in its row
    qtbot.waitUntil(lambda: window.focusWidget() is before, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Up)
    assert window.focusWidget() is tile
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=5000)
    qtbot.waitUntil(lambda: window.focusWidget() is page.resume_button, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Return)  # Resume: playback from the bookmark to the end
    qtbot.waitUntil(lambda: shown_frame_id(window) is not None, timeout=15_000)
    assert shown_frame_id(window) >= int(stopped_at * 10) - 10  # resumed, not from 0
    qtbot.waitUntil(lambda: window.playback.state == "ended", timeout=10_000)
    assert shown_frame_id(window) == 39  # the last frame of the 4 s title
    assert window.last_error is None
    heart.stop()
    assert max(b - a for a, b in itertools.pairwise(beats)) < 0.5  # never blocked for long


def test_license_refusal_shows_the_error_page_and_retry_works_by_keys(qtbot, app_window, backend):
    email, password = f"unpaid-{time.monotonic_ns()}@example.com", "correct horse"
    doc = {"email": email, "password": password, "plan": "basic"}
    assert post(backend.gateway_url + "/signup/v1/accounts", doc) == 201
    window = app_window()
    sign_in(qtbot, window, email, password)
    with qtbot.waitSignal(window.error_shown, timeout=10_000) as sig:
        window.play("t-desk")
    info = sig.args[0]
    assert info.code == nrdp.NotEntitled.code and info.name == "NotEntitled"
    page = window.error_page
    assert window.pages.currentWidget() is page
    assert str(info.code) in page.code.text() and "NotEntitled" in page.code.text()
    assert page.message.text() == info.message and info.message
    assert window.focusWidget() is page.retry_button
    assert window.video.frame is None
    with qtbot.waitSignal(window.error_shown, timeout=10_000) as again:  # OK on Retry
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    assert again.args[0].code == info.code
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Right)
    assert window.focusWidget() is page.back_button
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Escape)  # Back: to browsing
    qtbot.waitUntil(lambda: window.pages.currentWidget() not in (page, window.player_page))


def test_killed_oca_fails_over_without_a_dialog(qtbot, app_window, backend):
    window = app_window(SMALL_BUFFER)
    sign_in(qtbot, window, backend.demo_email, backend.demo_password)
    window.toggle_stats()
    window.play("t-desk")
    qtbot.waitUntil(lambda: window.overlay.stats.oca is not None, timeout=15_000)
    serving = window.overlay.stats.oca
    control = f"{backend.control_url}/control/v1/ocas/{serving}"
    assert post(control + "/down", headers=backend.control_headers) == 200
    try:
        qtbot.waitUntil(lambda: window.playback.state == "ended", timeout=20_000)
    finally:
        post(control + "/up", headers=backend.control_headers)
    stats = window.overlay.stats
    assert stats.oca_failovers >= 1 and stats.oca != serving
    assert "failovers" in window.overlay.text.text()
    assert window.last_error is None
    window.toggle_stats()  # the overlay covers the frame-id band
    assert shown_frame_id(window) == 39


def test_subtitle_menu_turns_the_players_text_track_on_and_off(qtbot, app_window, backend):
    window = app_window()
    sign_in(qtbot, window, backend.demo_email, backend.demo_password)
    window.play("t-desk")
    qtbot.waitUntil(lambda: bool(window.playback.subtitle_tracks), timeout=15_000)
    assert [t.label for t in window.playback.subtitle_tracks] == ["English (en)"]
    menu = window.controls.subtitle_menu
    assert [a.text() for a in menu.actions()] == ["Off", "English (en)"]
    assert menu.actions()[0].isChecked() and window.controls.subtitle_button.isEnabled()
    menu.actions()[1].trigger()  # Player.select_text_track("text-en"): cues reach the view
    qtbot.waitUntil(lambda: "[en] t-desk" in window.video.subtitle, timeout=5000)
    qtbot.waitUntil(lambda: window.playback.subtitle_tracks[0].selected, timeout=3000)
    assert window.controls.subtitle_menu.actions()[1].isChecked()
    window.controls.subtitle_menu.actions()[0].trigger()  # Off
    assert window.video.subtitle == ""
    qtbot.waitUntil(lambda: not window.playback.subtitle_tracks[0].selected, timeout=3000)
    qtbot.wait(1200)  # a cue per second: none may come back
    assert window.video.subtitle == ""


def test_audio_menu_switches_the_language_mid_playback(qtbot, app_window, backend):
    window = app_window()
    sign_in(qtbot, window, backend.demo_email, backend.demo_password)
    window.play("t-desk")
    qtbot.waitUntil(lambda: len(window.controls.audio_menu.actions()) == 2, timeout=15_000)
    window.controls.audio_menu.actions()[1].trigger()  # Player.select_audio_track("a128-es")
    qtbot.waitUntil(
        lambda: [t.selected for t in window.playback.audio_tracks] == [False, True],
        timeout=5000,
    )
    assert window.controls.audio_menu.actions()[1].isChecked()
    qtbot.waitUntil(lambda: window.playback.state == "ended", timeout=10_000)
    assert window.last_error is None


def test_keys_map_to_intents(qtbot):
    session = Session("http://127.0.0.1:9")  # never contacted: no title is loaded
    window = MainWindow(session)
    qtbot.addWidget(window)
    try:
        window.pages.setCurrentWidget(window.player_page)
        window.set_playback(state="paused", position=20.0, duration=60.0)
        qtbot.keyClick(window, Qt.Key.Key_I)
        assert window.overlay.isVisibleTo(window)
        qtbot.keyClick(window, Qt.Key.Key_Right)
        assert window.playback.position == 25.0
        qtbot.keyClick(window, Qt.Key.Key_Left)
        qtbot.keyClick(window, Qt.Key.Key_Left)
        assert window.playback.position == 15.0
        qtbot.keyClick(window, Qt.Key.Key_Down)
        assert window.playback.volume == 0.9
        qtbot.keyClick(window, Qt.Key.Key_M)
        assert window.playback.muted and window.controls.mute_button.isChecked()
        qtbot.keyClick(window, Qt.Key.Key_I)
        assert not window.overlay.isVisibleTo(window)
    finally:
        session.close()


def test_subtitle_cues_show_for_their_duration(qtbot):
    session = Session("http://127.0.0.1:9")  # never contacted
    window = MainWindow(session)
    qtbot.addWidget(window)
    try:
        assert cue_text("<i>Hello</i> &amp; <c.yellow>bye</c>\n<v Bob>now") == "Hello & bye\nnow"
        window.bridge.on_text(nrdp.TextCue(1.0, 1.3, "<i>First</i>", "s-en"))
        assert window.video.subtitle == "First"
        window.bridge.on_text(nrdp.TextCue(1.2, 3.0, "Second", "s-en"))
        qtbot.wait(450)  # the first cue's end must not clear the second
        assert window.video.subtitle == "Second"
        window.controls.subtitle_requested.emit(None)  # subtitles off: cleared at once
        assert window.video.subtitle == ""
        window.bridge.on_text(nrdp.TextCue(5.0, 5.1, "Late", "s-en"))  # in flight: ignored
        assert window.video.subtitle == ""
        window.controls.subtitle_requested.emit("s-en")
        window.bridge.on_text(nrdp.TextCue(5.0, 5.1, "Short", "s-en"))
        assert window.video.subtitle == "Short"
        qtbot.waitUntil(lambda: window.video.subtitle == "", timeout=2000)
    finally:
        session.close()


class WallAudio(AudioOutput):
    """A device (no sound card here) that plays what it is given ``latency`` seconds late,
    on the wall clock: its position is the first sample's time plus the time since it
    arrived, minus the latency; ``None`` before any audio and after a flush."""

    def __init__(self, latency: float) -> None:
        super().__init__(enabled=False)
        self.note = "test device"
        self.latency = latency
        self.started: tuple[float, float] | None = None  # first pts, wall time

    @property
    def available(self) -> bool:
        return True

    def play(self, frame: nrdp.AudioFrame) -> None:
        if self.started is None:
            self.started = (frame.pts, time.monotonic())

    def position(self) -> float | None:
        if self.started is None:
            return None
        pts, since = self.started
        return pts + (time.monotonic() - since) - self.latency

    def flush(self) -> None:
        self.started = None


class RecordingWindow(MainWindow):
    """Records each frame painted and the device's position at that moment."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.painted: list[tuple[float, float | None]] = []
        show = self.controller._show

        def recorded(frame) -> None:
            self.painted.append((frame.pts, self.audio.position()))
            show(frame)

        self.controller._show = recorded  # type: ignore[method-assign]


def test_video_is_paced_by_the_sdk_on_the_audio_device_clock(qtbot, backend):
    audio = WallAudio(latency=0.3)
    session = Session(backend.gateway_url, player_config=SMALL_BUFFER)
    window = RecordingWindow(session, audio=audio)
    qtbot.addWidget(window)
    window.show()
    try:
        assert session.master_clock is window.bridge.device_clock
        sign_in(qtbot, window, backend.demo_email, backend.demo_password)
        window.toggle_stats()
        polls: list[bool] = []
        window.bridge.polled.connect(lambda p: polls.append(p.master_clock_active))
        window.play("t-desk")
        qtbot.waitUntil(lambda: window.playback.state == "ended", timeout=20_000)
        assert session.player is not None
        stats = session.player.stats()
        assert any(polls)  # the SDK paced video on the device's clock
        pts = [p for p, _ in window.painted]
        assert pts == sorted(pts) and pts[-1] == pytest.approx(3.9)
        # once the device plays (it starts 0.3 s behind the SDK's clock), no picture is
        # painted before the device plays its time: the SDK held it on the device's clock
        on_device = [(p, at) for p, at in window.painted if p >= 0.5]
        assert on_device and all(at is not None and at >= p - 1e-6 for p, at in on_device)
        assert stats.presented_frames + stats.dropped_frames == 40
        assert "audio clock (test device, A/V drift" in "\n".join(window.overlay.stats.lines())
    finally:
        session.close()
