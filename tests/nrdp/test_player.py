"""The Player end to end over the real fake backend: encrypted media, real decode, faults."""

from __future__ import annotations

import asyncio
import threading

import pytest

import abr.registry
from abr.base import AbrAlgorithm
from fake_backend.context import BackendConfig
from fake_backend.packager.frame_id import read_frame_id
from mediacore.errors import LicenseError, SdkError, Severity
from nrdp.channels.breaker import BreakerState
from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.errors import CircuitOpen, ContentKeyMismatch, NetworkTimeout, NotEntitled
from nrdp.events import OcaFailover, QualityChanged, SegmentDownloaded, StateChanged
from nrdp.media.sinks import HashSink
from nrdp.playback.play_api import fetch_playback_manifest
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock

FAST = PlayerConfig(realtime=False)


def device_config(be, n=1):  # type: ignore[no-untyped-def]
    return DeviceConfig(f"nrdp-test-device-{n:04d}", be.gateway_url)


def nrdp_tasks(*, device: bool = True) -> list[asyncio.Task]:  # type: ignore[type-arg]
    """Tasks of the SDK still alive; ``device=False`` ignores the device's own (telemetry)."""
    return [
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith("nrdp") and (device or not t.get_name().startswith("nrdp-dev"))
    ]


def media_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("nrdp-media")]


