"""The userspace delay relay: a point-to-point link made of two TUN devices, one in the
host namespace and one in the player's, with every packet held ``one_way_s`` each way.

Used for RTT where the kernel has no ``sch_netem``. Unlike a TCP-level relay it delays
IP packets, so the player's TCP sees the real RTT (slow start, ACK clocking, the
bottleneck queue). The host end's egress is where ``tc`` shapes the downlink. The TUN
devices are not persistent: they vanish when this process exits, however it exits.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import select
import struct
import threading
import time

__all__ = ["DelayRelay", "open_tun"]

_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_NO_PI = 0x1000
_MAX_PACKET = 65536
_MAX_QUEUED = 4096
"""Packets in flight per direction (a 6 Mbit/s link at 1 s RTT holds ~500); past it, drop."""


def open_tun(name: str) -> int:
    """A non-blocking fd of a new layer-3 TUN device ``name`` (no packet-info header)."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", name.encode(), _IFF_TUN | _IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


class DelayRelay:
    """Moves packets between two TUN fds after ``one_way_s``, on its own daemon thread."""

    def __init__(self, host_fd: int, player_fd: int, one_way_s: float) -> None:
        self.fds = (host_fd, player_fd)
        self.one_way_s = one_way_s
        self.dropped = 0
        self._queues: dict[int, collections.deque[tuple[float, bytes]]] = {
            host_fd: collections.deque(),
            player_fd: collections.deque(),
        }
        self._wake_r, self._wake_w = os.pipe()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="netem-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop = True
        os.write(self._wake_w, b"x")
        self._thread.join(5.0)
        for fd in (*self.fds, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _timeout(self, now: float) -> float | None:
        dues = [q[0][0] for q in self._queues.values() if q]
        return max(0.0, min(dues) - now) if dues else None

    def _loop(self) -> None:
        host, player = self.fds
        peer = {host: player, player: host}
        while not self._stop:
            ready, _, _ = select.select(
                [host, player, self._wake_r], [], [], self._timeout(time.monotonic())
            )
            now = time.monotonic()
            for fd in ready:
                if fd == self._wake_r:
                    continue
                self._read_all(fd, now)
            now = time.monotonic()
            for src, queue in self._queues.items():
                while queue and queue[0][0] <= now:
                    _, pkt = queue.popleft()
                    try:
                        os.write(peer[src], pkt)
                    except OSError:
                        self.dropped += 1

    def _read_all(self, fd: int, now: float) -> None:
        queue = self._queues[fd]
        while True:
            try:
                pkt = os.read(fd, _MAX_PACKET)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(queue) >= _MAX_QUEUED:
                self.dropped += 1
                continue
            queue.append((now + self.one_way_s, pkt))
