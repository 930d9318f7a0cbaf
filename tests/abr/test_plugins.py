"""Custom algorithms without editing the package: ``module:Class`` names and the
``nrdp_sdk.abr`` entry-point group, resolved by the one registry; docs/abr.md's example runs
in the simulator as written (the headless player runs it in tests/apps/headless)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from abr import registry
from abr.errors import AlgorithmConfigError, UnknownAlgorithmError
from abr.sim.cli import main as abr_main

PLUGIN = """
from abr import Decision


class Top:
    name = "top"

    def __init__(self, cap=None):
        self.cap = cap

    def choose(self, obs):
        top = len(obs.ladder.bitrates_kbps) - 1
        return Decision(top if self.cap is None else min(top, self.cap), "top")

    def reset(self):
        pass


class NotAnAlgorithm:
    pass
"""


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "zz_abr_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("zz_abr_plugin", None)


def _entry_point(root: Path, name: str, value: str) -> None:
    """A real installed distribution's metadata: importlib.metadata finds it on sys.path."""
    info = root / "zz_abr_plugin_dist-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: zz-abr-plugin-dist\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[nrdp_sdk.abr]\n{name} = {value}\n")


def test_module_class_names_build_the_class_with_its_parameters(plugin_dir: Path) -> None:
    algo = registry.create("zz_abr_plugin:Top", cap=2)
    assert type(algo).__name__ == "Top" and algo.cap == 2  # type: ignore[attr-defined]
    registry.check("zz_abr_plugin:Top")


def test_entry_points_add_short_names(plugin_dir: Path) -> None:
    assert "zz-top" not in registry.names()
    _entry_point(plugin_dir, "zz-top", "zz_abr_plugin:Top")
    assert "zz-top" in registry.names()
    assert type(registry.create("zz-top")).__name__ == "Top"


@pytest.mark.parametrize(
    "name",
    ["zz_no_such_module:Top", "zz_abr_plugin:Missing", "zz_abr_plugin:NotAnAlgorithm", ":Top"],
)
def test_broken_plugins_are_typed_config_errors(plugin_dir: Path, name: str) -> None:
    with pytest.raises(AlgorithmConfigError) as info:
        registry.create(name)
    assert info.value.code == 9004 and info.value.parameter == "name"


def test_unknown_plain_names_stay_unknown() -> None:
    with pytest.raises(UnknownAlgorithmError):
        registry.check("zz-nothing-by-this-name")


def test_the_docs_example_runs_in_the_simulator(
    doc_blocks, repo_root: Path, abr_data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    [block] = [b for b in doc_blocks(repo_root / "docs" / "abr.md") if b.file == "my_abr.py"]
    (tmp_path / "my_abr.py").write_text(block.code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_abr", raising=False)
    out = tmp_path / "log.json"
    trace = sorted((abr_data_dir / "traces" / "fcc").iterdir())[0]
    rc = abr_main(
        [
            "simulate",
            "--trace", str(trace),
            "--video", str(abr_data_dir / "video" / "envivio.json"),
            "--algorithm", "my_abr:Cautious",
            "--json", str(out),
        ]
    )  # fmt: skip
    assert rc == 0
    log = json.loads(out.read_text())
    assert log["algorithm"] == "cautious"
    chunks = log["chunks"]
    # (the simulator fetches chunk 0 at its fixed start rung, as Pensieve does)
    assert all(c["rung"] == 0 for c in chunks[1:] if c["reason"] == "filling the buffer")
    assert any(c["reason"] == "filling the buffer" for c in chunks[1:])
    assert any(c["reason"].startswith("last download") for c in chunks)
    sys.modules.pop("my_abr", None)
