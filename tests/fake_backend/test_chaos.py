"""Chaos survives an OCA that cannot rebind, reports its health, and stop restores what it
took down; ``serve`` shuts down cleanly on SIGINT/SIGTERM (issue 17 #8, issue 18)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest


async def _take_one_down(be) -> str:
    for _ in range(50):
        await be.chaos.step()
        if be.chaos.taken_down:
            return sorted(be.chaos.taken_down)[0]
    raise AssertionError("chaos never took an OCA down")


def _occupy(host: str, port: int) -> socket.socket:
    s = socket.socket()
    s.bind((host, port))
    s.listen()
    return s


async def test_stop_restores_what_chaos_took_down(backend, http):
    """Regression (issue 18): POST /control/v1/chaos/stop left OCAs down."""
    async with http.post(
        backend.control_url + "/control/v1/chaos/start", json={"interval_s": 0.02}
    ) as r:
        assert r.status == 200
    for _ in range(100):
        await asyncio.sleep(0.02)
        if any(not n.up for n in backend.fleet.nodes):
            break
    async with http.post(backend.control_url + "/control/v1/chaos/stop") as r:
        assert r.status == 200
        doc = await r.json()
    assert doc["running"] is False and doc["taken_down"] == [] and doc["health"] == "ok"
    assert any(e["action"] == "down" for e in doc["events"])
    assert all(n.up for n in backend.fleet.nodes)
    for node in backend.fleet.nodes:  # really serving again
        async with http.get(f"{node.url}/health") as r:
            assert r.status == 200


async def test_chaos_survives_a_port_in_use_and_reports_it(backend, http):
    """Regression (issue 17 #8): a failed rebind killed the chaos task, left the OCA down,
    and chaos/stop answered a plain-text 500."""
    chaos = backend.chaos
    oca_id = await _take_one_down(backend)
    node = backend.fleet.node(oca_id)
    blocker = _occupy(node.host, node.port)
    try:
        for _ in range(40):  # keeps stepping: retries with backoff, never raises
            await chaos.step()
            if oca_id in chaos.to_json()["retrying"]:
                break
        doc = chaos.to_json()
        assert doc["health"] == "degraded" and doc["failures"] >= 1
        assert oca_id in doc["last_error"] and "up_failed" in {e["action"] for e in doc["events"]}
        async with http.get(backend.control_url + "/control/v1/chaos") as r:
            assert (await r.json())["health"] == "degraded"
        asyncio.get_running_loop().call_later(0.3, blocker.close)  # the port frees up
        async with http.post(backend.control_url + "/control/v1/chaos/stop") as r:
            assert r.status == 200 and r.content_type == "application/json"
            doc = await r.json()
    finally:
        blocker.close()
    assert doc["taken_down"] == [] and node.up and doc["health"] == "ok"


async def test_stop_reports_an_oca_it_could_not_bring_back(backend, monkeypatch):
    import fake_backend.oca.chaos as chaos_mod

    monkeypatch.setattr(chaos_mod, "STOP_RESTORE_BUDGET_S", 0.3)
    oca_id = await _take_one_down(backend)
    node = backend.fleet.node(oca_id)
    with _occupy(node.host, node.port):
        still_down = await backend.chaos.stop()
    assert still_down == [oca_id] and backend.chaos.to_json()["health"] == "degraded"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_shuts_down_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    """Regression (issue 17 #8): serve exited with an OSError traceback on SIGINT."""
    cmd = [sys.executable, "-m", "fake_backend", "serve", "--data-dir", str(tmp_path / "d"),
           "--media", "synthetic", "--catalog", "tiny", "--ocas", "2", "--json",
           "--chaos", "7", "--chaos-interval", "0.05"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert json.loads(line)["gateway_url"].startswith("http://")
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err, err.decode()
