"""Scenario files: strict validation, with the file and line at fault (exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.headless.__main__ import main
from apps.headless.scenario_format import ScenarioFormatError, load_scenario, scenario_files

BAD = [
    ("unknown_step.yaml", "steps:\n  - login: {}\n  - teleport: {to: mars}\n", 3, "unknown step"),
    ("bad_arg.yaml", "steps:\n  - play:\n      title: t-ocean\n      sped: fast\n", 4, "sped"),
    ("bad_type.yaml", "steps:\n  - seek: {position: soon}\n", 2, "expected a number"),
    ("missing.yaml", "name: x\nsteps:\n  - play: {}\n", 3, "missing required"),
    ("enum.yaml", "steps:\n  - play: {title: a, speed: warp}\n", 2, "one of"),
    ("no_steps.yaml", "name: x\n", 1, "steps"),
    ("syntax.yaml", "steps:\n  - play: {title: [\n", 3, "invalid YAML"),
    ("top.yaml", "steps: [stop]\nextra: 1\n", 2, "unknown key"),
    ("wait.yaml", "steps:\n  - stop\n  - wait: {}\n", 3, "exactly one"),
    ("neg.yaml", "steps:\n  - wait: {seconds: -1}\n", 2, ">= 0"),
    ("bool.yaml", "steps:\n  - expect: {min_failovers: true}\n", 2, "integer"),
    (
        "bad.json",
        '{"steps": [\n  {"play": {"title": "t"}},\n  {"jump": {}}\n]}\n',
        3,
        "unknown step",
    ),
    ("syntax.json", '{"steps": [\n  {"play": }\n]}\n', 2, "invalid JSON"),
]


@pytest.mark.parametrize(("name", "text", "line", "needle"), BAD)
def test_malformed_file_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, line: int, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert info.value.line == line
    assert needle in info.value.reason
    assert main(["scenario", str(path)]) == 2  # before any backend starts
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:{line}:" in err[0]


def test_directory_with_one_bad_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text("steps: [stop]\n")
    (tmp_path / "b.yaml").write_text("steps:\n  - nope\n")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [p.name for p in scenario_files(tmp_path)] == ["a.yaml", "b.yaml"]
    assert main(["scenario", str(tmp_path)]) == 2
    assert f"{tmp_path / 'b.yaml'}:2:" in capsys.readouterr().err


def test_shipped_scenarios_are_valid(scenarios_dir: Path) -> None:
    files = scenario_files(scenarios_dir)
    assert len(files) >= 7
    for f in files:
        sc = load_scenario(f)
        assert sc.steps and any(s.name == "expect" for s in sc.steps), f


def test_good_file_parses_steps_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "name: ok\nspeed: realtime\nsteps:\n  - login\n  - play: {title: t-ocean, wait: false}\n"
        "  - pause:\n  - expect:\n      max_stalls: 0\n"
    )
    sc = load_scenario(path)
    assert sc.speed == "realtime"
    assert [(s.name, s.line) for s in sc.steps] == [
        ("login", 4), ("play", 5), ("pause", 6), ("expect", 7)
    ]  # fmt: skip
    assert sc.steps[1].args == {"title": "t-ocean", "wait": False}
    assert sc.steps[3].arg_lines == {"max_stalls": 8}


def test_unknown_abr_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "abr.yaml"
    path.write_text("steps:\n  - play:\n      title: t-ocean\n      abr: magic\n")
    assert main(["scenario", str(path)]) == 2
    assert f"{path}:4:" in capsys.readouterr().err
    assert main(["play", "t-ocean", "--abr", "magic", "--backend", "http://127.0.0.1:9"]) == 2
    assert "unknown algorithm 'magic'" in capsys.readouterr().err
