"""``play --netem``: one emulated link for a run, its trace shaper, and the player thread."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from abr.sim import Trace
from apps.headless.faults import load_trace, trace_points
from apps.headless.netem.link import EmulatedLink, LinkSpec, open_link
from apps.headless.netem.nsthread import run_in_netns
from apps.headless.netem.schedule import rate_at
from apps.headless.netem.shaper import TraceShaper

__all__ = ["NetemRun", "netem_run"]

T = TypeVar("T")


class NetemRun:
    """A link plus a trace: ``run(make)`` shapes along the trace from t=0 while the
    coroutine ``make()`` runs on a thread inside the player's namespace."""

    def __init__(self, link: EmulatedLink, trace: Trace) -> None:
        self.link = link
        self.trace = trace
        self.points = trace_points(trace) or [[0.0, trace.kbps[0]]]
        self.last_applied: list[tuple[float, float]] = []

    @property
    def host_ip(self) -> str:
        return self.link.host_ip

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        shaper = self.start_shaping()
        try:
            return run_in_netns(self.link.netns, make)
        finally:
            self.stop_shaping(shaper)

    def start_shaping(self) -> TraceShaper:
        shaper = TraceShaper(self.link.set_rate, self.points)
        shaper.start()
        return shaper

    def stop_shaping(self, shaper: TraceShaper) -> None:
        try:
            shaper.stop()
        finally:
            self.last_applied = shaper.applied
            self.link.set_rate(100_000.0)  # between runs: unshaped, so setup is not traced


@contextlib.contextmanager
def netem_run(trace_path: Path, rtt_ms: float, fmt: str | None = None) -> Iterator[NetemRun]:
    trace = load_trace(trace_path, fmt)
    points = trace_points(trace) or [[0.0, trace.kbps[0]]]
    with open_link(LinkSpec(rtt_ms=rtt_ms, initial_kbps=rate_at(points, 0.0))) as link:
        yield NetemRun(link, trace)
