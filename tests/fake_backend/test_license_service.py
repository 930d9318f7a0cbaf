"""License over HTTP: ClearKey keys only for the bound title, device and account."""

from __future__ import annotations

import json
import time

from drm.clearkey import build_license_request, parse_license_response
from fake_backend.catalog import derive_keys
from mediacore.signed_message import canonical_response, signature_matches

PATH = "/license/v1/clearkey"


async def _playback(client, title_id):
    status, doc = await client.play(title_id)
    assert status == 200, doc
    return doc


async def test_keys_for_the_title(backend, client):
    title = backend.catalog[0]
    pb = await _playback(client, title.id)
    body = build_license_request([bytes.fromhex(k) for k in pb["drm"]["kids"]])
    status, _, r, raw = await client.signed(
        PATH, body, extra=pb["license"]["headers"], nonce="license-nonce-0001"
    )
    assert status == 200
    store = parse_license_response(raw)
    expected = derive_keys(backend.secret, title)
    assert store.reveal() == expected
    canon = canonical_response(
        200, PATH, int(r.headers["X-Nrdp-Timestamp"]), "license-nonce-0001", raw
    )
    assert signature_matches(client.key, canon, r.headers["X-Nrdp-Signature"])
    assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_subset_of_kids(backend, client):
    title = backend.catalog[0]
    pb = await _playback(client, title.id)
    body = build_license_request([title.kids[1]])
    status, _, _, raw = await client.signed(PATH, body, extra=pb["license"]["headers"])
    assert status == 200
    assert parse_license_response(raw).kids() == (title.kids[1],)


async def test_kid_of_another_title_denied(backend, client, fb):
    pb = await _playback(client, backend.catalog[0].id)
    body = build_license_request([backend.catalog[1].kids[0]])
    status, doc, _, _ = await client.signed(PATH, body, extra=pb["license"]["headers"])
    assert status == 403
    err = fb.error_of(doc)
    assert err["code"] == 8151 and backend.catalog[1].kids[0].hex() in err["message"]


async def test_missing_forged_or_expired_playback_token(backend, client, fb):
    title = backend.catalog[0]
    body = build_license_request([title.kids[0]])
    expired = backend.ctx.playback.issue(
        {"sub": client.login["account_id"], "dev": client.login["device_id"], "tid": title.id},
        now=time.time() - 10 * 3600,
        ttl_s=60,
    )
    for extra in (
        {},
        {"X-Nrdp-Playback-Token": "v1.abc.def"},
        {"X-Nrdp-Playback-Token": expired},
        {"X-Nrdp-Playback-Token": client.token},
    ):
        status, doc, _, _ = await client.signed(PATH, body, extra=extra)
        assert status == 403, extra
        assert fb.error_of(doc)["code"] == 8150


async def test_token_bound_to_device(backend, client, http, fb):
    pb = await _playback(client, backend.catalog[0].id)
    other = await fb.login_as(http, backend)  # same account, another device
    body = build_license_request([backend.catalog[0].kids[0]])
    status, doc, _, _ = await other.signed(PATH, body, extra=pb["license"]["headers"])
    assert status == 403 and fb.error_of(doc)["code"] == 8150


async def test_malformed_license_request(backend, client, fb):
    pb = await _playback(client, backend.catalog[0].id)
    for body in (
        b"{}",
        b"nope",
        json.dumps({"kids": ["AAAA"]}).encode(),
        json.dumps({"kids": [], "type": "temporary"}).encode(),
        json.dumps({"kids": ["CYh8eVb-YTIyoLLwbRGNTQ"], "type": "forever"}).encode(),
    ):
        status, doc, _, _ = await client.signed(PATH, body, extra=pb["license"]["headers"])
        assert status == 400, body
        assert fb.error_of(doc)["code"] == 8152


async def test_license_needs_signature(backend, client, http, fb):
    pb = await _playback(client, backend.catalog[0].id)
    body = build_license_request([backend.catalog[0].kids[0]])
    headers = dict(client.auth, **pb["license"]["headers"])
    async with http.post(backend.gateway_url + PATH, data=body, headers=headers) as r:
        assert r.status == 401 and fb.error_of(await r.json())["code"] == 8140
    status, doc, _, _ = await client.signed(
        PATH, body, extra=pb["license"]["headers"], tamper=body.replace(b"temporary", b"temporarz")
    )
    assert status == 401 and fb.error_of(doc)["code"] == 8141


async def test_cors_preflight(backend, http):
    headers = {"Origin": "http://player.example", "Access-Control-Request-Method": "POST"}
    async with http.options(backend.gateway_url + PATH, headers=headers) as r:
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
        allowed = r.headers["Access-Control-Allow-Headers"]
        assert "X-Nrdp-Signature" in allowed and "X-Nrdp-Playback-Token" in allowed
