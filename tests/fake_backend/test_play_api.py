"""Play API over HTTP: signed requests, entitlement, plan ladder, OCA ranking, experiments."""

from __future__ import annotations

import json
import time

from mediacore.signed_message import canonical_response, signature_matches


async def test_manifest_contents(backend, client):
    title = backend.catalog[0]
    status, doc = await client.play(title.id)
    assert status == 200, doc
    assert doc["title_id"] == title.id
    assert doc["playback_id"].startswith("pb_")
    assert doc["expires_at"] > time.time()
    oca_urls = set(backend.oca_urls)
    cands = doc["oca_candidates"]
    assert len(cands) == 3 and [c["rank"] for c in cands] == [1, 2, 3]
    assert all(c["base_url"].rsplit("/titles/", 1)[0] in oca_urls for c in cands)
    assert doc["manifest"]["mpd_url"] == cands[0]["base_url"] + "manifest.mpd"
    assert doc["license"]["url"] == backend.gateway_url + "/license/v1/clearkey"
    assert doc["license"]["headers"]["X-Nrdp-Playback-Token"] == doc["playback_token"]
    assert doc["drm"]["system_id"] == "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
    assert doc["drm"]["kids"] == [k.hex() for k in title.kids]
    assert doc["experiment"]["cell"] in {c.name for c in backend.config.experiment.cells}
    # holders of the title rank above OCAs that would have to fill
    holds = [c["holds_title"] for c in cands]
    assert holds == sorted(holds, reverse=True) and sum(holds) == backend.config.replicas
    text = json.dumps(doc)
    for key in backend.ctx.store.title_keys(title.id).values():
        assert key.hex() not in text and key.hex().upper() not in text
    assert backend.demo_password not in text


async def test_response_is_signed(backend, client):
    path = "/play/v1/manifest"
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    status, _, r, raw = await client.signed(path, body, nonce="n" * 20)
    assert status == 200
    assert r.headers["X-Nrdp-Nonce"] == "n" * 20
    canon = canonical_response(200, path, int(r.headers["X-Nrdp-Timestamp"]), "n" * 20, raw)
    assert signature_matches(client.key, canon, r.headers["X-Nrdp-Signature"])
    assert not signature_matches(client.key, canon, r.headers["X-Nrdp-Signature"][:-2] + "AA")


async def test_plan_limits_ladder(backend, http, fb, client):
    basic = await fb.signup_paid(http, backend, "basic")
    title = backend.catalog[0]
    _, std = await client.play(title.id)
    _, bas = await basic.play(title.id)
    assert std["max_height"] == 1080
    assert bas["max_height"] == 720
    assert max(r["height"] for r in bas["ladder"] if r["kind"] == "video") == 720
    assert any(r["kind"] == "audio" for r in bas["ladder"])
    assert {r["id"] for r in bas["ladder"]} < {r["id"] for r in std["ladder"]}


async def test_unknown_title_404(backend, client, fb):
    status, doc = await client.play("t-does-not-exist")
    assert status == 404 and fb.error_of(doc)["code"] == 8131


async def test_bad_bodies(backend, client, fb):
    for body in (b"{", b"[]", b"{}", json.dumps({"title_id": 7}).encode()):
        status, doc, _, _ = await client.signed("/play/v1/manifest", body)
        assert status == 400, body
        assert fb.error_of(doc)["code"] in (8101, 8102)


async def test_unknown_profile_404(backend, client, fb):
    status, doc = await client.play(backend.catalog[0].id, profile_id="prf_nope")
    assert status == 404 and fb.error_of(doc)["code"] == 8132


async def test_unsigned_request_rejected(backend, http, client, fb):
    async with http.post(
        backend.gateway_url + "/play/v1/manifest",
        headers=client.auth,
        json={"title_id": backend.catalog[0].id},
    ) as r:
        assert r.status == 401
        err = fb.error_of(await r.json())
        assert err["code"] == 8140 and "X-Nrdp-Timestamp" in err["message"]


