"""The ``ip``/``tc`` calls network emulation makes, and the checks that run before any."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache

from apps.headless.netem.errors import NetemUnavailable

__all__ = ["check_privilege", "has_netem", "run", "try_run", "unavailable_reason"]

CAP_NET_ADMIN = 12


def run(argv: Sequence[str]) -> str:
    """Run one command; a failure is a NetemUnavailable naming the command and its stderr."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise NetemUnavailable(
            f"a working `{' '.join(argv[:4])}`", proc.stderr.strip()[:300] or "failed"
        )
    return proc.stdout


def try_run(argv: Sequence[str]) -> bool:
    """Run a best-effort command (teardown); True when it succeeded."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _has_cap_net_admin() -> bool:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except (OSError, ValueError):
        pass
    return os.geteuid() == 0


def check_privilege(need_tun: bool) -> None:
    """Raise NetemUnavailable naming the first missing piece: CAP_NET_ADMIN (root), the
    ``ip``/``tc`` tools (iproute2), ``/dev/net/tun`` (the userspace delay relay)."""
    if not _has_cap_net_admin():
        raise NetemUnavailable(
            "CAP_NET_ADMIN", "run as root or grant the capability (network namespaces, tc)"
        )
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            raise NetemUnavailable(f"the `{tool}` command", "install iproute2")
    if need_tun and not os.path.exists("/dev/net/tun"):
        raise NetemUnavailable("/dev/net/tun", "the kernel's TUN driver (for the RTT relay)")


@cache
def has_netem() -> bool:
    """Whether the kernel has ``sch_netem``: try it on the loopback of a scratch namespace."""
    name = f"nrdpnet-probe-{os.getpid()}"
    if not try_run(["ip", "netns", "add", name]):
        return False
    try:
        return try_run(
            ["tc", "-n", name, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]
        )
    finally:
        try_run(["ip", "netns", "del", name])


def unavailable_reason() -> str:
    """Why network emulation cannot run here ("" when it can): for skips and messages."""
    try:
        check_privilege(need_tun=True)
    except NetemUnavailable as exc:
        return f"network emulation unavailable here: {exc}"
    return ""
