"""Live in the desktop player: the DVR window on the seek bar, behind-live, "Go to live".

Unit level: the window's arithmetic (``live_state.DvrWindow``), the seek bar over a window,
the keys clamped to it, the OSD's badge and button. End to end, by keys only, against the
real fake backend's live channels (``live-news``: SegmentTimeline + ``$Time$``;
``live-sports``: ``$Number$``; 2 s segments, 30 s time-shift buffer, 6 s
suggestedPresentationDelay, encrypted like the on-demand title): the seek bar spans the
SDK's live window and slides with it, two steps back put the playhead behind live and the
badge says so, ``L`` goes back to the live point; an on-demand title shows none of it.

Real time (the app's player runs on the wall clock, as the app does): states are polled
with generous timeouts and the asserts are on values the SDK reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

import nrdp
from apps.desktop.bridge import Poll
from apps.desktop.controls import PlayerControls
from apps.desktop.live_state import AT_LIVE_TOLERANCE_S, DvrWindow
from apps.desktop.main_window import MainWindow
from apps.desktop.player_keys import SEEK_STEP, PlayerAction, action_for
from apps.desktop.poll_feed import live_window
from apps.desktop.session import Session
from fake_backend.live.service import default_channels

Key = Qt.Key
NEWS = default_channels()[0]  # the ``live_backend`` fixture's live-news
SEGMENT = NEWS.segment_s
TSBD = NEWS.time_shift_buffer_s
TARGET = NEWS.presentation_delay_s  # the SDK's target: suggestedPresentationDelay
ON_DEMAND = "t-desk"  # the fixture's on-demand title
SMALL_BUFFER = nrdp.PlayerConfig(
    buffer=nrdp.BufferConfig(start=0.5, rebuffer=0.5, target=4.0, max_ahead=6.0)
)


def press(qtbot, window: QWidget, key: Qt.Key) -> None:
    """A remote's key: to whatever has the keyboard focus (the window if nothing has)."""
    qtbot.keyClick(window.focusWidget() or window, key)


# -- unit level ------------------------------------------------------------------------
def test_window_arithmetic_behind_the_live_point():
    w = DvrWindow(start=100.0, edge=130.0, target_s=6.0)  # live point ~124
    assert w.behind(124.0) == 0.0 and w.at_live(124.0) and w.label(124.0) == "LIVE"
    assert w.behind(125.0) == 0.0  # past the live point: not "ahead"
    assert w.at_live(124.0 - AT_LIVE_TOLERANCE_S)
    assert w.behind(112.0) == 12.0 and not w.at_live(112.0) and w.label(112.0) == "-0:12"
    assert w.clamp(90.0) == 100.0 and w.clamp(140.0) == 130.0 and w.clamp(110.0) == 110.0
    unknown = DvrWindow(100.0, 130.0)  # the SDK has not reported its target yet
    assert unknown.behind(101.0) == 0.0 and unknown.label(101.0) == "LIVE"


def test_seek_bar_spans_the_dvr_window(qtbot):
    c = PlayerControls()
    qtbot.addWidget(c)
    c.resize(800, 60)
    c.show()
    state = c.state
    c.set_state(replace(state, position=112.0, live=DvrWindow(100.0, 130.0, 6.0)))
    bar = c.seek_bar
    assert (bar.start, bar.duration) == (100.0, 130.0)
    assert bar.time_at(0) == 100.0 and bar.time_at(bar.width()) == 130.0
    assert bar.time_at(bar.width() / 2) == pytest.approx(115.0)
    assert bar.x_of(112.0) == pytest.approx(0.4 * bar.width())
    assert c.time_label.text() == "-0:12"
    with qtbot.waitSignal(c.seek_requested) as got:  # a click seeks inside the window
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.rect().center())
    assert 100.0 < got.args[0] < 130.0
    c.set_state(replace(state, position=12.0, duration=60.0))  # on demand: as before
    assert (bar.start, bar.duration) == (0.0, 60.0) and c.time_label.text() == "0:12 / 1:00"


