"""Control plane over HTTP: a whole gateway service down and up; breaker reset."""

from __future__ import annotations

from drm.clearkey import build_license_request, parse_license_response
from fake_backend.gateway.breaker import BreakerConfig

DISCOVERY_GETS = [
    "/discovery/v1/home",
    "/discovery/v1/titles",
    "/discovery/v1/titles/{t}",
    "/discovery/v1/search?q=ocean",
    "/discovery/v1/bookmarks",
]


async def _discovery_statuses(client, title_id, fb):
    """(status, error code or None) of every discovery route, including a bookmark PUT."""
    out = []
    for path in DISCOVERY_GETS:
        status, doc, _ = await client.get(path.format(t=title_id))
        out.append((status, fb.error_of(doc)["code"] if status >= 400 else None))
    status, doc, _ = await client.send(
        "PUT", f"/discovery/v1/bookmarks/{title_id}", {"position_s": 1.0}
    )
    out.append((status, fb.error_of(doc)["code"] if status >= 400 else None))
    return out


async def test_discovery_down_and_up(backend, http, client, fb):
    ctl = backend.control_url + "/control/v1/services"
    title = backend.catalog[0]
    before = await _discovery_statuses(client, title.id, fb)
    assert [s for s, _ in before] == [200] * 6

    async with http.post(ctl + "/discovery/down") as r:
        assert r.status == 200 and await r.json() == {"service": "discovery", "up": False}
    async with http.get(ctl) as r:
        states = {s["service"]: s["up"] for s in (await r.json())["services"]}
    assert states["discovery"] is False and states["play"] is True and states["auth"] is True

    down = await _discovery_statuses(client, title.id, fb)
    assert down == [(503, 8162)] * 6
    status, doc, r = await client.get("/discovery/v1/search?q=x")
    err = fb.error_of(doc)
    assert (status, err["name"]) == (503, "ServiceDown") and "discovery" in err["message"]
    assert r.headers["X-Request-Id"] == err["request_id"]

    # Play API, license and OCAs keep working while discovery is down.
    status, pb = await client.play(title.id)
    assert status == 200, pb
    body = build_license_request([bytes.fromhex(k) for k in pb["drm"]["kids"]])
    status, _, _, raw = await client.signed(
        "/license/v1/clearkey", body, extra=pb["license"]["headers"]
    )
    assert status == 200 and parse_license_response(raw).reveal()
    async with http.get(backend.gateway_url + "/health") as r:
        assert r.status == 200

    async with http.post(ctl + "/discovery/up") as r:
        assert await r.json() == {"service": "discovery", "up": True}
    after = await _discovery_statuses(client, title.id, fb)
    assert [s for s, _ in after] == [200] * 6


async def test_oca_serves_while_discovery_down(backend, http):
    async with http.post(backend.control_url + "/control/v1/services/discovery/down") as r:
        assert r.status == 200
    title_id = backend.catalog[0].id
    path = next(
        rel
        for rel in backend.origin.files(title_id)
        if backend.origin.file_path(title_id, rel).stat().st_size > 16
    )
    async with http.get(
        f"{backend.oca_urls[0]}/titles/{title_id}/{path}", headers={"Range": "bytes=0-15"}
    ) as r:
        assert r.status == 206 and len(await r.read()) == 16


async def test_unknown_service_down_is_404(backend, http):
    for name in ("nope", "recommendations", "..", "discovery.home"):
        async with http.post(backend.control_url + f"/control/v1/services/{name}/down") as r:
            assert r.status == 404, name
            assert (await r.json())["error"]["code"] == 8104


async def test_breakers_reset_closes_open_breakers(make_backend, http, fb):
    be = await make_backend(
        config=fb.BackendConfig(breaker=BreakerConfig(failure_threshold=2, reset_timeout_s=600))
    )
    client = await fb.login_as(http, be)
    ctl = be.control_url + "/control/v1"
    async with http.post(ctl + "/services/discovery/down") as r:
        assert r.status == 200
    codes = [fb.error_of((await client.get("/discovery/v1/titles"))[1])["code"] for _ in range(3)]
    assert codes == [8162, 8162, 8161]
    async with http.post(ctl + "/services/discovery/up") as r:
        assert r.status == 200
    status, doc, _ = await client.get("/discovery/v1/titles")
    assert (status, fb.error_of(doc)["code"]) == (503, 8161)  # still open: 600 s timeout
    async with http.get(ctl + "/breakers") as r:
        states = {b["route"]: b["state"] for b in (await r.json())["breakers"]}
    assert states["discovery.titles"] == "open"

    async with http.post(ctl + "/breakers/reset") as r:
        assert r.status == 200
        after = {b["route"]: (b["state"], b["failures"]) for b in (await r.json())["breakers"]}
    assert set(after.values()) == {("closed", 0)}
    status, doc, _ = await client.get("/discovery/v1/titles")
    assert status == 200 and doc["items"]