async def test_tampered_body_rejected(backend, client, fb):
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    tampered = json.dumps({"title_id": backend.catalog[1].id}).encode()
    status, doc, _, _ = await client.signed("/play/v1/manifest", body, tamper=tampered)
    assert status == 401 and fb.error_of(doc)["code"] == 8141


async def test_tampered_path_or_key_rejected(backend, client, fb, http):
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    headers = dict(client.auth, **client.sign("POST", "/play/v1/manifest?x=1", body))
    async with http.post(
        backend.gateway_url + "/play/v1/manifest", data=body, headers=headers
    ) as r:
        assert r.status == 401 and fb.error_of(await r.json())["code"] == 8141
    other = await fb.login_as(http, backend)  # a different device key
    headers = dict(client.auth, **other.sign("POST", "/play/v1/manifest", body))
    async with http.post(
        backend.gateway_url + "/play/v1/manifest", data=body, headers=headers
    ) as r:
        assert r.status == 401 and fb.error_of(await r.json())["code"] == 8141


async def test_stale_message_rejected(backend, client, fb):
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    for skew in (-600, 600):
        status, doc, _, _ = await client.signed(
            "/play/v1/manifest", body, ts=int(time.time()) + skew
        )
        assert status == 401
        assert fb.error_of(doc)["code"] == 8142
    status, _, _, _ = await client.signed("/play/v1/manifest", body, ts=int(time.time()) - 200)
    assert status == 200


async def test_replayed_message_rejected(backend, client, fb):
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    ts = int(time.time())
    first = await client.signed("/play/v1/manifest", body, ts=ts, nonce="replay-nonce-0001")
    assert first[0] == 200
    again = await client.signed("/play/v1/manifest", body, ts=ts, nonce="replay-nonce-0001")
    assert again[0] == 401 and fb.error_of(again[1])["code"] == 8143


async def test_malformed_signature_headers(backend, client, fb, http):
    body = json.dumps({"title_id": backend.catalog[0].id}).encode()
    good = client.sign("POST", "/play/v1/manifest", body)
    for name, value in (
        ("X-Nrdp-Timestamp", "soon"),
        ("X-Nrdp-Nonce", "short"),
        ("X-Nrdp-Signature", ""),
    ):
        headers = dict(client.auth, **good)
        headers[name] = value
        async with http.post(
            backend.gateway_url + "/play/v1/manifest", data=body, headers=headers
        ) as r:
            assert r.status == 401
            assert fb.error_of(await r.json())["code"] == 8140


async def test_down_oca_is_not_a_candidate(backend, client, http):
    async with http.post(backend.control_urls[0] + "/down") as r:
        assert r.status == 200
    _, doc = await client.play(backend.catalog[0].id)
    assert "oca-1" not in [c["oca_id"] for c in doc["oca_candidates"]]
    assert len(doc["oca_candidates"]) == 2


async def test_experiment_allocation_sticky_per_account(backend, client, http, fb):
    cells = set()
    for _ in range(3):
        _, doc = await client.play(backend.catalog[0].id)
        cells.add(doc["experiment"]["cell"])
    assert len(cells) == 1
    other_cells = set()
    for _ in range(12):
        c = await fb.signup_paid(http, backend, "standard")
        other_cells.add((await c.play(backend.catalog[0].id))[1]["experiment"]["cell"])
    assert len(other_cells) >= 2


async def test_drm_scheme_follows_the_packaged_title(backend, client):
    from dataclasses import replace

    store = backend.ctx.store
    title = backend.catalog[0]
    store.put_title(replace(title, scheme="cbcs"), store.title_keys(title.id))
    assert store.title(title.id).scheme == "cbcs"
    status, doc = await client.play(title.id)
    assert status == 200, doc
    assert doc["drm"]["scheme"] == "cbcs"


def test_a_short_last_segment_is_counted():
    from fake_backend.catalog import catalog_titles

    title = catalog_titles("tiny")[0]
    from dataclasses import replace

    assert replace(title, duration_s=9.0, segment_duration_s=2.0).segment_count == 5
    assert replace(title, duration_s=8.0, segment_duration_s=2.0).segment_count == 4
