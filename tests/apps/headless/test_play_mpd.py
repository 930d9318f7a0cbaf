"""``play --mpd``: an open MPD (FFmpeg's dash muxer, two Periods) from a plain
``http.server``, with no backend; report fields, and exit code 2 for bad sources."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.headless.__main__ import main
from tests.nrdp.ffmpeg_dash import FPS, LADDER_B, make_ffmpeg_dash, two_period_mpd

KID, KEY = "00112233445566778899aabbccddeeff", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("mpd-cli")
    a = make_ffmpeg_dash(root / "pa", timeline=True, frames=24)
    b = make_ffmpeg_dash(root / "pb", timeline=False, ladder=LADDER_B, frames=24, ts_offset=5.0)
    two_period_mpd(root, a, b, 5.0)
    make_ffmpeg_dash(
        root / "enc",
        timeline=True,
        ladder=LADDER_B[:1],
        frames=24,
        key=(bytes.fromhex(KID), bytes.fromhex(KEY)),
    )
    (root / "page.html").write_text("<html><body>no</body></html>")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root
    server.shutdown()
    server.server_close()


def test_play_mpd_two_periods_reports_every_frame(origin, tmp_path: Path) -> None:
    url, _ = origin
    report = tmp_path / "r.json"
    rc = main(
        ["play", "--mpd", url + "two.mpd", "--speed", "fast", "--quiet", "--report", str(report)]
    )
    doc = json.loads(report.read_text())
    assert rc == 0, doc["errors"]
    assert doc["periods_played"] == 2
    assert doc["frames_decoded"] == doc["frames_expected"] == 48
    assert doc["frames_in_order"] is True and doc["state"] == "ended"
    assert doc["title_duration_s"] == pytest.approx(48 / FPS)


def test_play_mpd_with_key_decrypts(origin, tmp_path: Path) -> None:
    url, _ = origin
    report = tmp_path / "r.json"
    rc = main(
        [
            "play",
            "--mpd",
            url + "enc/manifest.mpd",
            "--key",
            f"{KID}:{KEY}",
            "--speed",
            "fast",
            "--quiet",
            "--report",
            str(report),
        ]
    )
    doc = json.loads(report.read_text())
    assert rc == 0, doc["errors"]
    assert doc["frames_decoded"] == doc["frames_expected"] == 24


@pytest.mark.parametrize(
    ("path", "extra", "code"),
    [
        ("missing.mpd", [], 2010),
        ("page.html", [], None),
        ("enc/manifest.mpd", [], 7103),
        ("enc/manifest.mpd", ["--key", f"{KID}:{'00' * 16}"], 4004),
    ],
    ids=["404", "html", "no-key", "wrong-key"],
)
def test_bad_sources_exit_2_with_a_typed_error(origin, tmp_path, path, extra, code) -> None:
    url, _ = origin
    report = tmp_path / "r.json"
    rc = main(
        ["play", "--mpd", url + path, *extra, "--speed", "fast", "--quiet", "--report", str(report)]
    )
    doc = json.loads(report.read_text())
    assert rc == 2
    assert doc["state"] == "error" and doc["errors"]
    if code is not None:
        assert doc["errors"][0] == code
    else:
        assert 3000 <= doc["errors"][0] < 4000  # a manifest error


def test_key_without_mpd_is_a_usage_error() -> None:
    assert main(["play", "t-ocean", "--key", f"{KID}:{KEY}"]) == 2
