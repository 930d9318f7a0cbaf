"""Run code inside a network namespace: a coroutine on a thread that ``setns``-ed, or a
subprocess started through ``ip netns exec``.

The headless player runs on a thread of this process (the backend keeps running on its
own thread in the host namespace): ``setns(2)`` affects only the calling thread, and the
sockets that thread opens, and the threads it starts, belong to the namespace. Python
3.11 has no ``os.setns``, so this calls libc's through ctypes. Browsers run as a
subprocess under ``ip netns exec`` (see :func:`netns_argv`).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["netns_argv", "run_in_netns"]

T = TypeVar("T")
_CLONE_NEWNET = 0x40000000


def _enter(netns: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({netns}): {os.strerror(err)}")
    finally:
        os.close(fd)


def run_in_netns(netns: str, make: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run(make())`` on a new thread inside ``netns``; re-raises its exception
    (KeyboardInterrupt in the caller cancels nothing: the caller's teardown follows)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            _enter(netns)

            async def main() -> T:
                return await make()

            box["value"] = asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"netns-{netns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def netns_argv(netns: str, argv: list[str]) -> list[str]:
    """A command line that runs ``argv`` inside ``netns``."""
    return ["ip", "netns", "exec", netns, *argv]
