"""The 10-foot UI driven by keys only: focus, navigation, search, details, error, OSD.

Every interaction is a key event sent to the widget that has the keyboard focus
(``press``), as a remote's keys arrive; nothing is clicked. Playback end to end by keys is
in ``test_main_window.py`` (it shares the packaged backend).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

import nrdp
from apps.desktop.app_state import ErrorInfo, HomeState, Row, TitleCard, TitleDetails
from apps.desktop.browse import HomePage
from apps.desktop.details_page import DetailsPage
from apps.desktop.error_page import ErrorPage
from apps.desktop.focus_rows import RING
from apps.desktop.osd import is_live
from apps.desktop.player_keys import KEYS, PlayerAction, action_for
from apps.desktop.posters import POSTER
from apps.desktop.seek_preview import SeekPreview, as_rect, thumbnail_of
from apps.desktop.theme import ACCENT

Key = Qt.Key


def card(i: int, **kw) -> TitleCard:
    return TitleCard(f"t-{i}", f"Title {i}", f"Synopsis {i}.", 2020, 60.0, "PG", ("drama",), **kw)


def press(qtbot, root: QWidget, key: Qt.Key, text: str = "") -> None:
    """A key as a remote sends it: to whatever has the keyboard focus in ``root``'s window."""
    target = root.window().focusWidget() or root
    qtbot.keyClick(target, key) if not text else qtbot.keyClicks(target, text)


def focused(root: QWidget) -> QWidget | None:
    return root.window().focusWidget()


@pytest.fixture
def home(qtbot):
    page = HomePage()
    qtbot.addWidget(page)
    page.resize(900, 620)
    page.show()
    page.set_home(
        HomeState(
            (
                Row("cw", "Continue watching", (card(1, position_s=30.0), card(2))),
                Row("big", "Trending", tuple(card(i) for i in range(10, 30))),
                Row("one", "Crime", (card(40),)),
            )
        )
    )
    return page


def test_arrows_move_the_focus_within_and_between_rows(qtbot, home):
    rows = [view for _t, view in home.rows]
    assert focused(home) is rows[0].tiles[0] and rows[0].tiles[0].current
    press(qtbot, home, Key.Key_Right)
    assert focused(home) is rows[0].tiles[1]
    press(qtbot, home, Key.Key_Right)  # the end of the row: focus stays
    assert focused(home) is rows[0].tiles[1] and home.view.at == (0, 1)
    press(qtbot, home, Key.Key_Down)  # the same column in the next row
    assert focused(home) is rows[1].tiles[1]
    assert not rows[0].tiles[1].current and rows[1].tiles[1].current
    for _ in range(15):
        press(qtbot, home, Key.Key_Right)
    tile = rows[1].tiles[16]
    assert focused(home) is tile
    bar = rows[1].horizontalScrollBar()
    assert bar.value() > 0  # the row scrolled horizontally ...
    left = tile.mapTo(rows[1].viewport(), tile.rect().topLeft()).x()
    assert left >= 0 and left + tile.width() <= rows[1].viewport().width()  # ... to show it
    press(qtbot, home, Key.Key_Down)  # a shorter row: the column is clamped
    assert focused(home) is rows[2].tiles[0]
    press(qtbot, home, Key.Key_Down)  # nothing below the last row
    assert focused(home) is rows[2].tiles[0]
    press(qtbot, home, Key.Key_Up)
    press(qtbot, home, Key.Key_Up)
    assert focused(home) is rows[0].tiles[0]
    press(qtbot, home, Key.Key_Up)  # above the first row: the search entry
    assert focused(home) is home.search
    press(qtbot, home, Key.Key_Down)
    assert focused(home) is rows[0].tiles[0]
    with qtbot.waitSignal(home.title_activated, timeout=1000) as sig:
        press(qtbot, home, Key.Key_Return)  # OK
    assert sig.args == ["t-1"]


def test_the_focused_row_scrolls_into_view(qtbot, home):
    home.resize(900, 380)  # room for about one row
    qtbot.wait(10)
    press(qtbot, home, Key.Key_Down)
    press(qtbot, home, Key.Key_Down)
    tile = home.rows[2][1].tiles[0]
    assert focused(home) is tile
    assert home.view.verticalScrollBar().value() > 0
    top = tile.mapTo(home.view.viewport(), tile.rect().topLeft()).y()
    assert top >= 0 and top + tile.height() <= home.view.viewport().height()


