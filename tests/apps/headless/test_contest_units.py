"""The contest's pure parts: player list, trace selection, rows, means, the title's
ladder and the simulator prediction, and why a browser player is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from abr.sim.traces import parse_trace
from apps.headless.backend import UsageError
from apps.headless.contest.browser import browser_missing
from apps.headless.contest.metrics import browser_row, nrdp_row, qoe_lin_of, set_means
from apps.headless.contest.runner import parse_players, trace_files
from apps.headless.contest.title import read_title, simulate

MPD = """<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT6.0S"
     minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
 <Period id="0" start="PT0S">
  <AdaptationSet id="1" contentType="video" mimeType="video/mp4">
   <SegmentTemplate media="$RepresentationID$/seg-$Number$.m4s"
     initialization="$RepresentationID$/init.mp4" timescale="1000" duration="2000" startNumber="1"/>
   <Representation id="v360" bandwidth="800000" codecs="avc1.42c016" width="640" height="360"/>
   <Representation id="v240" bandwidth="300000" codecs="avc1.42c015" width="426" height="240"/>
  </AdaptationSet>
 </Period>
</MPD>
"""


def test_players_are_validated() -> None:
    assert parse_players("nrdp:horizon, shaka,dashjs,shaka") == ("nrdp:horizon", "shaka", "dashjs")
    for bad in ("nrdp:nope", "vlc", ","):
        with pytest.raises(UsageError):
            parse_players(bad)


def test_trace_files_take_the_first_n_per_set(tmp_path: Path) -> None:
    for d in ("fcc", "hsdpa"):
        (tmp_path / d).mkdir()
        for i in range(3):
            (tmp_path / d / f"t{i}.txt").write_text("0 1000\n1 1000\n")
    got = trace_files([tmp_path / "fcc", tmp_path / "hsdpa"], 2)
    assert [(s, p.name) for s, p in got] == [
        ("fcc", "t0.txt"),
        ("fcc", "t1.txt"),
        ("hsdpa", "t0.txt"),
        ("hsdpa", "t1.txt"),
    ]
    with pytest.raises(UsageError):
        trace_files([tmp_path / "missing"], None)


def test_browser_row_counts_the_last_download_of_each_segment() -> None:
    state = {
        "segments": [
            {"t": 0.3, "number": 1, "rep": "v360", "bitrate_kbps": 800.0},
            {"t": 0.5, "number": 1, "rep": "v240", "bitrate_kbps": 300.0},
            {"t": 2.0, "number": 2, "rep": "v360", "bitrate_kbps": 800.0},
        ],
        "stalls": [[3.0, 0.5]],
        "startup": 0.7,
        "ended": True,
        "buffer": [[0.5, 1.0, 0.0]],
    }
    row = browser_row(state, 4.0)
    assert row["qoe_lin"] == qoe_lin_of([300.0, 800.0], 0.5)
    assert row["qoe_lin"] == pytest.approx((0.3 + 0.8 - 4.3 * 0.5 - 0.5) / 2, abs=1e-4)
    assert row["stall_count"] == 1 and row["switches"] == 1 and row["startup_s"] == 0.7
    assert row["rebuffer_ratio"] == pytest.approx(0.5 / 4.5, abs=1e-4)


_LINK = {"bytes": 1000, "ttfb_s": 0.05, "download_s": 0.2}


def test_nrdp_row_uses_video_segments_only() -> None:
    report = {
        "segments": [
            {"t": 0.1, "track": "audio", "bitrate_kbps": 128.0, **_LINK},
            {"t": 0.2, "track": "video", "bitrate_kbps": 300.0, **_LINK},
            {"t": 2.2, "track": "video", "bitrate_kbps": 300.0, **_LINK},
        ],
        "stall_s": 0.0,
        "stall_count": 0,
        "played_s": 4.0,
        "startup_ms": 900.0,
        "state": "ended",
        "errors": [],
        "timeline": [{"t": 0.2, "buffer_s": 2.0}],
    }
    row = nrdp_row(report)
    assert row["qoe_lin"] == 0.3 and row["chunks"] == 2 and row["startup_s"] == 0.9
    assert row["error"] is None and row["timeline"]["buffer"] == [[0.2, 2.0]]
    assert row["timeline"]["segments"][0] == [0.1, "audio", 1000, 0.05, 0.2]  # audio kept


def test_rel_gap() -> None:
    from apps.headless.contest.metrics import rel_gap

    assert rel_gap(0.9, 1.0) == 0.1 and rel_gap(-0.5, -1.0) == 0.5
    assert rel_gap(None, 1.0) is None and rel_gap(1.0, 0.0) is None


def test_set_means_skip_failed_rows() -> None:
    rows: list[dict[str, object]] = [
        {"set": "fcc", "player": "a", "qoe_lin": 1.0, "error": None},
        {"set": "fcc", "player": "a", "qoe_lin": 0.5, "error": None},
        {"set": "fcc", "player": "a", "error": "boom"},
    ]
    means = set_means(rows)
    assert means["fcc"]["a"]["qoe_lin"] == 0.75 and means["all"]["a"]["traces"] == 2


def _title(tmp_path: Path) -> Path:
    """A packaged title's folder: the MPD and two rungs of three equal segments."""
    title = tmp_path / "t-x"
    title.mkdir()
    (title / "manifest.mpd").write_text(MPD)
    for rep, size in (("v240", 75_000), ("v360", 200_000)):
        (title / rep).mkdir()
        for n in (1, 2, 3):
            (title / rep / f"seg-{n}.m4s").write_bytes(b"\0" * size)
    return title


