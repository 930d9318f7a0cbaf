"""Namespaces left by a killed run (``kill -9``, a crash): found by name, removed at start.

Every namespace this package creates is named ``nrdpnet-<pid>-<n>``; one whose pid is no
longer alive is stale. Deleting a namespace deletes the link end inside it and so its
peer; TUN devices vanish with the process that held them.
"""

from __future__ import annotations

import os
import re

from apps.headless.netem.sysnet import try_run

__all__ = ["PREFIX", "clean_stale", "device_name", "namespaces"]

PREFIX = "nrdpnet-"
_NAME = re.compile(rf"{PREFIX}(?:probe-)?(\d+)-?\d*")
NETNS_DIR = "/var/run/netns"


def device_name(kind: str, netns: str) -> str:
    """A link device's name from its namespace's (``nrh``: host end, ``nrp``: player end),
    within the kernel's 15 characters."""
    return (kind + netns.removeprefix(PREFIX))[:15]


def namespaces() -> list[str]:
    """This package's namespaces that exist now (any process's)."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(PREFIX))
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale() -> list[str]:
    """Delete the namespaces whose creating process is dead; returns their names."""
    removed = []
    for name in namespaces():
        m = _NAME.fullmatch(name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            try_run(["ip", "netns", "del", name])
            # the kernel tears a namespace down asynchronously: delete the host end now
            try_run(["ip", "link", "del", device_name("nrh", name)])
            removed.append(name)
    return removed
