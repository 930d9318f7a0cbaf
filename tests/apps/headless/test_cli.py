"""End to end: the CLI against an embedded backend with real encrypted titles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from apps.headless.__main__ import main
from apps.headless.backend import BackendInfo

Backend = tuple[BackendInfo, Path]


def _junit_counts(path: Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    failures = len(root.findall("./testsuite/testcase/failure"))
    errors = len(root.findall("./testsuite/testcase/error"))
    assert int(root.get("tests", "-1")) == len(cases)
    assert int(root.get("failures", "-1")) == failures
    assert int(root.get("errors", "-1")) == errors
    return len(cases), failures, errors


def test_play_report_junit_and_plot(backend: Backend, tmp_path: Path) -> None:
    _, endpoints = backend
    report, junit, plot = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "p.png"
    rc = main(
        [
            "play",
            "t-ocean",
            "--endpoints",
            str(endpoints),
            "--speed",
            "fast",
            "--quiet",
            "--report",
            str(report),
            "--junit",
            str(junit),
            "--plot",
            str(plot),
        ]
    )
    assert rc == 0
    r = json.loads(report.read_text())
    for key in (
        "title", "frames_decoded", "frames_expected", "frames_in_order", "startup_ms",
        "stall_count", "rebuffer_ratio", "avg_bitrate_kbps", "switches", "failovers",
        "errors", "qoe", "segments", "events",
    ):  # fmt: skip
        assert key in r, key
    assert r["title"] == "t-ocean" and r["state"] == "ended"
    assert r["frames_in_order"] is True
    # One timebase (docs/nrdp.md): the device clock, from the moment load() was called.
    loading = next(e for e in r["events"] if e["type"] == "StateChanged" and e["new"] == "loading")
    assert loading["at"] < 0.05
    assert 0 < r["first_frame_s"] <= max(e["at"] for e in r["events"])
    assert r["frames_decoded"] == r["frames_expected"] == 96  # 4 s at 24 fps
    assert r["errors"] == [] and r["stall_count"] == 0
    assert r["qoe"]["qoe_lin"] > 0
    video = [s for s in r["segments"] if s["track"] == "video"]
    assert [s["number"] for s in video] == [1, 2]
    assert all(s["bytes"] > 10_000 and s["oca"].startswith("oca-") for s in video)
    assert r["avg_bitrate_kbps"] == pytest.approx(
        sum(s["bitrate_kbps"] for s in video) / len(video), abs=0.2
    )
    assert _junit_counts(junit) == (4, 0, 0)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_abr_docs_example_plays_in_the_headless_player(
    backend: Backend, tmp_path: Path, doc_blocks, repo_root: Path, monkeypatch
) -> None:
    """docs/abr.md's plug-in, saved as the page says, named ``my_abr:Cautious``: the player
    builds it through the registry and every video segment is its choice (a 4 s title never
    buffers 10 s, so: the lowest rung). A control plug-in that always takes the top rung
    shows the choice is the plug-in's, whatever the machine's load."""
    _, endpoints = backend
    [block] = [b for b in doc_blocks(repo_root / "docs" / "abr.md") if b.file == "my_abr.py"]
    (tmp_path / "my_abr.py").write_text(block.code)
    (tmp_path / "my_abr_top.py").write_text(
        "from abr import Decision\n\n\nclass Top:\n    name = 'top'\n\n"
        "    def choose(self, obs):\n"
        "        return Decision(len(obs.ladder.bitrates_kbps) - 1, 'top')\n\n"
        "    def reset(self):\n        pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_abr", raising=False)
    reports = {}
    for algo in ("my_abr:Cautious", "my_abr_top:Top"):
        out = tmp_path / f"{algo.replace(':', '-')}.json"
        args = ["play", "t-ocean", "--endpoints", str(endpoints), "--speed", "fast", "--quiet"]
        assert main([*args, "--abr", algo, "--report", str(out)]) == 0
        reports[algo] = json.loads(out.read_text())
    mine = reports["my_abr:Cautious"]
    assert mine["abr"] == "my_abr:Cautious" and mine["frames_in_order"] is True
    video = [s for s in mine["segments"] if s["track"] == "video"]
    assert video and all(s["rung"] == 0 for s in video)
    top_video = [s for s in reports["my_abr_top:Top"]["segments"] if s["track"] == "video"]
    assert top_video and all(s["rung"] == 2 for s in top_video)  # t-ocean: 3 rungs
    sys.modules.pop("my_abr", None)
    sys.modules.pop("my_abr_top", None)


def test_play_with_trace_and_duration(
    backend: Backend, tmp_path: Path, scenarios_dir: Path
) -> None:
    _, endpoints = backend
    report = tmp_path / "r.json"
    trace = scenarios_dir / "traces" / "dip.txt"
    rc = main(
        [
            "play",
            "t-ocean",
            "--endpoints",
            str(endpoints),
            "--speed",
            "fast",
            "--quiet",
            "--trace",
            str(trace),
            "--duration",
            "1.0",
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    r = json.loads(report.read_text())
    assert r["frames_in_order"] is True
    assert 0 < r["frames_decoded"] == r["frames_expected"] <= 96
    # paced by the trace (3000 kbit/s at most), so no segment arrived faster than that
    video = [s for s in r["segments"] if s["track"] == "video"]
    assert all(s["bytes"] * 8 / s["download_s"] / 1000 < 3600 for s in video)


def test_shipped_scenarios_hold(backend: Backend, tmp_path: Path, scenarios_dir: Path) -> None:
    _, endpoints = backend
    report, junit = tmp_path / "s.json", tmp_path / "s.xml"
    rc = main(
        [
            "scenario",
            str(scenarios_dir),
            "--endpoints",
            str(endpoints),
            "--quiet",
            "--report",
            str(report),
            "--junit",
            str(junit),
        ]
    )
    doc = json.loads(report.read_text())
    failing = [
        (s["name"], s["error"], [a for a in s["assertions"] if not a["passed"]])
        for s in doc["scenarios"]
        if s["status"] != "passed"
    ]
    assert rc == 0, failing
    files = [p for p in scenarios_dir.iterdir() if p.suffix in (".yaml", ".json")]
    assert doc["passed"] == len(files) >= 7
    n_assertions = sum(len(s["assertions"]) for s in doc["scenarios"])
    assert _junit_counts(junit) == (n_assertions, 0, 0)
    by_name = {s["name"]: s for s in doc["scenarios"]}
    assert by_name["OCA killed mid-play"]["sessions"][0]["failovers"] >= 1
    assert 7104 in by_name["Not entitled"]["sessions"][0]["errors"]


def test_failing_scenario_exits_1(backend: Backend, tmp_path: Path) -> None:
    _, endpoints = backend
    sc = tmp_path / "bad_hope.yaml"
    sc.write_text(
        "name: hope\nsteps:\n  - fault: {oca: all, down: true}\n  - play: {title: t-ocean}\n"
        "  - expect: {no_errors: true, frames_complete: true}\n"
    )
    junit = tmp_path / "j.xml"
    rc = main(
        ["scenario", str(sc), "--endpoints", str(endpoints), "--quiet", "--junit", str(junit)]
    )
    assert rc == 1
    assert _junit_counts(junit) == (2, 2, 0)


def test_load_small(backend: Backend, tmp_path: Path, scenarios_dir: Path) -> None:
    _, endpoints = backend
    report = tmp_path / "load.json"
    rc = main(
        [
            "load",
            "--trace-set",
            str(scenarios_dir / "traces"),
            "--sessions",
            "3",
            "--endpoints",
            str(endpoints),
            "--quiet",
            "--title",
            "t-ocean",
            "--title",
            "t-detect",
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    doc = json.loads(report.read_text())
    agg = doc["aggregate"]
    assert agg["sessions"] == 3 and agg["ended"] == 3 and agg["errors"] == {}
    assert agg["frames_in_order"] is True
    assert [s["title"] for s in doc["sessions"]] == ["t-ocean", "t-detect", "t-ocean"]
    assert sum(c["playbacks"] for c in doc["cells"]) >= 3
    # the trace-set path ran (one trace for every OCA) and every session still completed
    for r in doc["sessions"]:
        assert r["qoe"] is not None and r["frames_decoded"] == r["frames_expected"]


def test_unreachable_backend_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "play",
            "t-ocean",
            "--backend",
            "http://127.0.0.1:9",
            "--email",
            "a@b.c",
            "--password",
            "x",
            "--quiet",
            "--speed",
            "fast",
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "unreachable" in err[-1]


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--speed", "warp"]) == 2
    assert "invalid choice" in capsys.readouterr().err
