"""Why network emulation cannot run here (exit code 2, as every usage error)."""

from __future__ import annotations

from apps.headless.backend import UsageError

__all__ = ["NetemUnavailable"]


class NetemUnavailable(UsageError):
    """The privilege, a tool or a kernel feature network emulation needs is missing;
    ``missing`` names it (e.g. ``CAP_NET_ADMIN``, ``/dev/net/tun``, ``tc``)."""

    def __init__(self, missing: str, detail: str = "") -> None:
        self.missing = missing
        super().__init__(f"network emulation needs {missing}" + (f": {detail}" if detail else ""))
