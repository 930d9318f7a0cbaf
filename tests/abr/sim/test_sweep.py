"""Parameter sweeps: the grid is checked against declared tunables before any work, the
summary pairs every configuration with the baseline trace by trace, and a run on this
process equals a run on a process pool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abr import registry
from abr.__main__ import main
from abr.errors import AlgorithmConfigError
from abr.sim.parallel import map_units
from abr.sim.qoe import metrics
from abr.sim.simulator import PENSIEVE, run
from abr.sim.sweep import configurations, parse_grid, run_unit, summarize_sweep, tunables_of, units
from abr.sim.traces import Trace
from abr.sim.video import Video


def test_every_registered_algorithm_declares_tunables_it_accepts() -> None:
    for name in registry.names():
        declared = tunables_of(name)
        assert declared, name
        # every declared parameter is a real constructor keyword (a value at the range's edge)
        for t in declared.values():
            value = t.choices[0] if t.choices else (True if t.kind is bool else t.low)
            value = t.kind(value) if t.kind in (int, float) else value
            registry.create(name, **{t.name: value})


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("horizon=9", "out of range"),
        ("horizon=2.5", "not an integer"),
        ("nosuch=1", "no tunable 'nosuch'"),
        ("horizon", "expected PARAM="),
        ("reserve_fraction=nan", "out of range"),
    ],
)
def test_bad_grids_fail_before_any_work(spec: str, needle: str) -> None:
    with pytest.raises(AlgorithmConfigError) as info:
        parse_grid("horizon", [spec])
    assert needle in str(info.value)


def test_grid_types_and_product() -> None:
    grid = parse_grid("robustmpc", ["horizon=3,5,5", "robust=true,no"])
    assert grid == (("horizon", (3, 5)), ("robust", (True, False)))
    assert configurations(grid) == [
        (("horizon", 3), ("robust", True)),
        (("horizon", 3), ("robust", False)),
        (("horizon", 5), ("robust", True)),
        (("horizon", 5), ("robust", False)),
    ]
    assert parse_grid("bba0", ["mapping=index"]) == (("mapping", ("index",)),)
    with pytest.raises(AlgorithmConfigError):
        parse_grid("bba0", ["mapping=linear"])


def _sets(fcc: list[Trace], hsdpa: list[Trace], n: int) -> dict[str, list[Trace]]:
    return {"fcc": fcc[:n], "hsdpa": hsdpa[:n]}


def test_summary_pairs_each_trace_with_the_baseline(
    envivio: Video, fcc_traces: list[Trace], hsdpa_traces: list[Trace]
) -> None:
    sets = _sets(fcc_traces, hsdpa_traces, 3)
    grid = parse_grid("bola", ["gamma_p_s=2,10"])
    work = units("bola", grid, "robustmpc", sets, envivio, PENSIEVE, chunk=2)
    assert len(work) == 3 * 2 * 2  # (baseline + 2 configs) x 2 sets x 2 chunks of <= 2
    summary = summarize_sweep("bola", grid, "robustmpc", map_units(run_unit, work, 1))
    for config in summary["configs"]:
        gamma = config["params"]["gamma_p_s"]
        for set_name, traces in sets.items():
            entry = config["sets"][set_name]
            wins = losses = 0
            for trace in traces:
                mine = metrics(
                    run(registry.create("bola", gamma_p_s=gamma), trace, envivio, PENSIEVE)
                )
                base = metrics(run(registry.create("robustmpc"), trace, envivio, PENSIEVE))
                assert entry["per_trace"][trace.name] == mine.qoe_lin
                wins += mine.qoe_lin > base.qoe_lin + 1e-9
                losses += mine.qoe_lin < base.qoe_lin - 1e-9
            assert (entry["wins"], entry["losses"]) == (wins, losses)
        assert config["overall"]["traces"] == 6


def test_process_pool_equals_this_process(
    envivio: Video, fcc_traces: list[Trace], hsdpa_traces: list[Trace]
) -> None:
    grid = parse_grid("horizon", ["horizon=3,5"])
    work = units("horizon", grid, "bba0", _sets(fcc_traces, hsdpa_traces, 4), envivio, PENSIEVE, 3)
    here = summarize_sweep("horizon", grid, "bba0", map_units(run_unit, work, 1))
    pool = summarize_sweep("horizon", grid, "bba0", map_units(run_unit, work, 2))
    assert here == pool


def _small_dirs(abr_data_dir: Path, tmp_path: Path) -> list[str]:
    out = []
    for name in ("fcc", "hsdpa"):
        d = tmp_path / name
        d.mkdir()
        for p in sorted((abr_data_dir / "traces" / name).glob("*.txt"))[:2]:
            (d / p.name).write_bytes(p.read_bytes())
        out.append(str(d))
    return out


def test_cli_sweep_json_and_heatmap(abr_data_dir: Path, tmp_path: Path) -> None:
    out, png = tmp_path / "sweep.json", tmp_path / "sweep.png"
    video = str(abr_data_dir / "video" / "envivio.json")
    argv = ["sweep", "--traces", *_small_dirs(abr_data_dir, tmp_path), "--video", video]
    rc = main(
        [
            *argv,
            "--algorithm",
            "horizon",
            "--grid",
            "horizon=3,5",
            "--grid",
            "reserve_weight=0.1,0.3",
            "--workers",
            "1",
            "--json",
            str(out),
            "--plot",
            str(png),
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["baseline"] == "robustmpc"
    assert data["grid"] == {"horizon": [3, 5], "reserve_weight": [0.1, 0.3]}
    assert len(data["configs"]) == 4
    assert set(data["baseline_sets"]) == {"fcc", "hsdpa"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([*argv, "--algorithm", "horizon", "--grid", "horizon=99"]) == 1