def test_search_from_the_keyboard(qtbot, home):
    press(qtbot, home, Key.Key_Right)
    press(qtbot, home, Key.Key_A, text="ti")  # typing on a poster goes to the search entry
    assert focused(home) is home.search and home.search.text() == "ti"
    with qtbot.waitSignal(home.search_requested, timeout=1000) as sig:
        press(qtbot, home, Key.Key_Return)
    assert sig.args == ["ti"]
    home.set_results("ti", (card(7), card(8)))
    assert [t for t, _v in home.rows] == ["Results for “ti”"]
    assert focused(home) is home.rows[0][1].tiles[0]  # the first result has the focus
    press(qtbot, home, Key.Key_Right)
    assert focused(home) is home.rows[0][1].tiles[1]
    with qtbot.waitSignal(home.refresh_requested, timeout=1000):
        press(qtbot, home, Key.Key_Escape)  # Back leaves the results
    assert home.search.text() == ""
    press(qtbot, home, Key.Key_Up)
    press(qtbot, home, Key.Key_Up)
    assert focused(home) is home.search
    press(qtbot, home, Key.Key_X, text="xyz")
    press(qtbot, home, Key.Key_Escape)  # Back in the entry: cleared, focus to the rows
    assert home.search.text() == "" and focused(home) is home.view.current_tile()
    assert focused(home) is home.rows[0][1].tiles[1]  # where the focus was


def test_continue_watching_tiles_show_the_bookmark_progress(qtbot, home):
    doc = {"id": "t-1", "name": "One", "duration_s": 60, "position_s": 30}
    assert (
        TitleCard.from_json(doc).progress == 0.5
        and TitleCard.from_json({"id": "x"}).progress is None
    )
    with_bar, without = home.rows[0][1].tiles
    img_a, img_b = with_bar.grab().toImage(), without.grab().toImage()
    y = RING + POSTER.height() - 10  # the bar, near the poster's bottom edge
    left, right = img_a.pixelColor(RING + 20, y), img_a.pixelColor(RING + POSTER.width() - 20, y)
    assert _near(left, ACCENT) and not _near(right, ACCENT)  # half of the bar is played
    assert not _near(img_b.pixelColor(RING + 20, y - 6), ACCENT)  # no bookmark, no bar


