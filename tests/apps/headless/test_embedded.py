"""The no-argument path (`make demo`): an embedded backend packaged on first start, reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.headless.__main__ import main


def test_embedded_first_start_then_reuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo-data"
    report = tmp_path / "r.json"
    common = ["--catalog", "tiny", "--data-dir", str(data), "--speed", "fast"]
    assert main(["play", "t-detect", *common, "--report", str(report)]) == 0
    first = capsys.readouterr()
    assert "First start: packaging the tiny catalog" in first.err
    assert "first frame" in first.err
    assert "QoE summary" in first.out
    assert json.loads(report.read_text())["frames_in_order"] is True
    assert (data / "endpoints.json").is_file()
    # second start reuses the packaged titles; no title given: one is picked from the rows
    assert main(["play", *common, "--report", str(report)]) == 0
    second = capsys.readouterr()
    assert "First start" not in second.err
    r = json.loads(report.read_text())
    assert r["title"] in ("t-ocean", "t-heist", "t-detect")
    assert r["frames_decoded"] == r["frames_expected"] > 0
