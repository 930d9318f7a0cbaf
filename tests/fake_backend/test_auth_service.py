"""Auth and signup over HTTP: login, refresh, profiles, plans, signup and fake payment."""

from __future__ import annotations

import secrets

import pytest


async def test_login_returns_tokens_and_session_key(backend, client):
    login = client.login
    assert login["token_type"] == "Bearer"
    assert login["expires_in"] == int(backend.config.access_ttl_s)
    assert len(client.key) == 32
    assert login["entitled"] is True and login["plan"] == "standard"
    status, me, _ = await client.get("/auth/v1/me")
    assert status == 200
    assert me["email"] == backend.demo_email
    assert me["device_id"] == login["device_id"]
    assert [d["id"] for d in me["devices"]] == [login["device_id"]]


async def test_login_wrong_password_and_unknown_email(backend, http, fb):
    for email, pw in ((backend.demo_email, "wrong"), ("nobody@example.com", "x")):
        async with http.post(
            backend.gateway_url + "/auth/v1/login", json={"email": email, "password": pw}
        ) as r:
            assert r.status == 401
            err = fb.error_of(await r.json())
            assert err["code"] == 8113
            assert pw not in err["message"]


async def test_login_missing_and_mistyped_fields(backend, http, fb):
    for doc in (
        {},
        {"email": backend.demo_email},
        {"email": 5, "password": "x"},
        {"email": backend.demo_email, "password": "x", "device_id": "short"},
    ):
        async with http.post(backend.gateway_url + "/auth/v1/login", json=doc) as r:
            assert r.status == 400, doc
            assert fb.error_of(await r.json())["code"] == 8102


async def test_the_sdk_names_the_refused_field_and_refuses_what_the_gateway_refuses(backend, http):
    """One device id rule on both sides (mediacore.device_id), and the field in every 8102
    reaches the SDK's typed error."""
    from mediacore.device_id import is_valid_device_id
    from nrdp.channels.http import service_error
    from nrdp.config import ConfigError, DeviceConfig

    for device_id in ("short", "tv-01:abcdefghijklmn", "x" * 65, "ok_device-0001-abcd"):
        doc = {"email": backend.demo_email, "password": "x", "device_id": device_id}
        async with http.post(backend.gateway_url + "/auth/v1/login", json=doc) as r:
            body = await r.read()
            gateway_refused = r.status == 400
            err = service_error(r.status, str(r.url), r.headers, body)
        assert gateway_refused == (not is_valid_device_id(device_id)), device_id
        if gateway_refused:
            assert err.server_code == 8102 and err.field == "device_id"
            assert "field device_id" in str(err)
            with pytest.raises(ConfigError):
                DeviceConfig(device_id, backend.gateway_url)
        else:
            assert r.status == 401  # wrong password: the id itself passed
            DeviceConfig(device_id, backend.gateway_url)


async def test_login_with_device_id_reuses_device(backend, http, fb):
    dev = "tv-living-room-0001"
    c1 = await fb.login_as(http, backend, device_id=dev, device_model="TV")
    c2 = await fb.login_as(http, backend, device_id=dev, device_model="TV")
    assert c1.login["device_id"] == c2.login["device_id"] == dev
    assert c1.key != c2.key  # re-login re-keys the device
    _status, me, _ = await c2.get("/auth/v1/me")
    assert [d["id"] for d in me["devices"]] == [dev]


async def test_device_id_of_another_account_is_refused(backend, http, fb):
    dev = "shared-device-00001"
    await fb.login_as(http, backend, device_id=dev)
    other = await fb.signup_paid(http, backend, "basic")
    email = (await other.get("/auth/v1/me"))[1]["email"]
    async with http.post(
        backend.gateway_url + "/auth/v1/login",
        json={"email": email, "password": "correct horse", "device_id": dev},
    ) as r:
        assert r.status == 403
        assert fb.error_of(await r.json())["code"] == 8116


async def test_refresh_rotates_and_is_single_use(backend, http, fb, client):
    rt = client.login["refresh_token"]
    async with http.post(backend.gateway_url + "/auth/v1/refresh", json={"refresh_token": rt}) as r:
        assert r.status == 200
        fresh = await r.json()
    assert fresh["refresh_token"] != rt
    async with http.get(
        backend.gateway_url + "/auth/v1/me",
        headers={"Authorization": "Bearer " + fresh["access_token"]},
    ) as r:
        assert r.status == 200
    async with http.post(backend.gateway_url + "/auth/v1/refresh", json={"refresh_token": rt}) as r:
        assert r.status == 401
        assert fb.error_of(await r.json())["code"] == 8114


