"""Controls render the state they are given and emit intents; they never drive a player."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

import nrdp
from apps.desktop.app_state import PlaybackState, QualityOption, TrackOption
from apps.desktop.controls import PlayerControls

QUALITIES = (QualityOption(0, 240, 300), QualityOption(1, 360, 700))


def make(qtbot, **state):
    c = PlayerControls()
    qtbot.addWidget(c)
    c.resize(900, 40)
    c.set_state(PlaybackState(**state))
    return c


def test_state_is_rendered(qtbot):
    c = make(qtbot, state="playing", position=65, duration=125, qualities=QUALITIES, quality=1)
    assert c.play_button.text() == "Pause"
    assert c.time_label.text() == "1:05 / 2:05"
    assert c.quality_button.text() == "Quality: 360p"
    c.set_state(PlaybackState(state="paused", volume=0.3, muted=True))
    assert c.play_button.text() == "Play" and c.volume.value() == 30
    assert c.mute_button.isChecked() and c.quality_button.text() == "Quality: Auto"


def test_play_button_emits_the_intent_for_the_current_state(qtbot):
    c = make(qtbot, state="paused")
    with qtbot.waitSignal(c.play_requested, timeout=1000):
        qtbot.mouseClick(c.play_button, Qt.MouseButton.LeftButton)
    c.set_state(PlaybackState(state="playing"))
    with qtbot.waitSignal(c.pause_requested, timeout=1000):
        qtbot.mouseClick(c.play_button, Qt.MouseButton.LeftButton)


def test_seek_bar_click_asks_for_that_time(qtbot):
    c = make(qtbot, state="playing", position=10, buffered_to=40, duration=100)
    bar = c.seek_bar
    with qtbot.waitSignal(c.seek_requested, timeout=1000) as sig:
        qtbot.mouseClick(
            bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() // 4, bar.height() // 2)
        )
    assert abs(sig.args[0] - 25.0) < 100 / bar.width() + 1e-6
    assert (bar.position, bar.buffered_to, bar.duration) == (10, 40, 100)


def test_menus_and_sliders_emit_intents(qtbot):
    c = make(
        qtbot,
        qualities=QUALITIES,
        audio_tracks=(TrackOption("a-en", "en"), TrackOption("a-es", "es")),
    )
    labels = [a.text() for a in c.quality_menu.actions()]
    assert labels == ["Auto", "360p (700 kb/s)", "240p (300 kb/s)"]
    got = []
    c.quality_requested.connect(got.append)
    c.quality_menu.actions()[2].trigger()
    c.quality_menu.actions()[0].trigger()
    assert got == [0, None]
    tracks = []
    c.audio_track_requested.connect(tracks.append)
    c.audio_menu.actions()[1].trigger()
    assert tracks == ["a-es"] and c.audio_button.isEnabled()
    assert not c.subtitle_button.isEnabled()
    with qtbot.waitSignal(c.volume_changed, timeout=1000) as sig:
        c.volume.setValue(50)
    assert sig.args == [0.5]
    with qtbot.waitSignal(c.mute_toggled, timeout=1000) as sig:
        c.mute_button.click()
    assert sig.args == [True]
    with qtbot.waitSignals([c.stats_toggled, c.fullscreen_toggled], timeout=1000):
        c.stats_button.click()
        c.fullscreen_button.click()


def test_track_menus_from_the_players_track_list(qtbot):
    en = nrdp.TrackInfo("a-en", "audio", "en", "English", "mp4a.40.2", 2, ("main",), True)
    de = nrdp.TrackInfo("a-de", "audio", "de", None, "mp4a.40.2", 6, ("dub",), False)
    subs = nrdp.TrackInfo("s-fr", "text", "fr", "Français", "wvtt", None, ("subtitle",))
    audio = tuple(TrackOption.from_info(t) for t in (en, de))
    assert audio == (
        TrackOption("a-en", "English (en) 2ch", True),
        TrackOption("a-de", "de 6ch [dub]"),
    )
    text = (TrackOption.from_info(subs),)
    c = make(qtbot, audio_tracks=audio, subtitle_tracks=text)
    labels = [(a.text(), a.isChecked()) for a in c.audio_menu.actions()]
    assert labels == [("English (en) 2ch", True), ("de 6ch [dub]", False)]
    assert [(a.text(), a.isChecked()) for a in c.subtitle_menu.actions()] == [
        ("Off", True),
        ("Français (fr)", False),
    ]
    assert c.subtitle_button.isEnabled()
    got = []
    c.audio_track_requested.connect(got.append)
    c.subtitle_requested.connect(got.append)
    c.audio_menu.actions()[1].trigger()
    c.subtitle_menu.actions()[1].trigger()
    c.subtitle_menu.actions()[0].trigger()
    assert got == ["a-de", "s-fr", None]
    c.set_state(PlaybackState(subtitle_tracks=(TrackOption("s-fr", "Français (fr)", True),)))
    assert [a.isChecked() for a in c.subtitle_menu.actions()] == [False, True]
