"""Playback token expiry over real HTTP: an expired token is renewed once through the Play
API and playback continues; a token due to expire is renewed before a later license call;
a second refusal is the typed license error. The backend issues short-lived tokens with
``BackendConfig(playback_ttl_s=...)``."""

from __future__ import annotations

import asyncio
import time

import pytest

import abr.registry
from drm import KeyStore
from fake_backend.context import BackendConfig
from fake_backend.packager.frame_id import read_frame_id
from manifest import parse_mpd
from mediacore.errors import LicenseError
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import OcaSelector
from nrdp.device import Device
from nrdp.errors import LicenseDenied
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink
from nrdp.playback.token import PlaybackSession
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.tracks import select_tracks
from nrdp.state import PlayerEvent, PlayerState

FAST = PlayerConfig(realtime=False)


def device_config(be, n):  # type: ignore[no-untyped-def]
    return DeviceConfig(f"nrdp-token-device-{n:04d}", be.gateway_url)


async def test_expired_token_is_refreshed_once_and_playback_continues(make_backend, http, nb):
    be = await make_backend(ocas=1, config=BackendConfig(playback_ttl_s=2.0))
    # the MPD takes longer than the token lives: the license call meets an expired token
    await nb.set_faults(http, be, 0, latency_ms=3000, paths="*manifest.mpd")
    async with Device(device_config(be, 1)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        await player.load(nb.TITLE.id)
        session = player.playback_session
        assert session is not None and session.manifest is not None and session.first is not None
        assert session.refreshes == 1 and session.license_calls == 2
        # a fresh token, the first playback id kept for telemetry and the app
        old = session.first.license_headers
        new = session.manifest.license_headers
        assert [v.reveal() for v in old.values()] != [v.reveal() for v in new.values()]
        assert player.manifest is session.first
        state = await player.wait_until_done(timeout=30)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert player.stats().error_count == 0
        await player.stop()


async def test_a_token_refused_again_after_renewal_is_the_typed_license_error(make_backend, nb):
    be = await make_backend(ocas=1, config=BackendConfig(playback_ttl_s=0.0))  # born expired
    async with Device(device_config(be, 2)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        player = dev.player(config=FAST)
        with pytest.raises(LicenseDenied) as info:
            await player.load(nb.TITLE.id)
        assert isinstance(info.value, LicenseError) and info.value.status == 403
        assert info.value.reason == "PlaybackTokenInvalid"
        session = player.playback_session
        assert session is not None
        assert session.refreshes == 1 and session.license_calls == 2  # renewed once, no more
        assert player.state is PlayerState.ERROR and player.error is info.value
        assert player.stats().segments_downloaded == 0


async def test_token_about_to_expire_is_renewed_before_a_later_license(make_backend, nb):
    be = await make_backend(ocas=1, config=BackendConfig(playback_ttl_s=3.0))
    async with Device(device_config(be, 3)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        session = PlaybackSession(
            dev.playback, dev.auth, nb.TITLE.id, clock=dev.clock, wall=time.time
        )
        pm = await session.start()
        kids = set(pm.kids)
        keys = await session.license(kids)
        assert set(keys.kids()) == kids and session.refreshes == 0
        assert not session.due()
        left = session.expires_in()
        assert left is not None and 1.0 < left <= 3.0
        async with asyncio.timeout(3.0):
            while not session.due():  # counted down on the device's clock
                await asyncio.sleep(0.05)
        left = session.expires_in()
        assert left is not None and left > 0.5  # inside the renewal margin, not yet expired
        keys = await session.license(kids, proactive=True)
        assert set(keys.kids()) == kids
        # renewed first, so the license call went through at once (no refused attempt)
        assert session.refreshes == 1 and session.license_calls == 2
        assert session.manifest is not pm and not session.due()


async def test_engine_fetches_keys_an_init_needs_with_a_renewed_token(make_backend, nb):
    """Keys missing from the store when an init arrives come through the session (the path a
    rendition with its own KID takes), renewing a token that is about to expire first."""
    be = await make_backend(ocas=1, config=BackendConfig(playback_ttl_s=2.0))
    async with Device(device_config(be, 4)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        session = PlaybackSession(
            dev.playback, dev.auth, nb.TITLE.id, clock=dev.clock, wall=time.time
        )
        pm = await session.start()
        downloader = Downloader(dev.playback, OcaSelector(pm.ocas), clock=dev.clock)
        mpd = await downloader.fetch(pm.mpd_path)
        oca = next(o for o in pm.ocas if o.id == mpd.oca_id)
        manifest = parse_mpd(mpd.data, oca.url_for(pm.mpd_path))
        tracks = select_tracks(manifest, dev.config.capabilities)
        while not session.due():
            await asyncio.sleep(0.05)
        sink = HashSink(read_frame_id)
        pipe = MediaPipeline(KeyStore())  # no license yet: the engine must ask for keys
        engine = PlaybackEngine(
            tracks=tracks,
            downloader=downloader,
            pipeline=pipe,
            abr=abr.registry.create("throughput"),
            sink=sink,
            config=FAST,
            clock=dev.clock,
            emit=lambda e: None,
            duration=manifest.media_presentation_duration,
        )
        engine.need_keys = lambda k: session.license(k, proactive=True)
        engine.process(PlayerEvent.LOAD)
        engine.reset_for(0.0)
        engine.process(PlayerEvent.LOADED)
        try:
            await asyncio.wait_for(engine.run(), 30)
        finally:
            pipe.close()
        assert engine.state.state is PlayerState.ENDED
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert set(pipe.keys.kids()) == set(pm.kids)
        assert session.refreshes >= 1  # renewed before the license, never refused
        assert session.license_calls == len(tracks)  # one per init with a new KID
