"""The emulated link on the real kernel (root only; skipped with the reason otherwise):
goodput follows a step trace, RTT shows in the time to first byte, nothing is left behind,
also after ``kill -9``."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import threading
import time

import pytest

from apps.headless.netem import LinkSpec, NetemUnavailable, clean_stale, open_link
from apps.headless.netem.nsthread import run_in_netns
from apps.headless.netem.shaper import TraceShaper
from apps.headless.netem.stale import namespaces
from apps.headless.netem.sysnet import unavailable_reason

_REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(bool(_REASON), reason=_REASON or "n/a")

STEPS = [[0.0, 4000.0], [4.0, 1000.0], [8.0, 2500.0]]
PAYLOAD = 0.96  # TCP/IP (and Ethernet on veth) headers per 1500-byte packet


def _listen(ip: str) -> socket.socket:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, 0))
    srv.listen()
    return srv


def _blast(srv: socket.socket, seconds: float) -> None:
    conn, _ = srv.accept()
    end = time.monotonic() + seconds
    chunk = b"x" * 65536
    try:
        while time.monotonic() < end:
            conn.sendall(chunk)
    except OSError:
        pass
    conn.close()


async def _receive(ip: str, port: int, seconds: float) -> list[tuple[float, int]]:
    r, _ = await asyncio.open_connection(ip, port)
    t0, out = time.monotonic(), []
    while (now := time.monotonic()) - t0 < seconds:
        data = await r.read(1 << 20)
        if not data:
            break
        out.append((now - t0, len(data)))
    return out


@pytest.mark.parametrize(("kind", "rtt"), [("veth", 0.0), ("tun", 30.0)])
def test_goodput_follows_a_step_trace(kind: str, rtt: float) -> None:
    # A busy machine can starve the sender (a thread of this process) for a window, which
    # says nothing about the shaper; a shaper that is wrong misses on every attempt.
    misses = []
    for _attempt in range(3):
        miss = _step_trace_miss(kind, rtt)
        if miss is None:
            return
        misses.append(miss)
    raise AssertionError(f"goodput off the trace on every attempt: {misses}")


def _step_trace_miss(kind: str, rtt: float) -> tuple[int, float, float] | None:
    """The first 2 s window whose goodput is more than 15 % off the trace, or None."""
    with open_link(LinkSpec(rtt_ms=rtt, initial_kbps=STEPS[0][1], kind=kind)) as link:
        srv = _listen(link.host_ip)
        threading.Thread(target=_blast, args=(srv, 13.0), daemon=True).start()
        shaper = TraceShaper(link.set_rate, STEPS)
        shaper.start()
        try:
            got = run_in_netns(
                link.netns, lambda: _receive(link.host_ip, srv.getsockname()[1], 12.0)
            )
        finally:
            shaper.stop()
    for w in range(6):
        kbps = _window_kbps(got, 2.0 * w, 2.0 * w + 2.0)
        want = STEPS[w // 2][1] * PAYLOAD
        if abs(kbps - want) > 0.15 * want:
            return (w, kbps, want)
    return None


def _window_kbps(got: list[tuple[float, int]], w0: float, w1: float) -> float:
    """The rate over a window measured between the reads that bound it: a reader that was
    scheduled late (a busy machine) moves the bounds, not the bytes counted between them."""
    before = [t for t, _ in got if t < w0]
    inside = [(t, n) for t, n in got if w0 <= t < w1]
    start = before[-1] if before else 0.0
    end = inside[-1][0]
    return sum(n for _, n in inside) * 8 / 1000 / (end - start)


async def _ping(ip: str, port: int, n: int) -> list[float]:
    r, w = await asyncio.open_connection(ip, port)
    out = []
    for _ in range(n):
        t = time.monotonic()
        w.write(b"?")
        await w.drain()
        await r.readexactly(1)
        out.append((time.monotonic() - t) * 1000)
    w.close()
    return out


def _echo(srv: socket.socket) -> None:
    conn, _ = srv.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while data := conn.recv(16):
            conn.sendall(data)
    except OSError:
        pass


@pytest.mark.parametrize("rtt", [40.0, 100.0])
def test_rtt_shows_in_time_to_first_byte(rtt: float) -> None:
    with open_link(LinkSpec(rtt_ms=rtt, initial_kbps=5000)) as link:
        srv = _listen(link.host_ip)
        threading.Thread(target=_echo, args=(srv,), daemon=True).start()
        ttfb = run_in_netns(link.netns, lambda: _ping(link.host_ip, srv.getsockname()[1], 9))
    assert abs(statistics.median(ttfb) - rtt) <= 0.2 * rtt, ttfb


def _ours_left(netns: str, dev: str) -> list[str]:
    left = [n for n in namespaces() if n == netns]
    if subprocess.run(["ip", "link", "show", "dev", dev], capture_output=True).returncode == 0:
        left.append(dev)
    left += [t.name for t in threading.enumerate() if t.name.startswith("netem-")]
    return left


KINDS = [("veth", 0.0), ("tun", 20.0)]


@pytest.mark.parametrize(("kind", "rtt"), KINDS)
def test_cleanup_leaves_no_namespace_link_or_thread(kind: str, rtt: float) -> None:
    with pytest.raises(RuntimeError), open_link(LinkSpec(rtt_ms=rtt, kind=kind)) as link:
        assert link.exists()
        raise RuntimeError("a crash inside the run")
    assert _ours_left(link.netns, link.host_dev) == []


_CHILD = """
import sys, time
from apps.headless.netem import LinkSpec, open_link
with open_link(LinkSpec(rtt_ms=float(sys.argv[2]), kind=sys.argv[1])) as link:
    print(link.netns, link.host_dev, flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize(("kind", "rtt"), KINDS)
def test_kill_9_then_next_start_cleans_the_stale_namespace(kind: str, rtt: float) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, kind, str(rtt)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        netns, dev = child.stdout.readline().split()
        assert netns in namespaces()
    finally:
        child.kill()
        child.wait(10)
    assert netns in namespaces()  # SIGKILL runs no teardown: the namespace is stale
    assert netns in clean_stale()
    assert _ours_left(netns, dev) == []


def test_rtt_over_veth_without_netem_is_a_typed_error() -> None:
    from apps.headless.netem.sysnet import has_netem

    if has_netem():
        pytest.skip("this kernel has sch_netem")
    with pytest.raises(NetemUnavailable) as info, open_link(LinkSpec(rtt_ms=40.0, kind="veth")):
        pass
    assert info.value.missing == "sch_netem"