async def test_profiles(backend, client, fb):
    status, doc, _ = await client.send("POST", "/auth/v1/profiles", {"name": "Kids", "kids": True})
    assert status == 201 and doc["kids"] is True
    status, doc, _ = await client.get("/auth/v1/profiles")
    assert [p["name"] for p in doc["profiles"]] == ["Main", "Kids"]
    status, doc, _ = await client.send("POST", "/auth/v1/profiles", {"name": ""})
    assert status == 400 and fb.error_of(doc)["code"] == 8102
    status, doc, _ = await client.send("POST", "/auth/v1/profiles", {"name": "x", "kids": "yes"})
    assert status == 400
    for i in range(3):
        assert (await client.send("POST", "/auth/v1/profiles", {"name": f"p{i}"}))[0] == 201
    status, doc, _ = await client.send("POST", "/auth/v1/profiles", {"name": "sixth"})
    assert status == 400


async def test_plans_public(backend, http):
    async with http.get(backend.gateway_url + "/auth/v1/plans") as r:
        plans = {p["id"]: p for p in (await r.json())["plans"]}
    assert plans["basic"]["max_height"] == 720
    assert plans["premium"]["max_height"] > plans["standard"]["max_height"]


async def test_signup_then_payment_entitles(backend, http, fb):
    email = f"new-{secrets.token_hex(3)}@example.com"
    async with http.post(
        backend.gateway_url + "/signup/v1/accounts",
        json={"email": email, "password": "long enough", "plan": "basic"},
    ) as r:
        assert r.status == 201
        assert (await r.json())["entitled"] is False
    async with http.post(
        backend.gateway_url + "/signup/v1/accounts",
        json={"email": email, "password": "long enough", "plan": "basic"},
    ) as r:
        assert r.status == 409 and fb.error_of(await r.json())["code"] == 8115
    c = await fb.login_as(http, backend, email, "long enough")
    assert c.login["entitled"] is False
    status, doc = await c.play(backend.catalog[0].id)
    assert status == 403 and fb.error_of(doc)["code"] == 8130
    status, doc, _ = await c.send("POST", "/signup/v1/payment", {"card_number": "4000000000000002"})
    assert status == 402 and fb.error_of(doc)["code"] == 8133
    assert (await c.get("/auth/v1/me"))[1]["entitled"] is False
    status, doc, _ = await c.send("POST", "/signup/v1/payment", {"card_number": "1234"})
    assert status == 400 and fb.error_of(doc)["code"] == 8102
    status, doc, _ = await c.send(
        "POST", "/signup/v1/payment", {"card_number": "4242 4242 4242 4242"}
    )
    assert status == 200 and doc["entitled"] is True
    status, doc = await c.play(backend.catalog[0].id)
    assert status == 200


async def test_signup_validation(backend, http, fb):
    bad = [
        {"email": "not-an-email", "password": "long enough", "plan": "basic"},
        {"email": "a@example.com", "password": "short", "plan": "basic"},
        {"email": "a@example.com", "password": "long enough"},
    ]
    for doc in bad:
        async with http.post(backend.gateway_url + "/signup/v1/accounts", json=doc) as r:
            assert r.status == 400, doc
            assert fb.error_of(await r.json())["code"] == 8102
    async with http.post(
        backend.gateway_url + "/signup/v1/accounts",
        json={"email": "a@example.com", "password": "long enough", "plan": "gold"},
    ) as r:
        assert r.status == 400 and fb.error_of(await r.json())["code"] == 8134


async def test_revoked_device_loses_access(backend, http, fb, client):
    other = await fb.login_as(http, backend, device_model="Phone")
    status, doc, _ = await client.get("/auth/v1/devices")
    assert {d["id"] for d in doc["devices"]} == {
        client.login["device_id"],
        other.login["device_id"],
    }
    status, doc, _ = await client.send("DELETE", f"/auth/v1/devices/{other.login['device_id']}")
    assert status == 200 and doc["revoked"] == other.login["device_id"]
    status, doc, _ = await other.get("/auth/v1/me")  # its unexpired token no longer works
    assert status == 401 and fb.error_of(doc)["code"] == 8111
    async with http.post(
        backend.gateway_url + "/auth/v1/refresh",
        json={"refresh_token": other.login["refresh_token"]},
    ) as r:
        assert r.status == 401
    status, doc, _ = await client.send("DELETE", f"/auth/v1/devices/{other.login['device_id']}")
    assert status == 404 and fb.error_of(doc)["code"] == 8117
    stranger = await fb.signup_paid(http, backend, "basic")
    status, doc, _ = await stranger.send("DELETE", f"/auth/v1/devices/{client.login['device_id']}")
    assert status == 404
    assert (await client.get("/auth/v1/me"))[0] == 200
