"""The runner and the CLI: endpoints.json, restart on the same data dir, `serve` end to end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import aiohttp

from fake_backend.__main__ import build_parser, main
from fake_backend.runner import Backend


async def test_endpoints_json_and_restart(tmp_path, http):
    data = tmp_path / "d"
    async with Backend(data, catalog="tiny", content_scale=0.02, ocas=2) as be:
        ep = json.loads((data / "endpoints.json").read_text())
        assert ep["gateway_url"] == be.gateway_url
        assert ep["oca_urls"] == be.oca_urls and len(ep["oca_urls"]) == 2
        assert ep["control_urls"] == be.control_urls
        password = be.demo_password
        async with http.get(be.gateway_url + "/health") as r:
            assert r.status == 200
        async with http.post(
            be.gateway_url + "/signup/v1/accounts",
            json={"email": "keep@example.com", "password": "12345678", "plan": "basic"},
        ) as r:
            assert r.status == 201
    # state survives a restart; the demo password is stable
    async with Backend(data, catalog="tiny", content_scale=0.02, ocas=2) as be:
        assert be.demo_password == password
        async with http.post(
            be.gateway_url + "/auth/v1/login",
            json={"email": "keep@example.com", "password": "12345678"},
        ) as r:
            assert r.status == 200
    async with Backend(data, catalog="tiny", content_scale=0.02, ocas=2, reset=True) as be:
        doc = {"email": "keep@example.com", "password": "12345678"}
        async with http.post(be.gateway_url + "/auth/v1/login", json=doc) as r:
            assert r.status == 401


def _free_port_run(count: int) -> int:
    """A base port P with P..P+count-1 all free, below the kernel's ephemeral range so that
    client sockets of tests running in parallel cannot take them in between."""
    import random
    import socket

    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 30000)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free run of ports found")


async def test_fixed_port_base(tmp_path, http):
    base = _free_port_run(4)
    async with Backend(tmp_path, catalog="tiny", content_scale=0.02, ocas=2, port_base=base) as be:
        assert be.gateway_url.endswith(f":{base}")
        assert be.control_url.endswith(f":{base + 1}")
        assert be.oca_urls == [f"http://127.0.0.1:{base + 2}", f"http://127.0.0.1:{base + 3}"]


def test_parser():
    args = build_parser().parse_args(["serve", "--port-base", "ephemeral", "--chaos", "3"])
    assert args.port_base == 0 and args.chaos == 3 and args.catalog == "demo"
    assert main(["serve", "--ocas", "0"]) == 2


async def test_serve_subprocess(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fake_backend",
        "serve",
        "--data-dir",
        str(tmp_path),
        "--catalog",
        "tiny",
        "--ocas",
        "2",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        ep = json.loads(line)
        async with aiohttp.ClientSession() as s, s.get(ep["gateway_url"] + "/health") as r:
            assert r.status == 200
        assert ep["demo"]["email"] == "demo@example.com" and ep["demo"]["password"]
    finally:
        proc.send_signal(signal.SIGINT)
        rc = await asyncio.wait_for(proc.wait(), 20)
    assert rc == 0


async def test_close_leaves_no_tasks_or_listeners(tmp_path, http):
    before = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    be = Backend(
        tmp_path, catalog="tiny", content_scale=0.02, ocas=2, chaos_seed=1, chaos_interval_s=0.05
    )
    await be.start()
    urls = [be.gateway_url, be.control_url, *be.oca_urls]
    async with http.get(be.oca_urls[0] + "/health") as r:
        assert r.status == 200
    await asyncio.sleep(0.2)  # let chaos run
    await be.close()
    await asyncio.sleep(0)
    after = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    assert after <= before, after - before
    async with aiohttp.ClientSession() as fresh:
        for url in urls:
            try:
                async with fresh.get(url + "/health") as r:
                    raise AssertionError(f"{url} still answers: {r.status}")
            except aiohttp.ClientConnectorError:
                pass


def test_backend_defaults_to_playable_media(tmp_path):
    """``Backend(data_dir)`` packages real titles (a player cannot decode stand-in bytes);
    synthetic media only when asked for (``content_scale``) or for a hand-made catalog."""
    from fake_backend.catalog import catalog_titles as synthetic_rows
    from fake_backend.content import SyntheticMaterializer
    from fake_backend.packager import PackagerMaterializer
    from fake_backend.packager import catalog_titles as encoded_rows

    default = Backend(tmp_path / "a", catalog="tiny")
    assert isinstance(default.materializer, PackagerMaterializer)
    assert default.catalog == encoded_rows("tiny") != synthetic_rows("tiny")
    asked = Backend(tmp_path / "b", catalog="tiny", content_scale=0.1)
    assert isinstance(asked.materializer, SyntheticMaterializer)
    assert asked.materializer.scale == 0.1 and asked.catalog == synthetic_rows("tiny")
    custom = Backend(tmp_path / "c", catalog=synthetic_rows("tiny")[:1])
    assert isinstance(custom.materializer, SyntheticMaterializer)
    args = build_parser().parse_args(["serve", "--media", "synthetic", "--data-dir", "x"])
    from fake_backend.__main__ import _materializer

    assert isinstance(_materializer(args), SyntheticMaterializer)
