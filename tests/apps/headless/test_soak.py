"""``load --chaos SEED``: a short soak (the long one is a command, docs/headless.md "Soak")
reports every play's frames, exceptions, RSS over time and start/end resource counts."""

from __future__ import annotations

import json
from pathlib import Path

from apps.headless.__main__ import main
from apps.headless.backend import BackendInfo
from apps.headless.soak import soak_verdict

Backend = tuple[BackendInfo, Path]


def test_short_soak_loses_no_frame(backend: Backend, tmp_path: Path) -> None:
    _, endpoints = backend
    report = tmp_path / "soak.json"
    argv = ["load", "--endpoints", str(endpoints), "--sessions", "2", "--duration", "20"]
    argv += ["--chaos", "11", "--kill-every", "5", "--sample-every", "4"]
    rc = main([*argv, "--quiet", "--report", str(report)])
    doc = json.loads(report.read_text())
    assert rc == 0, doc["verdict"]
    v = doc["verdict"]
    assert v["plays"] >= 2 and v["plays_decoded"] >= 1
    assert v["plays_lost_frames"] == 0 and v["sessions_failed"] == 0
    assert doc["unhandled_exceptions"] == []
    assert [s["decode"] for s in doc["sessions"]] == [True, False]  # mixed
    assert all(p["frames_ok"] is not False for s in doc["sessions"] for p in s["plays"])
    assert doc["chaos"]["health"] == "ok" and doc["chaos"]["taken_down"] == []
    assert doc["kills"] and all("victim" in k for k in doc["kills"]), doc["kills"]
    assert len(doc["samples"]) >= 4 and doc["rss"]["start_mb"] > 0
    assert set(doc["leaks"]) >= {"fds", "threads", "tasks", "new_thread_kinds"}
    assert doc["soak"]["seed"] == 11


def test_verdict_catches_a_short_decode_off_play() -> None:
    def play(decoded: bool, slots: int, state: str = "ended") -> dict[str, object]:
        return {
            "title": "t",
            "state": state,
            "decoded": decoded,
            "slots": slots,
            "frames_expected": 96,
            "frames_dropped": 0,
            "frames_in_order": decoded,
            "complete": decoded,
            "failovers": 0,
        }

    sessions = [
        {"session": 0, "plays": [play(True, 96)]},
        {"session": 1, "plays": [play(False, 96), play(False, 95), play(False, 96, "error")]},
        {"session": 2, "plays": [{**play(False, 0, "error"), "errors": [3001]}]},
    ]
    v = soak_verdict(sessions)
    assert v["slots_per_title"] == {"t": 96}
    assert v["plays_lost_frames"] == 2 and [x["play"] for x in v["lost"]] == [1, 2]
    # refused before its first frame (a service was down): counted apart, not a loss
    assert v["plays_refused"] == 1 and v["refused_codes"] == {"3001": 1}
