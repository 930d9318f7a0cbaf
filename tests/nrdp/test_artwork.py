"""``DiscoveryClient.artwork``: a title's poster bytes over the discovery channel, typed
errors like the other discovery calls (real fake backend on loopback)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fake_backend.packager.poster import POSTER_SIZE, render_poster
from nrdp.config import DeviceConfig
from nrdp.device import Device
from nrdp.errors import NotLoggedIn, ServiceError


async def test_artwork_is_the_posters_png_on_the_discovery_channel(backend, nb):
    async with Device(DeviceConfig("nrdp-art-device-0001", backend.gateway_url)) as dev:
        with pytest.raises(NotLoggedIn):
            await dev.discovery.artwork(nb.TITLE.id)
        await dev.login(backend.demo_email, backend.demo_password)
        detail = await dev.discovery.title(nb.TITLE.id)
        assert detail["poster_url"] == f"/discovery/v1/titles/{nb.TITLE.id}/artwork"
        rows = (await dev.discovery.home())["rows"]
        assert {i["poster_url"] for r in rows for i in r["items"]} == {detail["poster_url"]}
        before = dev.discovery_channel.requests
        data = await dev.discovery.artwork(nb.TITLE.id)
        assert isinstance(data, bytes)
        assert data == render_poster(nb.TITLE.id, nb.TITLE.name)
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "PNG" and img.size == POSTER_SIZE
        assert dev.discovery_channel.requests > before  # (a busy machine may retry once)
        assert dev.playback.requests == 0  # artwork never touches the playback channel


async def test_artwork_errors_are_typed(backend, http, nb):
    async with Device(DeviceConfig("nrdp-art-device-0002", backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        with pytest.raises(ServiceError) as info:
            await dev.discovery.artwork("t-nope")
        assert info.value.status == 404 and info.value.server_code == 8131
        url = f"{backend.control_url}/control/v1/services/artwork/faults"
        async with http.put(url, json={"error_rate": 1.0}) as r:
            assert r.status == 200
        with pytest.raises(ServiceError) as info:
            await dev.discovery.artwork(nb.TITLE.id)
        assert info.value.status == 503 and info.value.server_code == 8160
        assert info.value.retriable
        async with http.put(url, json={"error_rate": 0.0}) as r:
            assert r.status == 200
        assert (await dev.discovery.artwork(nb.TITLE.id))[:8] == b"\x89PNG\r\n\x1a\n"
