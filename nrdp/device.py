"""The :class:`Device`: what a vendor's app opens once — channels, login, discovery, players.

``async with Device(DeviceConfig(...)) as device`` opens three HTTP channels that share
nothing (playback, discovery, telemetry: separate sessions, pools, timeouts, retry policies
and breakers) and closes all of them, every player and every background task on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import weakref
from types import TracebackType

from mediacore.errors import SdkError
from nrdp.auth import Account, AuthSession
from nrdp.channels.http import Channel
from nrdp.clock import Clock, MonotonicClock
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.discovery.client import DiscoveryClient
from nrdp.media.sinks import Sink
from nrdp.playback.play_api import PlaybackManifest, fetch_playback_manifest
from nrdp.player import Player
from nrdp.telemetry import TelemetryReporter

__all__ = ["Device"]


class Device:
    """One device session against one gateway."""

    def __init__(
        self,
        config: DeviceConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        telemetry_interval: float = 2.0,
    ) -> None:
        self.config = config
        self.clock = clock if clock is not None else MonotonicClock()
        ua = {"User-Agent": f"nrdp/{config.model}"}
        self.playback = Channel(config.playback, clock=self.clock, rng=rng, headers=ua)
        self.discovery_channel = Channel(config.discovery, clock=self.clock, rng=rng, headers=ua)
        self.telemetry_channel = Channel(config.telemetry, clock=self.clock, rng=rng, headers=ua)
        self.auth = AuthSession(
            config.gateway_url, config.device_id, model=config.model, clock=self.clock
        )
        self.discovery = DiscoveryClient(self.discovery_channel, self.auth)
        self.telemetry = TelemetryReporter(
            self.telemetry_channel, self.auth, interval=telemetry_interval
        )
        self._players: weakref.WeakSet[Player] = weakref.WeakSet()
        """Players still referenced (closed with the device); one an app dropped is not kept:
        a long-lived device making a player per play grew without bound (soak, issue 17)."""
        self._background: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Device:
        for ch in (self.playback, self.discovery_channel, self.telemetry_channel):
            ch.open()
        self.telemetry.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def login(self, email: str, password: str) -> Account:
        """Log the device in (control plane); keeps tokens and session key in memory only."""
        return await self.auth.login(self.discovery_channel, email, password)

    async def playback_manifest(self, title_id: str) -> PlaybackManifest:
        """The Play API's answer for ``title_id`` (MPD URL, OCAs, license URL, playback
        token), for an app that hands playback to another player (a browser page in QA)."""
        return await fetch_playback_manifest(self.playback, self.auth, title_id)

    def player(self, sink: Sink | None = None, config: PlayerConfig | None = None) -> Player:
        player = Player(self, sink, config if config is not None else PlayerConfig())
        self._players.add(player)
        return player

    def write_bookmark(self, title_id: str, position: float) -> None:
        """Save the resume point in the background, on the discovery channel (best effort)."""

        async def save() -> None:
            with contextlib.suppress(SdkError):
                await self.discovery.set_bookmark(title_id, position)

        task = asyncio.create_task(save(), name="nrdp-device-bookmark")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for player in list(self._players):
            await player.close()
        self._players.clear()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.telemetry.close()
        for ch in (self.playback, self.discovery_channel, self.telemetry_channel):
            await ch.close()
        self.auth.forget()
