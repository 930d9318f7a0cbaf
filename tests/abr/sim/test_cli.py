"""The command line: compare writes the documented JSON shape and a plot; simulate plots a
session; bad inputs exit 1 with a typed error message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from abr.__main__ import main


@pytest.fixture
def small_sets(abr_data_dir: Path, tmp_path: Path) -> list[Path]:
    """Three traces of each dev set, in directories named like the originals."""
    out = []
    for name in ("fcc", "hsdpa"):
        d = tmp_path / name
        d.mkdir()
        for p in sorted((abr_data_dir / "traces" / name).glob("*.txt"))[:3]:
            shutil.copy(p, d / p.name)
        out.append(d)
    return out


def test_compare_json_shape(
    small_sets: list[Path], abr_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, png = tmp_path / "cmp.json", tmp_path / "cmp.png"
    rc = main(
        [
            "compare",
            "--traces",
            *map(str, small_sets),
            "--video",
            str(abr_data_dir / "video" / "envivio.json"),
            "--algorithms",
            "bb,default",
            "--json",
            str(out),
            "--plot",
            str(png),
            "--workers",
            "1",
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["default"] == "default"
    assert set(data["sets"]) == {"fcc", "hsdpa"}
    for entry in data["sets"].values():
        assert set(entry) == {"bb", "default"}
        for m in entry.values():
            assert set(m) == {
                "qoe_lin_mean",
                "qoe_lin_median",
                "bitrate_kbps",
                "rebuffer_ratio",
                "switches",
                "startup_s",
                "per_trace",
            }
            assert len(m["per_trace"]) == 3
            assert m["qoe_lin_mean"] == pytest.approx(sum(m["per_trace"].values()) / 3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr().out
    assert "fcc" in text and "decisions/s" in text


def test_compare_in_parallel_matches_serial(
    small_sets: list[Path], abr_data_dir: Path, tmp_path: Path
) -> None:
    video = str(abr_data_dir / "video" / "envivio.json")
    results = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.json"
        assert (
            main(
                [
                    "compare",
                    "--traces",
                    str(small_sets[1]),
                    "--video",
                    video,
                    "--algorithms",
                    "robustmpc",
                    "--json",
                    str(out),
                    "--workers",
                    workers,
                ]
            )
            == 0
        )
        results.append(json.loads(out.read_text()))
    assert results[0] == results[1]


def test_simulate_plot(abr_data_dir: Path, tmp_path: Path) -> None:
    trace = sorted((abr_data_dir / "traces" / "hsdpa").glob("*.txt"))[0]
    png, js = tmp_path / "s.png", tmp_path / "s.json"
    rc = main(
        [
            "simulate",
            "--trace",
            str(trace),
            "--video",
            str(abr_data_dir / "video" / "envivio.json"),
            "--algorithm",
            "bba2",
            "--plot",
            str(png),
            "--json",
            str(js),
        ]
    )
    assert rc == 0
    assert png.stat().st_size > 10_000
    log = json.loads(js.read_text())
    assert log["algorithm"] == "bba2" and len(log["chunks"]) == 48


def test_errors_exit_1(
    abr_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("0 100\n1 oops\n")
    video = str(abr_data_dir / "video" / "envivio.json")
    assert main(["simulate", "--trace", str(bad), "--video", video]) == 1
    assert "[9001]" in capsys.readouterr().err and "bad.txt:2" in str(bad) + ":2"
    assert main(["simulate", "--trace", str(bad), "--video", video, "--algorithm", "x"]) == 1
    assert "[9003]" in capsys.readouterr().err
    assert main(["simulate", "--trace", str(bad), "--video", str(bad)]) == 1
    assert "[9002]" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["compare"])
