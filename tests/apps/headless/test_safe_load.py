"""Hostile scenario files end in exit 2 with FILE:LINE, never a crash, hang or blow-up.

Regression (issue 17 #12): each of these crashed the CLI with exit 1 (ReaderError,
ConstructorError, TypeError, RecursionError) or, for the alias bomb, ran past 60 s and 6 GB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.headless.__main__ import main
from apps.headless.safe_load import LIMITS
from apps.headless.scenario_format import ScenarioFormatError, load_scenario

PLAY = "steps:\n  - play: {title: t}\n"


def _bomb(levels: int, fan: int) -> str:
    lines = [f"a0: &a0 [{', '.join(['x'] * fan)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]")
    return "\n".join(lines) + f"\nsteps:\n  - play: {{title: *a{levels - 1}}}\n"


HOSTILE = [
    ("control.yaml", "name: x\x01\n" + PLAY, 1, "control character"),
    ("nul_late.yaml", PLAY + "description: a\x00b\n", 3, "control character"),
    ("tag.yaml", "name: !foo x\n" + PLAY, 1, "unknown tag"),
    ("python_tag.yaml", "name: !!python/object:os.system x\n" + PLAY, 1, "unknown tag"),
    ("map_key.yaml", "? {a: 1}\n: 2\n" + PLAY, 1, "mapping key"),
    ("list_key.yaml", PLAY + "? [1, 2]\n: 3\n", 3, "mapping key"),
    (
        "deep.yaml",
        "name: x\nsteps:\n  - play: {title: " + "[" * 5000 + "]" * 5000 + "}\n",
        3,
        "deeper",
    ),
    ("deep.json", '{"name": "x",\n "steps": ' + "[" * 100_000 + "]" * 100_000 + "}", 2, "deeper"),
    ("many_aliases.yaml", _bomb(9, 9), 9, "aliases"),
    ("wide_bomb.yaml", _bomb(5, 12), 5, "expands"),
    ("recursive.yaml", "a: &a [*a]\n" + PLAY, 1, "recursive"),
]


@pytest.mark.parametrize(("name", "text", "line", "needle"), HOSTILE)
def test_hostile_file_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, line: int, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert info.value.line == line, info.value
    assert needle in info.value.reason
    assert main(["scenario", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:{line}:" in err[0]


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(PLAY + "description: " + "x" * LIMITS.max_bytes + "\n")
    with pytest.raises(ScenarioFormatError, match="larger than"):
        load_scenario(path)


def test_aliases_within_the_limits_still_work(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("steps:\n  - play: &p {title: t-ocean}\n  - stop\n  - play: *p\n")
    steps = load_scenario(path).steps
    assert [s.name for s in steps] == ["play", "stop", "play"]
    assert steps[2].args["title"] == "t-ocean"
