"""The ``inspect`` CLI: text and JSON output for real corpus files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from manifest.__main__ import main


def test_json_summary_of_encrypted_segment_base(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus_dir / "cenc/packager_cbcs/output.mpd"
    assert main(["inspect", str(path), "--json", "--base-url", "https://cdn.example/x/o.mpd"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["type"] == "static" and out["media_presentation_duration"] == pytest.approx(
        2.736, 1e-3
    )
    aset = out["periods"][0]["adaptation_sets"][0]
    rep = aset["representations"][0]
    assert rep["addressing"] == "SegmentBase"
    assert rep["segment_count"] is None and rep["addressing_error"]["code"] == 3009
    assert rep["init"] == {
        "url": "https://cdn.example/x/bear-640x360-audio.mp4",
        "byte_range": "0-1022",
    }
    cp = {c["scheme"]: c for c in rep["content_protection"]}
    assert cp["cbcs"]["default_kid"] == "31323334-3536-3738-3930-313233343536"
    systems = [c["system_id"] for c in rep["content_protection"]]
    assert "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" in systems
    assert rep["base_url_candidates"][0]["url"] == "https://cdn.example/x/bear-640x360-audio.mp4"


def test_json_segments_and_license_url(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus_dir / "mpd/androidx__sample_mpd_clear_key_license_url.mpd"
    assert main(["inspect", str(path), "--json", "--base-url", "https://h.example/m.mpd"]) == 0
    out = json.loads(capsys.readouterr().out)
    rep = out["periods"][0]["adaptation_sets"][0]["representations"][0]
    assert rep["segment_count"] == 3
    assert [s["url"] for s in rep["first_segments"]] == [
        "https://h.example/sq/0",
        "https://h.example/sq/1",
        "https://h.example/sq/2",
    ]
    assert rep["last_segment"]["number"] == 2
    assert rep["total_duration"] == pytest.approx(6.006)
    licenses = [c["license_url"] for c in rep["content_protection"] if c["license_url"]]
    assert licenses == ["https://testserver1.test/AcquireLicense"]


def test_text_output_and_live_now(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = corpus_dir / "mpd/androidx__sample_mpd_segment_template.mpd"
    assert main(["inspect", str(path), "--now", "2016-10-14T17:00:40Z"]) == 0
    text = capsys.readouterr().out
    assert "MPD dynamic" in text and "Representation id=" in text and "segments=" in text


def test_errors_exit_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.mpd"
    bad.write_bytes(b"<MPD><Period></MPD>")
    assert main(["inspect", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == 3001
    assert main(["inspect", str(tmp_path / "missing.mpd")]) == 2
    assert main(["inspect", str(bad), "--now", "yesterday"]) == 2


def test_module_entry_point(corpus_dir: Path) -> None:
    path = corpus_dir / "mpd/shakaplayer__6339_master.mpd"
    proc = subprocess.run(
        [sys.executable, "-m", "manifest", "inspect", str(path), "--json"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    reps = json.loads(proc.stdout)["periods"][0]["adaptation_sets"][1]["representations"]
    assert reps[0]["segment_count"] == 12