def _near(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < tol


def test_details_buttons_are_walked_with_arrows(qtbot):
    page = DetailsPage()
    qtbot.addWidget(page)
    page.show()
    doc = {
        "id": "t-1",
        "name": "One",
        "duration_s": 60,
        "audio_languages": ["en", "es"],
        "renditions": [{"id": "s", "kind": "text", "language": "fr"}],
    }
    details = TitleDetails.from_json(doc, [{"title_id": "t-1", "position_s": 15.0}])
    assert details.audio_languages == ("en", "es") and details.subtitle_languages == ("fr",)
    page.set_details(details)
    assert page.languages.text() == "Audio: en, es     Subtitles: fr"
    assert page.progress.value() == 250 and page.resume_note.text() == "0:45 left"
    page.focus_first()
    assert focused(page) is page.resume_button and page.resume_button.text() == "Resume from 0:15"
    press(qtbot, page, Key.Key_Right)
    assert focused(page) is page.play_button and page.play_button.text() == "Start over"
    with qtbot.waitSignal(page.play_requested, timeout=1000) as sig:
        press(qtbot, page, Key.Key_Return)
    assert sig.args == ["t-1", 0.0]
    press(qtbot, page, Key.Key_Left)
    with qtbot.waitSignal(page.play_requested, timeout=1000) as sig:
        press(qtbot, page, Key.Key_Enter)
    assert sig.args == ["t-1", 15.0]
    press(qtbot, page, Key.Key_Left)  # the first button: focus stays
    assert focused(page) is page.resume_button
    with qtbot.waitSignal(page.back_requested, timeout=1000):
        press(qtbot, page, Key.Key_Backspace)
    page.set_details(TitleDetails.from_json({"id": "t-2", "name": "Two"}))
    page.focus_first()
    assert focused(page) is page.play_button and page.play_button.text() == "Play"
    assert page.resume_button.isHidden() and page.languages.isHidden()


def test_error_page_shows_the_typed_error_and_retry_by_keys(qtbot):
    page = ErrorPage()
    qtbot.addWidget(page)
    page.show()
    err = nrdp.NotEntitled(title_id="t-1", reason="the plan does not include it")
    page.set_error(ErrorInfo.from_dict(err.to_dict()))
    assert page.code.text() == f"Error {err.code} · NotEntitled"
    assert "does not include" in page.message.text()
    assert focused(page) is page.retry_button
    with qtbot.waitSignal(page.retry_requested, timeout=1000):
        press(qtbot, page, Key.Key_Return)
    press(qtbot, page, Key.Key_Right)
    assert focused(page) is page.back_button
    with qtbot.waitSignal(page.back_requested, timeout=1000):
        press(qtbot, page, Key.Key_Escape)


def test_osd_and_controls_hide_while_playing_and_come_back_on_any_key(qtbot, idle_window):
    w = idle_window
    page = w.player_page
    w.set_playback(state="playing", position=12.0, duration=60.0)
    page.osd.set_title("Ocean Deep")
    press(qtbot, w, Key.Key_M)
    assert page.bottom.isVisible() and page.osd.time.text() == "0:12 / 1:00"
    qtbot.waitUntil(lambda: page.bottom.isHidden(), timeout=2000)
    press(qtbot, w, Key.Key_Up)  # any key: everything is back
    assert page.bottom.isVisible() and page.osd.title.text() == "Ocean Deep"
    w.set_playback(state="paused")  # paused: the controls stay
    qtbot.wait(200)
    assert page.bottom.isVisible()


def test_remote_keys_in_the_player(qtbot, idle_window, monkeypatch):
    w = idle_window
    calls: list[str] = []
    for name in ("resume", "pause"):
        monkeypatch.setattr(w.session, name, lambda n=name: calls.append(n))
    monkeypatch.setattr(w.session, "seek", lambda t: calls.append(f"seek {t:g}"))
    w.set_playback(state="playing", position=20.0, duration=60.0)
    press(qtbot, w, Key.Key_MediaPause)
    press(qtbot, w, Key.Key_MediaPlay)
    press(qtbot, w, Key.Key_MediaTogglePlayPause)  # playing: toggles to pause
    press(qtbot, w, Key.Key_AudioForward)
    press(qtbot, w, Key.Key_Right)
    press(qtbot, w, Key.Key_AudioRewind)
    assert calls == ["pause", "resume", "pause", "seek 25", "seek 30", "seek 25"]
    w.set_playback(position=58.0)
    press(qtbot, w, Key.Key_Right)  # not past the end
    assert calls[-1] == "seek 60"
    assert action_for(Key.Key_Space) is PlayerAction.TOGGLE and action_for(0x01FFFFFF) is None
    assert {KEYS[k] for k in (Key.Key_Escape, Key.Key_Backspace)} == {PlayerAction.BACK}


class LiveSnap:
    def __init__(self) -> None:
        self.live = {"latency_s": 3.0}  # live details, no flag


def test_live_badge_follows_the_stats(qtbot, idle_window):
    class Snap:
        is_live = True

    class OldSnap:  # an SDK without live stats
        state = "playing"

    assert is_live(Snap()) and not is_live(OldSnap())
    assert is_live(LiveSnap())
    osd = idle_window.player_page.osd
    osd.set_live(is_live(Snap()))
    assert osd.live_badge.isVisibleTo(osd)
    osd.set_live(is_live(OldSnap()))
    assert not osd.live_badge.isVisibleTo(osd)


def _sprite() -> bytes:
    """A 2x1 tile sheet as PNG bytes: red tile at x 0..159, blue at 160..319."""
    rgb = np.zeros((90, 320, 3), np.uint8)
    rgb[:, :160] = (220, 20, 20)
    rgb[:, 160:] = (20, 20, 220)
    out = io.BytesIO()
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    with av.open(out, "w", format="image2pipe") as c:
        s = c.add_stream("png", rate=1)
        s.width, s.height, s.pix_fmt = 320, 90, "rgb24"
        for packet in (*s.encode(frame), *s.encode()):
            c.mux(packet)
    return out.getvalue()


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


async def test_thumbnail_adapter_tolerates_sdks_without_thumbnails():
    png = _sprite()

    class Old:  # no thumbnail_at
        pass

    class Sync:
        def thumbnail_at(self, t):
            return (png, (160, 0, 160, 90)) if t >= 10 else None

    class Async:
        async def thumbnail_at(self, t):
            return png, Rect(0, 0, 160, 90)

    class Failing:
        def thumbnail_at(self, t):
            raise nrdp.SdkError("no thumbnails")

    assert await thumbnail_of(Old(), 3.0) is None
    assert await thumbnail_of(Sync(), 3.0) is None
    assert await thumbnail_of(Sync(), 12.0) == (png, (160, 0, 160, 90))
    assert await thumbnail_of(Async(), 1.0) == (png, (0, 0, 160, 90))
    assert await thumbnail_of(Failing(), 1.0) is None

    class Sdk:  # nrdp.Player's: async, an nrdp.Thumbnail
        async def thumbnail_at(self, t):
            return nrdp.Thumbnail(png, "image/png", (160, 0, 160, 90), start=10.0, duration=1.0)

    assert await thumbnail_of(Sdk(), 10.5) == (png, (160, 0, 160, 90))
    assert as_rect((1, 2, 0, 4)) is None and as_rect("abcd") is None


def test_seek_preview_shows_the_tile_of_the_sheet(qtbot):
    preview = SeekPreview()
    qtbot.addWidget(preview)
    assert preview.set_thumbnail(75.0, _sprite(), (160, 0, 160, 90))
    assert preview.isVisible() and preview.time.text() == "1:15"
    pix = preview.picture.pixmap().toImage()
    assert _near(pix.pixelColor(pix.width() // 2, pix.height() // 2), QColor(20, 20, 220))
    assert not preview.set_thumbnail(1.0, b"not an image", (0, 0, 10, 10))
    assert preview.isHidden()
    assert not preview.set_thumbnail(1.0, _sprite(), (300, 0, 160, 90))  # outside the sheet


def test_a_key_seek_shows_the_thumbnail_of_the_target(qtbot, idle_window, monkeypatch):
    w = idle_window
    png = _sprite()

    class Thumbs:  # the SDK's thumbnail_at: the second tile for the second half
        def thumbnail_at(self, t):
            return png, (160 if t >= 30 else 0, 0, 160, 90)

    w.session.player = Thumbs()  # read on the loop thread by the adapter only
    monkeypatch.setattr(w.session, "seek", lambda t: None)
    w.set_playback(state="playing", position=28.0, duration=60.0)
    press(qtbot, w, Key.Key_Right)
    preview = w.player_page.preview
    qtbot.waitUntil(lambda: preview.isVisible(), timeout=3000)
    assert preview.time.text() == "0:33" and preview.at == 33.0
    pix = preview.picture.pixmap().toImage()
    assert _near(pix.pixelColor(pix.width() // 2, pix.height() // 2), QColor(20, 20, 220))
    bar = w.player_page.bottom
    assert preview.y() + preview.height() <= bar.y()  # above the seek bar, not over it


def test_reloaded_rows_keep_the_focus_on_the_same_title(qtbot, home):
    press(qtbot, home, Key.Key_Down)
    for _ in range(3):
        press(qtbot, home, Key.Key_Right)
    assert focused(home).card.id == "t-13"
    rows = [(t, v.cards) for t, v in home.rows]
    home.set_home(  # a new first row (a title just watched): the focus follows its title
        HomeState(tuple(Row(t, t, cards) for t, cards in [("New", (card(13),)), *rows]))
    )
    assert home.view.at == (2, 3) and focused(home) is home.rows[2][1].tiles[3]
    home.set_home(HomeState((Row("x", "Other", (card(50), card(51))),)))  # gone: clamped
    assert home.view.at == (0, 1) and focused(home) is home.rows[0][1].tiles[1]


def test_a_held_key_repeats_seeks_but_never_toggles(qtbot, idle_window, monkeypatch):
    w = idle_window
    calls: list[str] = []
    monkeypatch.setattr(w.session, "pause", lambda: calls.append("pause"))
    monkeypatch.setattr(w.session, "seek", lambda t: calls.append(f"seek {t:g}"))
    w.set_playback(state="playing", position=20.0, duration=60.0)
    target = w.focusWidget() or w
    for key in (Key.Key_Return, Key.Key_Right):  # auto-repeated presses, as a held key sends
        ev = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, "", True)
        QApplication.sendEvent(target, ev)
    assert calls == ["seek 25"]
