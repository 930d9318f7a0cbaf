"""``load --scheduler``: QA sessions spread over the workers of a Dask cluster.

Each worker runs its share of the sessions concurrently in one event loop of its own
against the same backend URL and reports them with its own CPU and RSS; the caller merges
the reports exactly as a local run does. The backend stays where it is (one machine).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from typing import Any

from apps.headless.backend import UsageError
from apps.headless.load import CpuMeter, SessionSpec, play_session

__all__ = ["play_on_cluster", "play_shard", "shards"]


def shards(specs: Sequence[SessionSpec], workers: int) -> list[list[SessionSpec]]:
    """Round-robin: session i goes to worker i mod workers (no empty shard)."""
    n = max(1, min(workers, len(specs)))
    return [list(specs[k::n]) for k in range(n)]


async def _play_all(gateway_url: str, specs: Sequence[SessionSpec]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(play_session(gateway_url, s) for s in specs)))


def play_shard(gateway_url: str, specs: Sequence[SessionSpec]) -> dict[str, Any]:
    """Runs on a worker: its sessions in one event loop, and what they cost that process."""
    meter = CpuMeter()
    reports = asyncio.run(_play_all(gateway_url, specs))
    return {
        "reports": reports,
        "worker": {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "sessions": len(specs),
            **meter.read(),
        },
    }


def play_on_cluster(
    scheduler: Any, gateway_url: str, specs: Sequence[SessionSpec]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Session reports in session order, and one cost entry per worker shard."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - installed with the project
        raise UsageError("--scheduler needs dask[distributed]") from None
    owned = not isinstance(scheduler, Client)
    try:
        client = Client(str(scheduler), timeout="10s") if owned else scheduler
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        addresses = sorted(client.scheduler_info()["workers"])
        if not addresses:
            raise UsageError(f"the Dask scheduler {scheduler} has no workers")
        parts = shards(specs, len(addresses))
        futures = [
            client.submit(
                play_shard, gateway_url, part, workers=[addr], allow_other_workers=True, pure=False
            )
            for part, addr in zip(parts, addresses, strict=False)
        ]
        done = client.gather(futures)
    finally:
        if owned:
            client.close()
    reports = sorted((r for d in done for r in d["reports"]), key=lambda r: r["session"])
    for d, addr in zip(done, addresses, strict=False):
        d["worker"]["address"] = addr
    return reports, [d["worker"] for d in done]
