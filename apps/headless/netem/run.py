"""``--netem`` and a scenario's ``network``: an emulated link, a trace shaper per run, and
the player thread inside the link's namespace."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

from abr.sim import Trace
from apps.headless.faults import trace_points
from apps.headless.netem.link import EmulatedLink, LinkSpec, open_link
from apps.headless.netem.nsthread import run_in_netns
from apps.headless.netem.shaper import TraceShaper
from apps.headless.options import NetworkOptions

__all__ = ["NetemRun", "link_echo", "netem_link", "netem_run", "network_run"]

T = TypeVar("T")


class NetemRun:
    """A link plus a trace: ``run(make)`` shapes along the trace from t=0 while the
    coroutine ``make()`` runs on a thread inside the player's namespace."""

    def __init__(self, link: EmulatedLink, trace: Trace) -> None:
        self.link = link
        self.trace = trace
        self.points = trace_points(trace) or [[0.0, trace.kbps[0]]]
        self.last_applied: list[tuple[float, float]] = []
        self._gate: threading.Event | None = None

    @property
    def host_ip(self) -> str:
        return self.link.host_ip

    def run(self, make: Callable[[], Awaitable[T]], *, deferred: bool = False) -> T:
        """With ``deferred`` the link stays unshaped until the coroutine calls
        :meth:`begin` (``load``: after account creation, just before the sessions)."""
        gate = threading.Event() if deferred else None
        shaper = self.start_shaping(gate)
        self._gate = gate
        try:
            return run_in_netns(self.link.netns, make)
        finally:
            self.stop_shaping(shaper)

    def begin(self) -> None:
        """Start the trace's clock of a deferred :meth:`run` (any thread; idempotent)."""
        if self._gate is not None:
            self._gate.set()

    def start_shaping(self, gate: threading.Event | None = None) -> TraceShaper:
        shaper = TraceShaper(self.link.set_rate, self.points, gate=gate)
        shaper.start()
        return shaper

    def stop_shaping(self, shaper: TraceShaper) -> None:
        try:
            shaper.stop()
        finally:
            self.last_applied = shaper.applied
            self.link.set_rate(100_000.0)  # between runs: unshaped, so setup is not traced


def network_run(link: EmulatedLink, network: NetworkOptions) -> NetemRun:
    """A run on ``link`` following ``network``'s trace at its RTT."""
    link.set_rtt(network.rtt_ms)
    return NetemRun(link, network.load_trace())


def link_echo(link: EmulatedLink, network: NetworkOptions) -> dict[str, Any]:
    """What a report says about the link a playback ran behind."""
    return {**network.echo(), "link": link.kind, "netns": link.netns}


@contextlib.contextmanager
def netem_link(networks: Sequence[NetworkOptions]) -> Iterator[EmulatedLink]:
    """One link for every run in ``networks`` (unshaped until a run starts): a TUN link
    when they ask different RTTs (the relay's delay changes per run)."""
    rtts = sorted({n.rtt_ms for n in networks})
    kind = "tun" if len(rtts) > 1 else None
    with open_link(LinkSpec(rtt_ms=rtts[-1], kind=kind)) as link:
        yield link


@contextlib.contextmanager
def netem_run(network: NetworkOptions) -> Iterator[NetemRun]:
    """``play --netem`` / ``load --netem``: one link, one run."""
    with netem_link([network]) as link:
        yield network_run(link, network)