def test_keys_seek_inside_the_window_and_l_goes_live(qtbot, idle_window, monkeypatch):
    w = idle_window
    calls: list[str] = []
    monkeypatch.setattr(w.session, "seek", lambda t: calls.append(f"seek {t:g}"))
    monkeypatch.setattr(w.session, "go_live", lambda: calls.append("go live"))
    assert action_for(Key.Key_L) is action_for(Key.Key_End) is PlayerAction.GO_LIVE
    w.set_playback(state="playing", position=60.0, duration=60.0)
    press(qtbot, w, Key.Key_L)  # on demand: nothing to go to
    assert calls == [] and w.player_page.osd.go_live_button.isHidden()
    w.set_playback(position=103.0, duration=None, live=DvrWindow(100.0, 130.0, 6.0))
    press(qtbot, w, Key.Key_Left)  # not before the window's start
    press(qtbot, w, Key.Key_Right)
    w.set_playback(position=128.0)
    press(qtbot, w, Key.Key_Right)  # nor past its edge
    press(qtbot, w, Key.Key_End)
    assert calls == ["seek 100", f"seek {100 + SEEK_STEP:g}", "seek 130", "go live"]
    osd = w.player_page.osd
    w.set_playback(position=110.0)
    assert osd.live_badge.text() == "BEHIND LIVE" and osd.time.text() == "-0:14"
    assert osd.go_live_button.isVisibleTo(osd) and osd.go_live_button.isEnabled()
    osd.go_live_button.click()  # the OSD's button (mouse) does what L does
    assert calls[-1] == "go live"
    w.set_playback(position=124.0)
    assert osd.live_badge.text() == "LIVE" and not osd.go_live_button.isEnabled()
    w.set_playback(position=110.0)
    osd.set_live(False)  # the next title, before the player says: nothing left over
    assert osd.live_badge.isHidden() and osd.live_badge.text() == "LIVE"
    assert osd.go_live_button.isHidden()


def test_a_poll_of_a_live_source_carries_its_window():
    snap = nrdp.StatsSnapshot.__new__(nrdp.StatsSnapshot)  # not read here
    poll = Poll(snap, 120.0, "playing", None, live_window=(100.0, 130.0), live_target_s=6.0)
    assert live_window(poll) == DvrWindow(100.0, 130.0, 6.0)
    assert live_window(replace(poll, live_window=None)) is None


# -- end to end ------------------------------------------------------------------------
@pytest.fixture
def live_window_app(qtbot, live_backend) -> Iterator[MainWindow]:
    session = Session(live_backend.gateway_url, player_config=SMALL_BUFFER)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    window.show_login(live_backend.demo_email, live_backend.demo_password)
    press(qtbot, window, Key.Key_Return)  # in the password field: sign in
    qtbot.waitUntil(lambda: bool(window.home_page.rows), timeout=20_000)
    yield window
    session.close()


def sdk_window(window: MainWindow) -> tuple[float, float] | None:
    """``Player.live_window()`` read on the SDK's loop thread."""
    s = window.session

    async def read() -> tuple[float, float] | None:
        return s.player.live_window() if s.player is not None else None

    return s.runtime.submit(read()).result(10)


