"""Run simulation work units on a Dask ``distributed`` cluster.

The cluster is an optional accelerator, never a requirement: without ``--scheduler`` every
command runs locally exactly as before. Dask gives us what a home-made engine would get
wrong: work stealing, retries of a unit whose worker died (its task is rescheduled on
another worker), and a dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from abr.errors import AlgorithmConfigError

__all__ = ["RETRIES", "connect", "map_on_cluster"]

U = TypeVar("U")
R = TypeVar("R")

RETRIES = 3
"""Attempts a unit gets again when it raises on a worker (a lost worker is handled by the
scheduler itself: its units are recomputed elsewhere, up to ``allowed-failures``)."""


def connect(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for an address or the given client; True when we own it."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the dask extra is installed with the project
        raise AlgorithmConfigError(
            "--scheduler needs dask[distributed] (pip install 'nrdp-sdk[cluster]')",
            algorithm="",
            parameter="scheduler",
        ) from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(str(scheduler), timeout="10s"), True
    except (OSError, TimeoutError) as exc:
        raise AlgorithmConfigError(
            f"cannot reach the Dask scheduler {scheduler}: {exc}",
            algorithm="",
            parameter="scheduler",
        ) from None


def map_on_cluster(
    fn: Callable[[U], R],
    items: Sequence[U],
    scheduler: Any,
    progress: Callable[[R], None] | None = None,
) -> list[R]:
    """``fn`` over ``items`` on the cluster; results in item order, as they arrive."""
    from distributed import as_completed

    client, owned = connect(scheduler)
    try:
        futures = client.map(fn, list(items), pure=False, retries=RETRIES)
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, R] = {}
        for fut in as_completed(futures):
            res = fut.result()
            results[index[fut.key]] = res
            if progress:
                progress(res)
        return [results[i] for i in range(len(items))]
    finally:
        if owned:
            client.close()
