"""``python -m apps.desktop --backend URL --play T --screenshot P``: signs in, plays, saves.

Run as a real subprocess (the CLI as users run it), against the test backend on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

from apps.desktop.__main__ import parse_args


def run_app(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m apps.desktop ARGV`` as users run it (offscreen)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "apps.desktop", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_screenshot_of_a_playing_title(qapp, backend, tmp_path):
    out = tmp_path / "shot.png"
    argv = ["--backend", backend.gateway_url, "--email", backend.demo_email]
    argv += ["--password", backend.demo_password, "--play", "t-desk", "--stats"]
    argv += ["--screenshot", str(out), "--quit-after", "0.5", "--size", "640x420"]
    proc = run_app(argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"screenshot: {out}" in proc.stdout
    img = QImage(str(out)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert img.height() == 420 and img.width() >= 640  # the controls set a minimum width
    luma = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    assert luma.std() > 20  # a picture, not a blank window


def test_arguments():
    args = parse_args(["--play", "t-ocean", "--quit-after", "2"])
    assert args.backend is None and args.play == "t-ocean" and args.quit_after == 2.0


def test_mpd_and_keys_become_an_open_source(capsys):
    kid, key = "00112233445566778899aabbccddeeff", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    args = parse_args(["--mpd", "http://127.0.0.1:1/x.mpd", "--key", f"{kid}:{key}"])
    assert args.source.mpd_url == "http://127.0.0.1:1/x.mpd" and args.play is args.source
    assert list(args.source.drm.keys) == [bytes.fromhex(kid)]
    for bad in (["--key", f"{kid}:{key}"], ["--mpd", "http://h/x.mpd", "--key", "nonsense"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    assert "--key" in capsys.readouterr().err


def test_track_preferences_become_the_player_config(capsys):
    args = parse_args(["--audio", "es", "--subtitles", "en", "--video-path", "yuv"])
    config = args.player_config
    assert (config.preferred_audio_language, config.preferred_text_language) == ("es", "en")
    assert args.video_path == "yuv"
    assert parse_args([]).player_config.preferred_text_language is None
    with pytest.raises(SystemExit):
        parse_args(["--subtitles", "not a language!"])
    assert "--audio/--subtitles" in capsys.readouterr().err


@pytest.mark.parametrize("screen", ["details", "error"])
def test_screenshot_of_a_chosen_screen(qapp, backend, tmp_path, screen):
    out = tmp_path / f"{screen}.png"
    argv = ["--backend", backend.gateway_url, "--email", backend.demo_email]
    argv += ["--password", backend.demo_password, "--screenshot", str(out)]
    argv += ["--screenshot-screen", screen, "--quit-after", "0.3", "--size", "1024x640"]
    proc = run_app(argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = QImage(str(out)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert (img.width(), img.height()) == (1024, 640)
    luma = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    assert luma.mean() < 60 and luma.max() > 200  # the dark theme, with light text on it
    if screen == "error":  # the accent-red code line of the error page is in the picture
        rgb = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
        px = np.frombuffer(rgb.constBits(), np.uint8, rgb.sizeInBytes())
        px = px.reshape(640, rgb.bytesPerLine())[:, : 1024 * 3].reshape(640, 1024, 3)
        assert ((px[..., 0] > 180) & (px[..., 1] < 60)).sum() > 50


def test_screen_argument_is_checked(capsys):
    assert parse_args(["--screenshot-screen", "details"]).screenshot_screen == "details"
    with pytest.raises(SystemExit):
        parse_args(["--screenshot-screen", "settings"])


def test_abr_flag_takes_registry_and_plugin_names(capsys, tmp_path, monkeypatch):
    assert parse_args([]).player_config.abr.algorithm == "default"
    assert parse_args(["--abr", "bola"]).player_config.abr.algorithm == "bola"
    (tmp_path / "zz_desktop_abr.py").write_text(
        "class Mine:\n    name = 'mine'\n    def choose(self, obs): ...\n    def reset(self): ...\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    args = parse_args(["--abr", "zz_desktop_abr:Mine"])
    assert args.player_config.abr.algorithm == "zz_desktop_abr:Mine"
    for bad in ("no-such-algorithm", "zz_desktop_abr:Missing"):
        with pytest.raises(SystemExit) as info:
            parse_args(["--abr", bad])
        assert info.value.code == 2
        assert "--abr" in capsys.readouterr().err
