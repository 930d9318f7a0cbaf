"""Fake backend benchmarks: OCA throughput (vs nginx when installed) and gateway home rows.

OCA: 8 concurrent loopback clients GET 2 MB files for a few seconds. The backend runs in
its own process (``python -m fake_backend serve``) like nginx would, and the client is the
same aiohttp code for both servers. Baseline: nginx serving the same files in this run when
``nginx`` is on PATH (target: the OCA reaches 70% of it); otherwise a bare aiohttp
``web.static`` server in its own process, reported with a note and no target.

Gateway: requests/s and p50/p99 latency of ``GET /discovery/v1/home`` (authenticated, TTL
cache warm) against the gateway's ``/health`` (same middleware, no auth/handler work).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import aiohttp

from benchmarks.harness import Result, benchmark, scaled

FILE_MB = 2
N_FILES = scaled(16, 2)
CLIENTS = 8
DURATION_S = scaled(3.0, 0.3)
ROUNDS = scaled(3, 1)
TOKEN_HEADER = "X-Nrdp-Playback-Token"


def _spawn_backend(data_dir: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_backend",
            "serve",
            "--data-dir",
            str(data_dir),
            "--catalog",
            "tiny",
            "--ocas",
            "1",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("fake_backend did not start")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _playback_token(ep: dict[str, object], title: str) -> str:
    """A playback token for ``title`` from the Play API, as the player gets one: the OCAs
    require it, and checking it is part of what an OCA request costs."""
    from nrdp import Device, DeviceConfig
    from nrdp.playback.play_api import fetch_playback_manifest

    demo = ep["demo"]
    assert isinstance(demo, dict)
    async with Device(DeviceConfig("nrdp-bench-oca-0001", str(ep["gateway_url"]))) as dev:
        await dev.login(demo["email"], demo["password"])
        pm = await fetch_playback_manifest(dev.playback, dev.auth, title)
    if pm.playback_token is None:
        raise RuntimeError("the Play API gave no playback token")
    return pm.playback_token.reveal()


async def _throughput(urls: list[str], headers: dict[str, str] | None = None) -> float:
    """MB/s moved by CLIENTS concurrent clients looping over ``urls`` for DURATION_S."""
    total = 0
    conn = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:
        for u in urls[:2]:  # warm up (page cache, connections)
            async with s.get(u) as r:
                await r.read()
        deadline = time.perf_counter() + DURATION_S

        async def worker(i: int) -> None:
            nonlocal total
            k = i
            while time.perf_counter() < deadline:
                async with s.get(urls[k % len(urls)]) as r:
                    if r.status != 200:
                        raise RuntimeError(f"{urls[k % len(urls)]}: HTTP {r.status}")
                    async for chunk in r.content.iter_chunked(1 << 16):
                        total += len(chunk)
                k += CLIENTS

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CLIENTS)))
        elapsed = time.perf_counter() - t0
    return round(total / elapsed / 1e6, 1)


def _nginx(root: Path, port: int, work: Path) -> subprocess.Popen[str] | None:
    exe = shutil.which("nginx")
    if exe is None:
        return None
    conf = work / "nginx.conf"
    # As root, nginx's workers drop to nobody/www-data, who cannot read a private temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        textwrap.dedent(f"""
        {user} daemon off; worker_processes 1; error_log {work}/error.log; pid {work}/nginx.pid;
        events {{ worker_connections 256; }}
        http {{
          access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
          client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work};
          uwsgi_temp_path {work}; scgi_temp_path {work};
          server {{ listen 127.0.0.1:{port}; root {root}; }}
        }}
    """)
    )
    proc = subprocess.Popen(
        [exe, "-c", str(conf), "-p", str(work)], stderr=subprocess.DEVNULL, text=True
    )
    time.sleep(0.5)
    return proc


def _aiohttp_static(root: Path, port: int) -> subprocess.Popen[str]:
    code = (
        "import sys; from aiohttp import web; app = web.Application(); "
        "app.router.add_static('/', sys.argv[1]); "
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[2]), access_log=None, "
        "print=None)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(root), str(port)], stderr=subprocess.DEVNULL, text=True
    )
    time.sleep(1.0)
    return proc


@benchmark
def oca_throughput() -> list[Result]:
    """Both servers run at once; rounds alternate (OCA, baseline) and the best round counts,
    so load from other processes on a shared machine hits both alike."""
    with tempfile.TemporaryDirectory(prefix="bench-backend-") as tmp:
        tmpdir = Path(tmp)
        proc, ep = _spawn_backend(tmpdir / "data")
        base_proc: subprocess.Popen[str] | None = None
        try:
            oca_url = ep["oca_urls"][0]  # type: ignore[index]
            title = ep["titles"][0]  # type: ignore[index]
            root = tmpdir / "data" / "ocas" / "oca-1"
            bench_dir = root / str(title) / "bench"
            bench_dir.mkdir(parents=True, exist_ok=True)
            for i in range(N_FILES):
                (bench_dir / f"blob-{i}.bin").write_bytes(os.urandom(FILE_MB << 20))
            rel = [f"{title}/bench/blob-{i}.bin" for i in range(N_FILES)]
            port = _free_port()
            work = tmpdir / "nginx"
            work.mkdir()
            base_proc = _nginx(root, port, work)
            if base_proc is not None:
                name, note, target = "nginx", "nginx 1 worker, sendfile", 0.7
            else:
                base_proc = _aiohttp_static(root, port)
                name, target = "aiohttp web.static", None
                note = "nginx not installed: baseline is a bare aiohttp static server"
            token = {TOKEN_HEADER: asyncio.run(_playback_token(ep, str(title)))}
            oca_runs, base_runs = [], []
            for _ in range(ROUNDS):
                oca_urls = [f"{oca_url}/titles/{r}" for r in rel]
                oca_runs.append(asyncio.run(_throughput(oca_urls, token)))
                base_runs.append(
                    asyncio.run(_throughput([f"http://127.0.0.1:{port}/{r}" for r in rel]))
                )
        finally:
            _stop(proc)
            if base_proc is not None:
                base_proc.terminate()
                base_proc.wait(10)
    note += (
        f"; OCA requests carry a playback token (checked per request); best of {ROUNDS} "
        f"alternating rounds, OCA {oca_runs}, baseline {base_runs}"
    )
    return [
        Result(
            "backend.oca_throughput_2MB_x8",
            max(oca_runs),
            "MB/s",
            name,
            max(base_runs),
            higher_is_better=True,
            target=target,
            notes=note,
        )
    ]


async def _gateway_rps(gw: str, password: str) -> tuple[dict[str, float], dict[str, float]]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as s:
        async with s.post(
            gw + "/auth/v1/login", json={"email": "demo@example.com", "password": password}
        ) as r:
            token = (await r.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def run(path: str, hdrs: dict[str, str]) -> dict[str, float]:
            lat: list[float] = []
            deadline = time.perf_counter() + DURATION_S / 2

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    async with s.get(gw + path, headers=hdrs) as r:
                        await r.read()
                        if r.status != 200:
                            raise RuntimeError(f"{path}: HTTP {r.status}")
                    lat.append(time.perf_counter() - t)

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CLIENTS)))
            el = time.perf_counter() - t0
            lat.sort()
            return {
                "rps": len(lat) / el,
                "p50_ms": statistics.median(lat) * 1000,
                "p99_ms": lat[int(0.99 * (len(lat) - 1))] * 1000,
            }

        await run("/discovery/v1/home", headers)  # warm the cache
        home = await run("/discovery/v1/home", headers)
        health = await run("/health", {})
        return home, health


@benchmark
def gateway_home_rows() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        # rate limit is per device; the demo's default (50/s, burst 100) would throttle a
        # benchmark, so this run uses a backend started in-process with a high limit
        code = textwrap.dedent("""
            import asyncio, json, sys
            from fake_backend.runner import Backend
            from fake_backend.context import BackendConfig
            from fake_backend.gateway.ratelimit import RateLimit
            async def main():
                cfg = BackendConfig(rate_limit=RateLimit(rate_per_s=1e6, burst=1e6))
                async with Backend(sys.argv[1], catalog="demo", content_scale=0.02,
                                   config=cfg) as be:
                    print(json.dumps(be.endpoints()), flush=True)
                    await asyncio.Event().wait()
            asyncio.run(main())
        """)
        proc = subprocess.Popen(
            [sys.executable, "-c", code, tmp],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None
            ep = json.loads(proc.stdout.readline())
            home, health = asyncio.run(_gateway_rps(ep["gateway_url"], ep["demo"]["password"]))
        finally:
            proc.terminate()
            proc.wait(15)
    return [
        Result(
            "backend.gateway_home_rows_rps",
            home["rps"],
            "req/s",
            "gateway /health",
            health["rps"],
            higher_is_better=True,
            notes=f"{CLIENTS} clients; p50 {home['p50_ms']:.2f} ms, "
            f"p99 {home['p99_ms']:.2f} ms (health p50 {health['p50_ms']:.2f}, "
            f"p99 {health['p99_ms']:.2f} ms)",
            extra={"home": home, "health": health},
        ),
        Result(
            "backend.gateway_home_rows_p99",
            home["p99_ms"],
            "ms",
            "gateway /health p99",
            health["p99_ms"],
            higher_is_better=False,
        ),
    ]