async def test_encrypted_title_plays_to_the_end_every_frame_once_in_order(backend, nb):
    async with Device(device_config(backend)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        await player.load(nb.TITLE.id)
        state = await player.wait_until_done(timeout=30)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert sink.ended and sink.audio_frames > 0
        # the ABR object is built by the one registry the simulator uses; the A/B cell's
        # algorithm wins when the registry knows it
        assert player.engine is not None and isinstance(player.engine.abr, AbrAlgorithm)
        cell_algo = player.manifest.abr_algorithm
        if cell_algo in abr.registry.names():
            assert player.engine.abr.name == cell_algo
        # audio and video keep their timestamps: both cover the whole title
        assert sink.video_pts[0] == pytest.approx(0.0) and sink.audio_pts[0] < 0.05
        assert sink.audio_pts[-1] > nb.TITLE.duration_s - 0.1
        stats = player.stats()
        assert stats.decoded_frames == nb.FRAMES
        assert stats.license_time is not None and stats.segments_downloaded >= 8
        assert stats.stall_count == 0 and stats.error_count == 0
        await player.stop()
    assert not nrdp_tasks() and not media_threads()


async def test_serving_oca_killed_mid_segment_playback_continues_without_loss(backend, http, nb):
    async with Device(device_config(backend, 2)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        # the OCA the Play API ranks first for this device serves the session: cut its
        # connections 3000 bytes into segment 3 of every track
        pm = await fetch_playback_manifest(dev.playback, dev.auth, nb.TITLE.id)
        first = pm.ocas[0].id
        index = int(first.rsplit("-", 1)[1]) - 1
        await nb.set_faults(http, backend, index, truncate_after_bytes=3000, paths="*/seg-3.m4s")
        events = []
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.frame_ids == list(range(nb.FRAMES))
        failovers = [e for e in events if isinstance(e, OcaFailover)]
        assert failovers and failovers[0].from_oca == first
        third = [e for e in events if isinstance(e, SegmentDownloaded) and e.number == 3]
        assert third and all(e.oca != first for e in third)
        assert player.stats().oca_failovers >= 1
        await player.stop()
    assert not nrdp_tasks()


async def test_not_entitled_is_a_license_error_before_any_media(backend, http, nb):
    email, password = "unpaid-user@example.com", "correct horse"
    async with http.post(
        backend.gateway_url + "/signup/v1/accounts",
        json={"email": email, "password": password, "plan": "basic"},
    ) as r:
        assert r.status == 201, await r.text()
    async with Device(device_config(backend, 3)) as dev:
        account = await dev.login(email, password)
        assert account.entitled is False
        player = dev.player(config=FAST)
        with pytest.raises(NotEntitled) as info:
            await player.load(nb.TITLE.id)
        assert isinstance(info.value, LicenseError)
        assert dev.playback.requests == 1  # the Play API call only: no MPD, no license, no media
        assert player.state is PlayerState.ERROR and player.error is info.value
        assert player.stats().segments_downloaded == 0


async def test_pause_seek_resume_stop_leave_nothing_running(backend, nb):
    async with Device(device_config(backend, 4)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=PlayerConfig(realtime=False, autoplay=False))
        await player.load(nb.TITLE.id)
        await asyncio.sleep(0.3)  # prefetch while paused, but present nothing
        assert player.state is PlayerState.PAUSED
        assert sink.video_frames == 0 and player.stats().segments_downloaded > 0
        await player.seek(2.0)
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.flushes == [2.0]
        assert sink.frame_ids == list(range(20, nb.FRAMES))
        await player.seek(1.0)  # seek after the end plays the tail again
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.frame_ids[-30:] == list(range(10, nb.FRAMES))
        await player.stop()
        assert player.state is PlayerState.IDLE
        assert not nrdp_tasks(device=False) and not media_threads()
        # every response was released back to (or closed out of) the playback pool
        assert dev.playback.connector is not None
        assert not dev.playback.connector._acquired  # aiohttp keeps no public counter

        connectors = [dev.playback.connector, dev.discovery_channel.connector]
    assert all(c is not None and c.closed for c in connectors)
    assert not nrdp_tasks()


async def test_discovery_down_or_slow_never_stalls_playback(backend, http, nb):
    async with http.put(
        backend.control_url + "/control/v1/services/search/faults",
        json={"error_rate": 0.0, "latency_ms": 5000},
    ) as r:
        assert r.status == 200, await r.text()
    async with http.put(
        backend.control_url + "/control/v1/services/recommendations/faults",
        json={"error_rate": 1.0, "latency_ms": 0},
    ) as r:
        assert r.status == 200, await r.text()
    config = PlayerConfig(buffer=BufferConfig(start=1.0, rebuffer=1.0, target=3.0, max_ahead=4.0))
    async with Device(device_config(backend, 5)) as dev:
        assert dev.playback.connector is not dev.discovery_channel.connector
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=config)
        await player.load(nb.TITLE.id)

        async def hammer() -> list[BaseException]:
            errors: list[BaseException] = []
            for _ in range(3):
                results = await asyncio.gather(
                    *(dev.discovery.search("ocean") for _ in range(6)), return_exceptions=True
                )
                errors += [e for e in results if isinstance(e, BaseException)]
            return errors

        home = await dev.discovery.home()
        assert "recommendations" in home.get("degraded", [])
        errors = await hammer()
        assert errors and all(isinstance(e, SdkError) for e in errors)
        # timeouts (read or pool wait) until the breaker opens, then fast CircuitOpen (a retry
        # that meets the open breaker ends as CircuitOpen, so the mix depends on timing)
        assert all(isinstance(e, NetworkTimeout | CircuitOpen) for e in errors), errors
        assert dev.discovery_channel.failures >= 3
        # the discovery breaker opened: further calls fail fast; playback's stays closed
        with pytest.raises(CircuitOpen):
            await dev.discovery.home()
        assert dev.discovery_channel.breaker.state is BreakerState.OPEN
        assert dev.playback.breaker.state is BreakerState.CLOSED
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        stats = player.stats()
        assert stats.stall_count == 0, stats
        assert sink.frame_ids == list(range(nb.FRAMES))
        await player.stop()


async def test_telemetry_and_bookmark_reach_the_backend(make_backend, http, nb):
    be = await make_backend(config=BackendConfig())
    async with Device(device_config(be, 6), telemetry_interval=0.2) as dev:
        await dev.login(be.demo_email, be.demo_password)
        player = dev.player(config=FAST)
        await player.load(nb.TITLE.id)
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        playback_id = player.manifest.playback_id
        await player.seek(1.5)  # then stop mid-title: the bookmark is the stop position
        await player.stop()
        await dev.telemetry.flush()
        token = dev.auth
        resp = await token.call(
            dev.discovery_channel, "GET", f"/telemetry/v1/events?playback_id={playback_id}"
        )
        types = [e["type"] for e in resp.json_object()["events"]]
        assert "session_start" in types and "session_end" in types
        end = next(e for e in resp.json_object()["events"] if e["type"] == "session_end")
        assert {"startup_ms", "rebuffer_ms", "played_ms", "avg_bitrate_kbps"} <= set(end["data"])
        assert end["data"].get("cell") == player.manifest.experiment_cell
        await asyncio.sleep(0)
        await asyncio.gather(*dev._background)
        marks = await dev.discovery.bookmarks()
        assert any(m["title_id"] == nb.TITLE.id for m in marks)


async def test_too_slow_rung_is_abandoned_for_a_lower_one(make_backend, http, nb):
    backend = await make_backend(ocas=1)
    # the only OCA serves the 700 kbps rung at 250 kbps; everything else is fast
    await nb.set_faults(http, backend, 0, bandwidth_kbps=250, paths="*/v360/*")
    async with Device(device_config(backend, 7)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        events = []
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        player.set_quality(rung=1)  # pin the top rung: it cannot be sustained
        state = await player.wait_until_done(timeout=60)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert sink.frame_ids == list(range(nb.FRAMES))
        video = [e for e in events if isinstance(e, SegmentDownloaded) and e.track.value == "video"]
        assert video and all(e.rung == 0 for e in video)
        assert set(sink.rungs) == {"v240"}
        await player.stop()


async def test_nothing_blocks_the_loop_and_no_secret_leaks(backend, nb, caplog):
    """asyncio debug mode reports any SDK step that holds the loop for 250 ms or more."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 0.25
    try:
        async with Device(device_config(backend, 8)) as dev:
            await dev.login(backend.demo_email, backend.demo_password)
            events = []
            player = dev.player(sink=HashSink(read_frame_id), config=FAST)
            player.on_event(events.append)
            await player.load(nb.TITLE.id)
            assert await player.wait_until_done(timeout=60) is PlayerState.ENDED
            secrets_ = [dev.auth._access.reveal(), dev.auth._key.reveal().hex()]  # type: ignore[union-attr]
            secrets_ += [v.reveal() for v in player.manifest.license_headers.values()]
            dump = repr([e.to_dict() for e in events]) + repr(player.stats().to_dict())
            assert not any(s in dump for s in secrets_)
            await player.stop()
    finally:
        loop.set_debug(False)
    slow = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert not [m for m in slow if "nrdp" in m], slow


async def test_realtime_pause_freezes_the_presentation_clock(backend, nb):
    clock = VirtualClock()  # virtual time: a busy machine cannot make a frame late
    async with Device(device_config(backend, 9), clock=clock) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=4.0, max_ahead=5.0))
        player = dev.player(sink=sink, config=cfg)
        states = []
        player.on_event(lambda e: states.append(e.new) if isinstance(e, StateChanged) else None)
        t0 = clock.now()
        await player.load(nb.TITLE.id)
        await clock.sleep(1.0)
        player.pause()
        await clock.sleep(0.1)
        frozen_at, position = sink.video_frames, player.position
        assert 0 < frozen_at < nb.FRAMES
        await clock.sleep(0.6)
        assert sink.video_frames == frozen_at and player.position == position
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        elapsed = clock.now() - t0
        assert sink.frame_ids == list(range(nb.FRAMES))
        # frames were shown on time: 4 s of media plus the pause, not as fast as possible
        assert elapsed >= nb.TITLE.duration_s + 0.6
        assert PlayerState.PAUSED in states and states[-1] is PlayerState.ENDED
        stats = player.stats()
        assert stats.stall_count == 0 and stats.dropped_frames == 0
        assert stats.playing_time >= nb.TITLE.duration_s - 0.5
        await player.stop()


async def test_quality_switch_mid_playback_keeps_every_frame(backend, nb):
    clock = VirtualClock()  # real-time playback on virtual time: no frame is late on load
    async with Device(device_config(backend, 10), clock=clock) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0))
        player = dev.player(sink=sink, config=cfg)
        events = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        player.set_quality(rung=0)
        await clock.sleep(1.2)
        player.set_quality(rung=1)  # manual switch up: a new init segment, no flush
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert sink.rungs[0] == "v240" and sink.rungs[-1] == "v360"
        switches = [e for e in events if isinstance(e, QualityChanged) and e.track.value == "video"]
        assert [e.rung for e in switches] == [0, 1]
        await player.stop()


@pytest.mark.parametrize("flip", [0x5A, 0xFF, 0x01])
async def test_wrong_key_from_the_license_is_a_typed_error_not_garbage_frames(
    make_backend, nb, flip
):
    """The license server hands out keys that do not match the content (a misconfigured key
    store): the session ends with the typed key error and no decoded garbage reaches the sink."""
    be = await make_backend()
    store = be.ctx.store
    title = store.title(nb.TITLE.id)
    assert title is not None
    good = store.title_keys(nb.TITLE.id)
    store.put_title(title, {kid: bytes(b ^ flip for b in key) for kid, key in good.items()})
    async with Device(device_config(be, 7)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        await player.load(nb.TITLE.id)  # the license itself is fine: keys for every KID
        state = await player.wait_until_done(timeout=60)
        assert state is PlayerState.ERROR
        assert isinstance(player.error, ContentKeyMismatch), player.error
        assert player.error.severity is Severity.CRITICAL
        assert sink.frame_ids == [] and player.stats().decoded_frames == 0
        await player.stop()
    assert not nrdp_tasks() and not media_threads()
