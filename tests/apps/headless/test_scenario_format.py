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
    ("net_rtt.yaml", "network:\n  trace: t.txt\n  rtt_ms: -5\nsteps: [stop]\n", 3, "rtt_ms"),
    ("net_key.yaml", "network: {trace: t.txt, delay: 3}\nsteps: [stop]\n", 1, "unknown key"),
    ("net_fmt.yaml", "network:\n  trace: t.txt\n  trace_format: csv\nsteps: [stop]\n", 3, "one of"),
    ("net_file.yaml", "network:\n  trace: nowhere.txt\nsteps: [stop]\n", 2, "cannot read trace"),
    ("net_trace.yaml", "network: {rtt_ms: 40}\nsteps: [stop]\n", 1, "'trace'"),
    ("net_type.yaml", "network:\n  rtt_ms: fast\n  trace: t\nsteps: [stop]\n", 2, "a number"),
    ("net_map.yaml", "network: [t.txt]\nsteps: [stop]\n", 1, "a mapping"),
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


def test_network_key_parses_with_its_trace_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "step.txt").write_text("0 1000\n4 250\n")
    path = tmp_path / "net.yaml"
    path.write_text("network: {trace: traces/step.txt, rtt_ms: 40}\nsteps: [stop]\n")
    net = load_scenario(path).network
    assert net is not None and net.rtt_ms == 40 and net.trace == tmp_path / "traces" / "step.txt"
    assert net.echo() == {"trace": str(net.trace), "rtt_ms": 40, "trace_format": None}
    assert load_scenario(_write(tmp_path, "plain.yaml", "steps: [stop]\n")).network is None


def _write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text)
    return folder / name


def test_a_malformed_network_trace_names_the_trace_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "bad.txt", "0 1000\n1 lots\n")
    path = _write(tmp_path, "net.yaml", "name: x\nnetwork:\n  trace: bad.txt\nsteps: [stop]\n")
    assert main(["scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:" in err and "bad.txt: [9001] bad:2:" in err
