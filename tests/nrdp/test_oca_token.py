"""The playback token on OCA requests, over real HTTP: every manifest and segment request
carries it (a backend that requires it serves a whole playback), the OCA knows the client
by it (its client plan applies), and an OCA's refusal renews it once through the Play API.
The token never shows in logs or errors."""

from __future__ import annotations

import logging
import time

import pytest

from fake_backend.context import BackendConfig
from fake_backend.packager.frame_id import read_frame_id
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import OcaSelector
from nrdp.device import Device
from nrdp.errors import AllOcasFailed
from nrdp.media.sinks import HashSink
from nrdp.playback.token import PlaybackSession
from nrdp.state import PlayerState

FAST = PlayerConfig(realtime=False)


def device_config(be, n):
    return DeviceConfig(f"nrdp-ocatoken-device-{n:04d}", be.gateway_url)


async def test_a_whole_playback_carries_the_token_and_meets_its_client_plan(make_backend, http, nb):
    be = await make_backend(ocas=2, config=BackendConfig(oca_require_token=True))
    cfg = device_config(be, 1)
    for url in be.control_urls:  # this device gets a (mild) plan of its own on every OCA
        async with http.put(
            url + "/faults", params={"client": cfg.device_id}, json={"ttfb_ms": 1}
        ) as r:
            assert r.status == 200, await r.text()
        async with http.put(
            url + "/faults", params={"client": "someone-else-0001"}, json={"error_rate": 1.0}
        ) as r:
            assert r.status == 200
    async with Device(cfg) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        await player.load(nb.TITLE.id)
        state = await player.wait_until_done(timeout=30)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert sink.frame_ids == list(range(nb.FRAMES))
        await player.stop()
    served = [n for n in be.fleet.nodes if n.stats["requests"]]
    assert served and all(n.stats["token_refusals"] == 0 for n in be.fleet.nodes)
    # the OCAs that served it knew the client: its plan started; the other device's did not
    assert all(n.client_plans[cfg.device_id].started_at is not None for n in served)
    assert all(n.client_plans["someone-else-0001"].started_at is None for n in be.fleet.nodes)


async def test_an_oca_refusing_the_token_renews_it_once_and_the_fetch_goes_on(
    make_backend, nb, caplog
):
    offset = [0.0]
    be = await make_backend(
        ocas=1,
        clock=lambda: time.time() + offset[0],
        config=BackendConfig(playback_ttl_s=60.0, oca_token_leeway_s=0.0),
    )
    caplog.set_level(logging.DEBUG)
    async with Device(device_config(be, 2)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        session = PlaybackSession(
            dev.playback, dev.auth, nb.TITLE.id, clock=dev.clock, wall=time.time
        )
        pm = await session.start()
        dl = Downloader(dev.playback, OcaSelector(pm.ocas), clock=dev.clock, auth=session)
        first = await dl.fetch(pm.mpd_path)
        assert dl.credential_renewals == 0 and session.refreshes == 0
        # the backend's clock runs past the token's expiry; the device's does not (skew)
        offset[0] = 61.0
        again = await dl.fetch(pm.mpd_path)
        assert again.data == first.data and again.oca_id == first.oca_id
        assert dl.credential_renewals == 1 and session.refreshes == 1
        assert be.fleet.nodes[0].stats["token_refusals"] == 1
        assert session.manifest is not None and session.manifest is not pm
        tokens = [pm.playback_token, session.manifest.playback_token]
        assert all(t is not None for t in tokens)
    for t in tokens:
        assert t is not None and t.reveal() not in caplog.text


async def test_a_token_refused_again_after_renewal_ends_in_a_typed_error(make_backend, nb, caplog):
    # tokens born expired, no leeway: every OCA request is refused, renewal or not
    be = await make_backend(
        ocas=1, config=BackendConfig(playback_ttl_s=0.0, oca_token_leeway_s=0.0)
    )
    caplog.set_level(logging.DEBUG)
    async with Device(device_config(be, 3)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        session = PlaybackSession(
            dev.playback, dev.auth, nb.TITLE.id, clock=dev.clock, wall=time.time
        )
        pm = await session.start()
        dl = Downloader(
            dev.playback, OcaSelector(pm.ocas), clock=dev.clock, auth=session, all_down_wait=0
        )
        with pytest.raises(AllOcasFailed) as info:
            await dl.fetch(pm.mpd_path)
        assert info.value.last_reason == "http-status"
        assert dl.credential_renewals == 1  # once per fetch, no loop
        assert session.manifest is not None and session.manifest.playback_token is not None
        secret = session.manifest.playback_token.reveal()
        chain: BaseException | None = info.value
        while chain is not None:
            assert secret not in str(chain) and secret not in repr(chain)
            chain = chain.__cause__
        assert secret not in caplog.text and secret not in repr(session.manifest)
