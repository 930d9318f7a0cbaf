"""Sweeps and comparisons on a real Dask cluster (``distributed.LocalCluster``, two worker
processes) give exactly the local results, also when a worker is killed mid-sweep."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from abr.__main__ import main
from abr.sim.parallel import map_units
from abr.sim.simulator import PENSIEVE
from abr.sim.sweep import UnitResult, parse_grid, run_unit, summarize_sweep, units
from abr.sim.traces import Trace
from abr.sim.video import Video

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def _dirs(abr_data_dir: Path, tmp_path: Path, n: int) -> list[str]:
    out = []
    for name in ("fcc", "hsdpa"):
        d = tmp_path / name
        d.mkdir()
        for p in sorted((abr_data_dir / "traces" / name).glob("*.txt"))[:n]:
            (d / p.name).write_bytes(p.read_bytes())
        out.append(str(d))
    return out


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_cluster_results_equal_local(
    command: str, cluster: object, abr_data_dir: Path, tmp_path: Path
) -> None:
    video = str(abr_data_dir / "video" / "envivio.json")
    argv = [command, "--traces", *_dirs(abr_data_dir, tmp_path, 3), "--video", video]
    if command == "compare":
        argv += ["--algorithms", "bba0,bola-e,default"]
    else:
        argv += ["--algorithm", "bola", "--grid", "gamma_p_s=2,5", "--chunk", "2"]
    local, remote = tmp_path / "local.json", tmp_path / "remote.json"
    assert main([*argv, "--workers", "1", "--json", str(local)]) == 0
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    assert main([*argv, "--scheduler", address, "--json", str(remote)]) == 0
    assert json.loads(local.read_text()) == json.loads(remote.read_text())


def test_a_killed_worker_loses_no_unit(
    cluster: object, envivio: Video, fcc_traces: list[Trace], hsdpa_traces: list[Trace]
) -> None:
    grid = parse_grid("horizon", ["horizon=2,3,4,5"])
    sets = {"fcc": fcc_traces[:6], "hsdpa": hsdpa_traces[:6]}
    work = units("horizon", grid, "robustmpc", sets, envivio, PENSIEVE, chunk=1)
    expected = summarize_sweep("horizon", grid, "robustmpc", map_units(run_unit, work, 1))

    client = distributed.Client(cluster)
    try:
        pids = sorted(client.run(os.getpid).values())
        assert len(pids) == 2
        killed: list[int] = []

        def kill_once(_: UnitResult) -> None:
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        results = map_units(run_unit, work, progress=kill_once, scheduler=client)
    finally:
        client.close()
    assert killed, "the sweep finished before a worker could be killed"
    assert len(results) == len(work)
    assert summarize_sweep("horizon", grid, "robustmpc", results) == expected
