"""``play --mpd URL`` of a live stream: FFmpeg's dash muxer encoding in real time, served by
a plain ``http.server``; ``--duration`` is seconds played from the edge and the report has
the live fields. Real time by design (~12 s)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from apps.headless.__main__ import main
from tests.nrdp.test_live_ffmpeg import encode_live, server  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.realtime]


def test_play_mpd_live_reports_latency_and_refreshes(
    tmp_path: Path,
    server: str,  # noqa: F811
) -> None:
    ready = threading.Event()
    encoder = threading.Thread(
        target=encode_live, args=(tmp_path / "live.mpd", server + "/time", ready), daemon=True
    )
    encoder.start()
    assert ready.wait(30)
    report = tmp_path / "r.json"
    args = ["play", "--mpd", server + "/live.mpd", "--duration", "4", "--quiet"]
    rc = main([*args, "--report", str(report)])
    encoder.join(20)
    doc = json.loads(report.read_text())
    assert rc == 0, doc["errors"]
    assert doc["live"] is True and doc["mpd_refreshes"] >= 2
    assert doc["state"] == "stopped" and doc["played_s"] >= 4.0  # seconds played, not a position
    lat = doc["live_latency_s"]
    assert lat["median"] is not None and 0.0 < lat["median"] < 10.0
    assert doc["frames_in_order"] is True and doc["frames_decoded"] > 0