def test_live_channel_by_keys_dvr_window_behind_live_and_go_live(qtbot, live_window_app):
    window = live_window_app
    polls: list[Poll] = []
    window.bridge.polled.connect(polls.append)
    _title, row = window.home_page.rows[0]
    assert row.title_ids() == ["live-news", "live-sports"]
    qtbot.waitUntil(lambda: window.focusWidget() is row.tiles[0], timeout=5000)
    press(qtbot, window, Key.Key_Return)  # OK on the channel: its details
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.details_page, timeout=10_000)
    press(qtbot, window, Key.Key_Return)  # OK on Play
    qtbot.waitUntil(lambda: window.video.frame is not None, timeout=30_000)
    osd, bar = window.player_page.osd, window.controls.seek_bar

    def live_poll(since: int = 0, *, behind_over: float | None = None) -> Poll | None:
        """The newest poll after ``since`` of a playing live source with its target known
        (and, if asked, more than ``behind_over`` s behind the live point)."""
        for p in reversed(polls[since:]):
            w = live_window(p)
            if p.state != "playing" or w is None or w.target_s is None:
                continue
            if behind_over is None or w.behind(p.position) > behind_over:
                return p
        return None

    qtbot.waitUntil(lambda: live_poll() is not None, timeout=20_000)
    # the seek bar spans the SDK's live window, as the last poll read it on the loop thread
    with qtbot.waitSignal(window.bridge.polled, timeout=5000) as got:
        pass
    poll: Poll = got.args[0]
    assert poll.live_window is not None and poll.live_target_s == TARGET
    assert (bar.start, bar.duration) == poll.live_window
    start, edge = poll.live_window
    assert TSBD - 2 * SEGMENT <= edge - start <= TSBD + SEGMENT  # the time-shift buffer
    assert start <= poll.position <= edge
    now = sdk_window(window)  # read again later: the window only slides forward
    assert now is not None and now[0] >= start and now[1] >= edge
    assert window.playback.duration is None  # no on-demand duration for a channel
    assert osd.live_badge.isVisibleTo(osd) and osd.go_live_button.isVisibleTo(osd)
    # the window slides (a segment at a time): so does the bar
    qtbot.waitUntil(lambda: bar.start > start and (bar.duration or 0) > edge, timeout=15_000)
    assert bar.duration - bar.start <= TSBD + SEGMENT

    # two steps back: behind the live point, and the badge, the time and the button say so
    mark = len(polls)
    press(qtbot, window, Key.Key_Left)
    press(qtbot, window, Key.Key_Left)
    qtbot.waitUntil(
        lambda: live_poll(mark, behind_over=2 * SEEK_STEP - 2 * SEGMENT) is not None,
        timeout=20_000,
    )
    behind = live_poll(mark, behind_over=0.0)
    assert behind is not None
    dvr = live_window(behind)
    assert dvr is not None and dvr.start <= behind.position
    qtbot.waitUntil(lambda: osd.live_badge.text() == "BEHIND LIVE", timeout=5000)
    assert osd.time.text().startswith("-") and window.controls.time_label.text().startswith("-")
    assert osd.go_live_button.isEnabled()

    # L: back to the live point (within two segments of it: the SDK starts at the
    # nearest segment start; the rest is the time the seek took to play again)
    mark = len(polls)
    with qtbot.waitSignal(window.bridge.flushed, timeout=10_000) as flushed:
        press(qtbot, window, Key.Key_L)
    target = flushed.args[0]  # where the SDK's go_live() seeked
    assert target > behind.position + SEEK_STEP

    def back_live() -> Poll | None:
        p = live_poll(mark)
        return p if p is not None and p.position >= target else None

    qtbot.waitUntil(lambda: back_live() is not None, timeout=20_000)
    p = back_live()
    assert p is not None and p.live_window is not None
    dvr = live_window(p)
    assert dvr is not None and dvr.behind(p.position) <= 2 * SEGMENT
    assert p.live_window[1] - p.position <= TARGET + 2 * SEGMENT
    window.set_playback()  # the OSD now shows the latest poll's values
    at_live = window.playback.live is not None and window.playback.live.at_live(
        window.playback.position
    )
    assert osd.live_badge.text() == ("LIVE" if at_live else "BEHIND LIVE")
    assert osd.go_live_button.isEnabled() is not at_live
    assert window.last_error is None


def test_on_demand_title_shows_no_go_to_live(qtbot, live_window_app):
    window = live_window_app
    rows = window.home_page.rows
    assert rows[0][1].title_ids()[0] == "live-news"
    r = next(i for i, (_t, row) in enumerate(rows) if ON_DEMAND in row.title_ids())
    at = rows[r][1].title_ids().index(ON_DEMAND)  # a row below has the on-demand title
    qtbot.waitUntil(lambda: window.focusWidget() is rows[0][1].tiles[0], timeout=5000)
    for _ in range(r):
        press(qtbot, window, Key.Key_Down)
    for _ in range(at):
        press(qtbot, window, Key.Key_Right)
    assert window.focusWidget() is rows[r][1].tiles[at]
    press(qtbot, window, Key.Key_Return)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.details_page, timeout=10_000)
    press(qtbot, window, Key.Key_Return)  # Play
    qtbot.waitUntil(lambda: window.video.frame is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.poll_feed.last is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.playback.state == "playing", timeout=10_000)
    osd = window.player_page.osd
    assert window.poll_feed.last.live_window is None and window.playback.live is None
    assert osd.go_live_button.isHidden() and osd.live_badge.isHidden()
    assert window.controls.seek_bar.start == 0.0 and window.controls.seek_bar.duration == 4.0
    assert window.controls.time_label.text().endswith("/ 0:04")
    before = window.playback.position
    press(qtbot, window, Key.Key_L)  # nothing to go to: playback just goes on
    qtbot.waitUntil(lambda: window.playback.position > before, timeout=5000)
    assert window.playback.live is None and window.last_error is None
