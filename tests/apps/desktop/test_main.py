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


def test_screenshot_of_a_playing_title(qapp, backend, tmp_path):
    out = tmp_path / "shot.png"
    argv = ["--backend", backend.gateway_url, "--email", backend.demo_email]
    argv += ["--password", backend.demo_password, "--play", "t-desk", "--stats"]
    argv += ["--screenshot", str(out), "--quit-after", "0.5", "--size", "640x420"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "apps.desktop", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"screenshot: {out}" in proc.stdout
    img = QImage(str(out)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert img.height() == 420 and img.width() >= 640  # the controls set a minimum width
    luma = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    assert luma.std() > 20  # a picture, not a blank window


def test_arguments():
    args = parse_args(["--play", "t-ocean", "--quit-after", "2"])
    assert args.backend is None and args.play == "t-ocean" and args.quit_after == 2.0


def test_track_preferences_become_the_player_config(capsys):
    args = parse_args(["--audio", "es", "--subtitles", "en", "--video-path", "yuv"])
    config = args.player_config
    assert (config.preferred_audio_language, config.preferred_text_language) == ("es", "en")
    assert args.video_path == "yuv"
    assert parse_args([]).player_config.preferred_text_language is None
    with pytest.raises(SystemExit):
        parse_args(["--subtitles", "not a language!"])
    assert "--audio/--subtitles" in capsys.readouterr().err


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
