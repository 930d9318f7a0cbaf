"""One emulated link: a namespace for the player, a link to the host namespace, tbf shaping.

Topology (addresses ``10.77.N.1`` host side, ``10.77.N.2`` player side)::

    host namespace (backend)                   namespace nrdpnet-<pid>-<n> (player)
    10.77.N.1 [host dev] --tbf rate/queue-->  [player dev] 10.77.N.2
                         <-------------------
Kinds: ``veth`` when no RTT is asked or the kernel has ``sch_netem`` (netem delay RTT/2 on
each end), else ``tun``: two TUN devices joined by the userspace :class:`DelayRelay`.
The downlink (host to player) is shaped by tbf on the host device's egress; the uplink
(requests, ACKs) is not shaped. ``close()`` is idempotent and also runs at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apps.headless.netem.errors import NetemUnavailable
from apps.headless.netem.relay import DelayRelay, open_tun
from apps.headless.netem.schedule import MIN_KBPS, burst_bytes, queue_limit_bytes
from apps.headless.netem.stale import PREFIX, clean_stale, device_name
from apps.headless.netem.sysnet import check_privilege, has_netem, run, try_run

__all__ = ["EmulatedLink", "LinkSpec", "open_link"]

_COUNTER = itertools.count()


@dataclass(frozen=True)
class LinkSpec:
    rtt_ms: float = 0.0
    initial_kbps: float = 100_000.0
    kind: str | None = None
    """``veth`` or ``tun``; None picks (veth unless an RTT needs the relay)."""


def _free_subnet() -> int:
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    for n in range(1, 255):
        if f" 10.77.{n}." not in out:
            return n
    raise RuntimeError("no free 10.77.N.0/30 subnet")  # pragma: no cover


class EmulatedLink:
    """A live link; build it with :func:`open_link`."""

    def __init__(self, spec: LinkSpec, kind: str) -> None:
        serial = next(_COUNTER)
        pid = os.getpid()
        self.spec = spec
        self.kind = kind
        self.netns = f"{PREFIX}{pid}-{serial}"
        self.host_dev = device_name("nrh", self.netns)
        self.player_dev = device_name("nrp", self.netns)
        self.subnet = _free_subnet()
        self.host_ip = f"10.77.{self.subnet}.1"
        self.player_ip = f"10.77.{self.subnet}.2"
        self.kbps = spec.initial_kbps
        self.rtt_ms = spec.rtt_ms
        self._relay: DelayRelay | None = None
        self._closed = False

    # -- set up ---------------------------------------------------------------------
    def _create(self) -> None:
        run(["ip", "netns", "add", self.netns])
        run(["ip", "-n", self.netns, "link", "set", "lo", "up"])
        if self.kind == "veth":
            run(
                [
                    "ip",
                    "link",
                    "add",
                    self.host_dev,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    self.player_dev,
                    "netns",
                    self.netns,
                ]
            )
        else:
            host_fd, player_fd = open_tun(self.host_dev), open_tun(self.player_dev)
            self._relay = DelayRelay(host_fd, player_fd, self.spec.rtt_ms / 2000.0)
            run(["ip", "link", "set", self.player_dev, "netns", self.netns])
            self._relay.start()
        self._address(None, self.host_dev, self.host_ip, self.player_ip)
        self._address(self.netns, self.player_dev, self.player_ip, self.host_ip)
        self._shape_first()

    def _address(self, netns: str | None, dev: str, local: str, remote: str) -> None:
        """A /30 on veth; a point-to-point address pair on TUN (no link layer)."""
        ns = ["-n", netns] if netns else []
        addr = [local, "peer", f"{remote}/32"] if self.kind == "tun" else [f"{local}/30"]
        run(["ip", *ns, "addr", "add", *addr, "dev", dev])
        run(["ip", *ns, "link", "set", dev, "up"])

    def _tbf(self, verb: str, kbps: float) -> list[str]:
        kbps = max(MIN_KBPS, kbps)
        return [
            "tc",
            "qdisc",
            verb,
            "dev",
            self.host_dev,
            "root",
            "handle",
            "1:",
            "tbf",
            "rate",
            f"{kbps:.0f}kbit",
            "burst",
            str(burst_bytes(kbps)),
            "limit",
            str(queue_limit_bytes(kbps)),
        ]

    def _shape_first(self) -> None:
        run(self._tbf("add", self.kbps))
        if self.kind == "veth" and self.spec.rtt_ms > 0:
            half = f"{self.spec.rtt_ms / 2:.3f}ms"
            run(
                [
                    "tc",
                    "qdisc",
                    "add",
                    "dev",
                    self.host_dev,
                    "parent",
                    "1:1",
                    "handle",
                    "10:",
                    "netem",
                    "delay",
                    half,
                ]
            )
            run(
                [
                    "tc",
                    "-n",
                    self.netns,
                    "qdisc",
                    "add",
                    "dev",
                    self.player_dev,
                    "root",
                    "netem",
                    "delay",
                    half,
                ]
            )

    # -- use ------------------------------------------------------------------------
    def set_rate(self, kbps: float) -> None:
        """The downlink's rate from now on (tbf ``change`` keeps the queue and netem child)."""
        if self._closed:
            return
        run(self._tbf("change", kbps))
        self.kbps = kbps

    def set_rtt(self, rtt_ms: float) -> None:
        """The RTT from now on: the relay's delay on a TUN link; a veth link keeps the RTT
        it was built with (asking another is a NetemUnavailable: build a TUN link)."""
        if self._relay is not None:
            self._relay.one_way_s = rtt_ms / 2000.0
        elif rtt_ms != self.spec.rtt_ms:
            raise NetemUnavailable(
                "a TUN link", f"this {self.kind} link's RTT is fixed at {self.spec.rtt_ms} ms"
            )
        self.rtt_ms = rtt_ms

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try_run(["ip", "netns", "del", self.netns])
        try_run(["ip", "link", "del", self.host_dev])
        if self._relay is not None:
            self._relay.close()

    def exists(self) -> bool:
        return os.path.exists(f"/var/run/netns/{self.netns}")


@contextlib.contextmanager
def open_link(spec: LinkSpec) -> Iterator[EmulatedLink]:
    """Check the privilege, clean stale namespaces, build the link; always tear it down."""
    kind = spec.kind or ("veth" if spec.rtt_ms <= 0 else "tun")
    check_privilege(need_tun=kind == "tun" and spec.rtt_ms > 0)
    if spec.rtt_ms > 0 and kind == "veth" and not has_netem():
        raise NetemUnavailable("sch_netem", "the kernel has no netem for an RTT over veth")
    if spec.kind is None and spec.rtt_ms > 0 and has_netem():
        kind = "veth"
    clean_stale()
    link = EmulatedLink(spec, kind)
    atexit.register(link.close)
    previous = _exit_on_sigterm()
    try:
        link._create()
        yield link
    finally:
        link.close()
        atexit.unregister(link.close)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm() -> Any:
    """SIGTERM (a supervisor, ``kill``) unwinds like Ctrl-C, so teardown runs; returns
    the handler to restore (None off the main thread, where signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)
