"""The player against OCAs that trickle one byte a second (issue 17 #2): with a healthy OCA
left it fails over and plays every frame; with none left it ends in a typed error in
bounded time (on main: LOADING for 120 s, 0 failovers, no error ever raised). The init
case also covers video and audio inits failing over at once: the second must not see the
OCA the first just excluded as one location fewer."""

from __future__ import annotations

import time

import pytest

from fake_backend.oca.faults import FaultPlan
from fake_backend.packager.frame_id import read_frame_id
from mediacore.errors import SdkError
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.events import OcaFailover
from nrdp.media.sinks import HashSink
from nrdp.state import PlayerState

FAST = PlayerConfig(realtime=False)
DEVICE = "nrdp-test-trickle-0001"


def _trickle_all_but_last_ranked(be, title_id: str, paths: str) -> str:  # type: ignore[no-untyped-def]
    """Trickle ``paths`` to this device on every OCA the Play API ranks before the last one
    (client plans: a cache fill between OCAs is not slowed); the last one's id."""
    ranked = [r.oca_id for r in be.steering.rank(title_id, DEVICE)]
    for node in be.fleet.nodes:
        if node.id != ranked[-1]:
            node.set_client_plan(DEVICE, FaultPlan(trickle_bps=1, paths=paths))
    return ranked[-1]


@pytest.mark.parametrize("paths", ["*/manifest.mpd", "*/init.mp4", "*/seg-*.m4s"])
async def test_trickling_ocas_are_left_and_every_frame_plays(backend, nb, paths):
    healthy = _trickle_all_but_last_ranked(backend, nb.TITLE.id, paths)
    async with Device(DeviceConfig(DEVICE, backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=FAST)
        events: list[object] = []
        player.on_event(events.append)
        t0 = time.monotonic()
        await player.load(nb.TITLE.id)
        state = await player.wait_until_done(timeout=60)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert time.monotonic() - t0 < 45
        assert sink.frame_ids == list(range(nb.FRAMES))
        failovers = [e for e in events if isinstance(e, OcaFailover)]
        assert failovers and failovers[0].reason == "slow"
        assert player.stats().current_oca == healthy


async def test_every_oca_trickling_the_mpd_is_a_typed_error_in_bounded_time(backend, nb):
    for node in backend.fleet.nodes:
        node.set_plan(FaultPlan(trickle_bps=1, paths="*/manifest.mpd"))
    async with Device(DeviceConfig(DEVICE, backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        player = dev.player(sink=HashSink(read_frame_id), config=FAST)
        t0 = time.monotonic()
        with pytest.raises(SdkError) as info:
            await player.load(nb.TITLE.id)
        assert time.monotonic() - t0 < 60
        assert info.value.code in (2013, 2021)  # ThroughputTooLow / AllOcasFailed
