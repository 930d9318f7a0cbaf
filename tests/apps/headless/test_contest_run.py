"""A whole (tiny) contest through the CLI on the real kernel: rows, simulator prediction,
a browser player skipped with its reason, report and plot written, nothing left behind.
Root only (skipped with the reason otherwise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.headless.cli import main
from apps.headless.netem.stale import namespaces
from apps.headless.netem.sysnet import unavailable_reason

_REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(bool(_REASON), reason=_REASON or "n/a")


def test_tiny_contest_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NRDP_WEB_PLAYERS", str(tmp_path / "no-web-players"))
    traces = tmp_path / "steps"
    traces.mkdir()
    (traces / "a.txt").write_text("0 3000\n2 1500\n4 3000\n6 3000\n")
    before = set(namespaces())
    code = main(
        [
            "contest",
            "--traces",
            str(traces),
            "--title",
            "t-ocean",
            "--catalog",
            "tiny",
            "--players",
            "nrdp:bb,shaka",
            "--rtt",
            "20",
            "--timeout",
            "60",
            "--quiet",
            "--data-dir",
            str(tmp_path / "data"),
            "--report",
            str(tmp_path / "r.json"),
            "--plot",
            str(tmp_path / "p.png"),
        ]
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    assert code == 0, doc["rows"]
    # skipped, saying why: no Playwright package here, or no players in the empty folder
    reason = doc["skipped"]["shaka"]
    assert "no-web-players" in reason or "playwright" in reason.lower(), reason
    (row,) = doc["rows"]
    assert row["player"] == "nrdp:bb" and row["ended"] and row["error"] is None
    assert row["chunks"] == 2 and row["qoe_lin"] is not None and row["startup_s"] > 0.02
    assert row["sim_qoe_lin"] is not None and row["sim_gap"] == pytest.approx(
        row["qoe_lin"] - row["sim_qoe_lin"], abs=1e-3
    )
    assert doc["means"]["steps"]["nrdp:bb"]["traces"] == 1.0
    assert doc["link"]["kind"] == "tun" and (tmp_path / "p.png").stat().st_size > 1000
    assert set(namespaces()) <= before
