"""Login, token refresh on expiry, and secrets kept out of reprs (real gateway on loopback)."""

from __future__ import annotations

import asyncio

import pytest

from fake_backend.context import BackendConfig
from nrdp.config import DeviceConfig
from nrdp.device import Device
from nrdp.errors import NotLoggedIn, ServiceError


async def test_login_then_discovery_calls(backend, nb):
    async with Device(DeviceConfig("nrdp-auth-device-0001", backend.gateway_url)) as dev:
        with pytest.raises(NotLoggedIn):
            await dev.discovery.titles()
        account = await dev.login(backend.demo_email, backend.demo_password)
        assert account.entitled and account.profiles
        assert backend.demo_password not in repr(dev.auth)
        page = await dev.discovery.titles(limit=10)
        assert [t["id"] for t in page["items"]] == [nb.TITLE.id]
        detail = await dev.discovery.title(nb.TITLE.id)
        assert detail["id"] == nb.TITLE.id
        found = await dev.discovery.search("real")
        assert any(r["id"] == nb.TITLE.id for r in found["results"])
        saved = await dev.discovery.set_bookmark(nb.TITLE.id, 1.5)
        assert saved["position_s"] == pytest.approx(1.5)
        with pytest.raises(ServiceError) as info:
            await dev.discovery.title("t-nope")
        assert info.value.status == 404 and info.value.server_code == 8131
        assert dev.playback.requests == 0  # discovery never touches the playback channel


async def test_wrong_password_is_typed(backend):
    async with Device(DeviceConfig("nrdp-auth-device-0002", backend.gateway_url)) as dev:
        with pytest.raises(ServiceError) as info:
            await dev.login(backend.demo_email, "wrong password")
        assert info.value.status == 401 and "wrong password" not in str(info.value)


async def test_expired_access_token_is_refreshed_once(make_backend):
    be = await make_backend(config=BackendConfig(access_ttl_s=1.0))
    async with Device(DeviceConfig("nrdp-auth-device-0003", be.gateway_url)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        await asyncio.sleep(2.1)
        rows = await asyncio.gather(dev.discovery.home(), dev.discovery.titles())
        assert rows[1]["items"]
        assert dev.auth.refreshes == 1
