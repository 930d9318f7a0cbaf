"""The control plane needs its token on every endpoint but /health; the token is in
endpoints.json, readable by the owner only (issue 17 #6: any player could take OCAs down
with one unauthenticated POST)."""

from __future__ import annotations

import json
import stat

import aiohttp

from fake_backend.context import BackendConfig
from fake_backend.control import CONTROL_TOKEN_HEADER


def _routes(app):  # type: ignore[no-untyped-def]
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD" and path is not None:
            yield route.method, path.replace("{oca_id}", "oca-1").replace("{name}", "search")


async def test_every_control_endpoint_refuses_without_the_token(backend):
    async with aiohttp.ClientSession() as anon:
        checked = 0
        for method, path in _routes(backend.control.app):
            async with anon.request(method, backend.control_url + path, json={}) as r:
                if path == "/health":
                    assert r.status == 200
                    continue
                assert r.status == 401, (method, path)
                assert (await r.json())["error"]["code"] == 8110
                checked += 1
        assert checked >= 15
        bad = {CONTROL_TOKEN_HEADER: "guess"}
        async with anon.post(backend.control_urls[0] + "/down", headers=bad) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == 8111
        assert all(n.up for n in backend.fleet.nodes)
        async with anon.post(
            backend.control_urls[0] + "/down", headers=backend.control_headers
        ) as r:
            assert r.status == 200
        assert not backend.fleet.nodes[0].up


async def test_endpoints_file_carries_the_token_for_the_owner_only(make_backend):
    be = await make_backend(config=BackendConfig())  # the conftest's fixed token
    path = be.data_dir / "endpoints.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["control_token"] == be.control_token


async def test_a_random_token_per_start_unless_configured(tmp_path):
    from fake_backend.runner import Backend

    tokens = []
    for i in range(2):
        async with Backend(tmp_path / f"d{i}", catalog="tiny", ocas=1, content_scale=0.02) as be:
            tokens.append(be.control_token)
    assert tokens[0] != tokens[1] and all(len(t) >= 32 for t in tokens)


async def test_token_can_be_turned_off(make_backend):
    be = await make_backend(config=BackendConfig(control_require_token=False))
    async with aiohttp.ClientSession() as anon, anon.get(be.control_url + "/control/v1/ocas") as r:
        assert r.status == 200
