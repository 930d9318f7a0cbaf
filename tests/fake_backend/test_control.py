"""Control plane over HTTP: OCA listing, fault-plan validation, steering, chaos, breakers."""

from __future__ import annotations

import asyncio


async def test_list_ocas_and_holdings(backend, http):
    async with http.get(backend.control_url + "/control/v1/ocas") as r:
        ocas = (await r.json())["ocas"]
    assert [o["oca_id"] for o in ocas] == ["oca-1", "oca-2", "oca-3"]
    assert [o["url"] for o in ocas] == backend.oca_urls
    for t in backend.catalog:
        holders = [o["oca_id"] for o in ocas if o["holdings"].get(t.id, {}).get("complete")]
        assert len(holders) == backend.config.replicas
    async with http.get(backend.control_urls[1]) as r:
        assert (await r.json())["oca_id"] == "oca-2"


async def test_fault_plan_roundtrip_and_validation(backend, http):
    url = backend.control_urls[0] + "/faults"
    async with http.put(url, json={"latency_ms": 50, "trace": [[0, 1000], [5, 500]]}) as r:
        plan = await r.json()
        assert r.status == 200
    assert plan["latency_ms"] == 50 and plan["trace"] == [[0.0, 1000.0], [5.0, 500.0]]
    async with http.get(url) as r:
        assert await r.json() == plan
    bad = [
        {"latency": 5},
        {"latency_ms": -1},
        {"error_rate": 2},
        {"error_status": 200},
        {"down": "yes"},
        {"trace": [[1, 2, 3]]},
        {"trace": [[5, 1], [1, 1]]},
        {"trace_text": "0 1\nnot numbers"},
        {"stall_after_bytes": 1.5},
        [],
    ]
    for doc in bad:
        async with http.put(url, json=doc) as r:
            assert r.status == 400, doc
            assert (await r.json())["error"]["code"] == 8171
    async with http.put(url, data=b"{nope") as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == 8101
    async with http.delete(url) as r:
        assert (await r.json())["latency_ms"] == 0


async def test_unknown_oca_and_service(backend, http):
    async with http.get(backend.control_url + "/control/v1/ocas/oca-9/faults") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == 8170
    async with http.put(backend.control_url + "/control/v1/services/nope/faults", json={}) as r:
        assert r.status == 404
    async with http.put(
        backend.control_url + "/control/v1/services/search/faults", json={"error_rate": 3}
    ) as r:
        assert r.status == 400


async def test_dash_content_steering(backend, http):
    title = backend.catalog[0].id
    url = f"{backend.gateway_url}/steering/v1/dash/{title}?client=dev-a"
    async with http.get(url, headers={"Host": "evil.example:666"}) as r:
        doc = await r.json()
    assert doc["VERSION"] == 1 and doc["TTL"] == backend.config.steering_ttl_s
    assert sorted(doc["PATHWAY-PRIORITY"]) == ["oca-1", "oca-2", "oca-3"]
    # Regression (issue 17 #13): the reload URL used to echo the Host header.
    assert doc["RELOAD-URI"] == url
    async with http.get(f"{backend.control_url}/steering/v1/dash/{title}") as r:
        assert r.status == 404  # players never need the control plane's address
    first = doc["PATHWAY-PRIORITY"][0]
    async with http.put(
        f"{backend.control_url}/control/v1/ocas/{first}/faults", json={"error_rate": 0.9}
    ) as r:
        assert r.status == 200
    async with http.get(url) as r:
        assert (await r.json())["PATHWAY-PRIORITY"][-1] == first
    async with http.get(f"{backend.gateway_url}/steering/v1/dash/t-nope") as r:
        assert r.status == 404


async def test_rank_spreads_clients_over_equal_ocas(backend, http):
    title = backend.catalog[0].id
    firsts = set()
    for i in range(30):
        async with http.get(
            f"{backend.gateway_url}/steering/v1/rank/{title}", params={"client": f"device-{i}"}
        ) as r:
            cands = (await r.json())["candidates"]
        assert cands[0]["holds_title"] is True
        firsts.add(cands[0]["oca_id"])
    assert len(firsts) == backend.config.replicas


async def test_chaos_step_keeps_one_up(backend):
    chaos = backend.chaos
    for _ in range(30):
        await chaos.step()
        assert any(n.up for n in backend.fleet.nodes)
    actions = [e["action"] for e in chaos.events]
    assert "down" in actions and "up" in actions


async def test_chaos_is_seeded(make_backend):
    runs = []
    for _ in range(2):
        be = await make_backend(chaos_seed=42, chaos_interval_s=1000)
        for _ in range(8):
            await be.chaos.step()
        runs.append([(e["oca_id"], e["action"]) for e in be.chaos.events])
        await be.close()
    assert runs[0] == runs[1] and runs[0]


async def test_chaos_mode_via_control(backend, http):
    async with http.post(
        backend.control_url + "/control/v1/chaos/start", json={"interval_s": 0.05}
    ) as r:
        assert (await r.json())["running"] is True
    await asyncio.sleep(0.5)
    async with http.post(backend.control_url + "/control/v1/chaos/stop") as r:
        doc = await r.json()
    assert doc["running"] is False and len(doc["events"]) >= 2
    async with http.post(
        backend.control_url + "/control/v1/chaos/start", json={"interval_s": -1}
    ) as r:
        assert r.status == 400
    # a soak names its chaos: the seed of the start request is the one transitions draw from
    url = backend.control_url + "/control/v1/chaos/start"
    async with http.post(url, json={"interval_s": 60, "seed": 4242}) as r:
        assert (await r.json())["seed"] == 4242
    async with http.post(backend.control_url + "/control/v1/chaos/stop") as r:
        assert (await r.json())["running"] is False
    async with http.post(url, json={"interval_s": 60, "seed": "x"}) as r:
        assert r.status == 400