def test_title_ladder_and_simulation(tmp_path: Path) -> None:
    title = _title(tmp_path)
    ladder = read_title(title)
    assert ladder.rep_ids == ("v240", "v360") and ladder.kbps == (300.0, 800.0)
    assert ladder.segment_s == 2.0 and ladder.sizes == ((75_000,) * 3, (200_000,) * 3)
    fast = parse_trace("0 5000\n10 5000\n", "fast")
    slow = parse_trace("0 200\n10 200\n", "slow")
    hi, lo = simulate("horizon", fast, ladder, 40), simulate("horizon", slow, ladder, 40)
    assert hi["qoe_lin"] > lo["qoe_lin"]
    assert lo["rebuffer_s"] > 0 or lo["avg_bitrate_kbps"] == 300.0


def test_browser_skip_names_the_missing_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NRDP_WEB_PLAYERS", str(tmp_path))
    why = browser_missing("dashjs")
    assert why is not None and ("dash.all.min.js" in why or "playwright" in why)


def test_without_audio_takes_the_audio_share_out() -> None:
    from apps.headless.contest.title import without_audio

    t = without_audio(parse_trace("0 1000\n1 100\n", "x"), 134.0)
    assert t.kbps == (866.0, 5.0) and t.times_s == (0.0, 1.0)


def test_browser_row_counts_an_open_stall_and_flags_a_timeout() -> None:
    state = {
        "segments": [{"t": 0.3, "number": 1, "rep": "v240", "bitrate_kbps": 300.0}],
        "stalls": [],
        "stallOpen": 2.0,
        "startup": 0.5,
        "ended": False,
        "timed_out": True,
        "buffer": [[1.0, 1.0, 0.5], [12.0, 0.0, 2.0]],
    }
    row = browser_row(state, 4.0)
    assert row["rebuffer_s"] == 10.0 and row["stall_count"] == 1
    assert row["error"] == "timed out at 2.0 s of media"


def test_simgap_resimulates_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from apps.headless.contest import simgap

    title = _title(tmp_path)
    (tmp_path / "fcc").mkdir()
    (tmp_path / "fcc" / "a.txt").write_text("0 2000\n10 2000\n")
    rows = [
        {"set": "fcc", "trace": "a.txt", "player": "nrdp:bb", "qoe_lin": 0.3, "error": None},
        {"set": "fcc", "trace": "gone.txt", "player": "nrdp:bb", "qoe_lin": 0.3, "error": None},
        {"set": "fcc", "trace": "a.txt", "player": "shaka", "qoe_lin": 0.3, "error": None},
    ]
    (tmp_path / "r.json").write_text(json.dumps({"rtt_ms": 40, "rows": rows}))
    argv = [str(tmp_path / "r.json"), "--title-dir", str(title), "--traces", str(tmp_path)]
    assert simgap.main(argv) == 0
    table = json.loads(capsys.readouterr().out)
    assert list(table) == ["nrdp:bb"] and table["nrdp:bb"]["rows"] == 1
    assert table["nrdp:bb"]["model_rel"] >= 0 and table["nrdp:bb"]["plain_abs"] >= 0
