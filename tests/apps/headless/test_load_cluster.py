"""``load --scheduler``: sessions spread over the workers of a real Dask ``LocalCluster``
(two worker processes) come back as one merged report with per-worker cost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from apps.headless.backend import BackendInfo
from apps.headless.cluster import shards
from apps.headless.faults import ControlClient
from apps.headless.load import run_load

distributed = pytest.importorskip("distributed")

Backend = tuple[BackendInfo, Path]


def test_shards_are_round_robin_and_never_empty() -> None:
    specs = list(range(7))
    assert shards(specs, 2) == [[0, 2, 4, 6], [1, 3, 5]]  # type: ignore[arg-type]
    assert shards(specs[:1], 4) == [[0]]  # type: ignore[arg-type]


def test_six_sessions_over_two_workers_merge_into_one_report(backend: Backend) -> None:
    info, _ = backend
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:

        async def go() -> dict:
            async with ControlClient(info.control_url, info.oca_ids) as control:
                return await run_load(
                    info,
                    control,
                    sessions=6,
                    titles=["t-ocean", "t-detect"],
                    realtime=False,
                    decode=False,
                    duration=None,
                    trace_set=None,
                    accounts="balanced",
                    timeout=120.0,
                    scheduler=cluster.scheduler_address,
                )

        doc = asyncio.run(go())
    sessions = doc["sessions"]
    assert [s["session"] for s in sessions] == list(range(6))
    assert all(s["state"] == "ended" and s["errors"] == [] for s in sessions)
    assert doc["aggregate"]["sessions"] == 6 and doc["aggregate"]["failed"] == 0
    workers = doc["workers"]
    assert len(workers) == 2 and sorted(w["sessions"] for w in workers) == [3, 3]
    assert len({w["pid"] for w in workers}) == 2  # two processes, neither of them this one
    assert all(w["cpu_s"] > 0 and w["peak_rss_mb"] > 50 for w in workers)
    assert sum(c["sessions"] for c in doc["cells_run"]) == 6
