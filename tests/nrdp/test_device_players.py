"""A device keeps the players an app still holds, not every player it ever made (a soak
making one player per play on one device grew without bound, issue 17)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import nrdp


def test_a_dropped_player_is_not_kept_and_a_held_one_is_closed() -> None:
    async def go() -> tuple[bool, bool, str]:
        async with nrdp.Device(
            nrdp.DeviceConfig("device-players-test", "http://127.0.0.1:9")
        ) as device:
            dropped = weakref.ref(device.player())
            held = device.player()
            gc.collect()
            gone = dropped() is None
            alive = held.state is nrdp.PlayerState.IDLE
        return gone, alive, held.state.value

    gone, alive, after = asyncio.run(go())
    assert gone, "the device kept a player nobody holds"
    assert alive and after == "idle"  # the held one was usable and closed with the device
