"""The two ways into playback, ending in one :class:`Opened` plan for one engine:

- a title id: Play API (signed) -> MPD from the best OCA (through the failover downloader)
  -> locations = ranked OCAs + the MPD's BaseURLs -> license from the Play API's server;
- a :class:`~nrdp.source.DashSource`: the MPD from its URL -> locations = the MPD's
  BaseURL candidates (or the MPD's own directory) -> ClearKey keys / license URL.

Both then share: xlink resolution, the Period timeline (tracks per Period, typed error for
an unplayable one), all KIDs of the MPD licensed up front, and the engine's ``locate`` /
``prepare`` hooks. No media segment is requested before :func:`open_title` /
:func:`open_dash` return.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drm import KeyStore
from manifest import Manifest
from nrdp.config import PlayerConfig
from nrdp.delivery.deadlines import STARTUP_BUDGETS
from nrdp.delivery.downloader import Downloader, SegmentAuth
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import DefaultLoadErrorPolicy
from nrdp.opening import (
    StaticHeaders,
    clearkey_keys,
    locate_in,
    locations_for,
    open_manifest,
    prepare_period,
    root_of,
)
from nrdp.playback.play_api import PlaybackManifest
from nrdp.playback.token import PlaybackSession
from nrdp.scheduler.live import LiveLoadErrorPolicy
from nrdp.source import DashSource
from nrdp.timeline import PeriodPlan, manifest_kids, period_plans, relative_path

if TYPE_CHECKING:
    from manifest.model import Representation
    from nrdp.device import Device

__all__ = ["CLEAR_SCHEMES", "Opened", "new_session", "open_dash", "open_title", "plan_periods"]

CLEAR_SCHEMES = frozenset({"", "clear", "none"})
"""Play API ``drm_scheme`` values that mean the title is not encrypted."""

NeedKeys = Callable[[frozenset[bytes]], Awaitable[KeyStore]]
OnFailover = Callable[[str, str | None, str], None]


@dataclass(frozen=True)
class Opened:
    """Everything the engine needs, whichever route opened the source."""

    manifest: Manifest
    periods: tuple[PeriodPlan, ...]
    downloader: Downloader
    selector: OcaSelector
    root: str
    keys: KeyStore
    kids: frozenset[bytes]
    license_seconds: float | None
    need_keys: NeedKeys
    content_id: str
    session_id: str | None = None
    playback: PlaybackManifest | None = None
    session: PlaybackSession | None = None
    mpd_url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def live(self) -> bool:
        """A dynamic MPD: the player adds its live task."""
        return self.manifest.is_dynamic

    async def fetch_mpd(self, url: str) -> bytes:
        """An MPD update from ``url``, through the failover downloader (the playback
        token and every location, like segments)."""
        path = relative_path(self.root, url)
        return (await self.downloader.fetch(path, deadline_s=STARTUP_BUDGETS.mpd_s)).data

    @property
    def duration(self) -> float | None:
        if self.manifest.media_presentation_duration is not None:
            return self.manifest.media_presentation_duration
        return self.periods[-1].end

    def locate(self) -> Callable[[Representation, str], str]:
        return locate_in(self.root)

    def prepare(self, device: Device) -> Callable[[PeriodPlan], Awaitable[PeriodPlan]]:
        locate = self.locate()

        async def run(period: PeriodPlan) -> PeriodPlan:
            return await prepare_period(self.downloader, locate, device.clock, period)

        return run


def _downloader(
    device: Device,
    config: PlayerConfig,
    locations: list[Oca],
    auth: SegmentAuth | None,
    on_failover: OnFailover,
) -> tuple[OcaSelector, Downloader]:
    selector = OcaSelector(locations, config.oca)
    downloader = Downloader(
        device.playback,
        selector,
        LiveLoadErrorPolicy(DefaultLoadErrorPolicy(config.load_error)),
        clock=device.clock,
        stall_timeout=config.stall_timeout,
        slow_factor=config.load_error.slow_factor,
        auth=auth,
        on_failover=on_failover,
    )
    return selector, downloader


def plan_periods(
    device: Device, config: PlayerConfig, manifest: Manifest, max_height: int | None
) -> tuple[PeriodPlan, ...]:
    return period_plans(
        manifest,
        device.config.capabilities,
        max_height=max_height,
        language=config.preferred_audio_language,
    )


async def open_dash(
    device: Device, config: PlayerConfig, source: DashSource, on_failover: OnFailover
) -> Opened:
    channel, headers = device.playback, source.headers
    manifest = await open_manifest(channel, source.mpd_url, headers)
    periods = plan_periods(device, config, manifest, None)
    locations = locations_for(manifest, source.mpd_url)
    auth = StaticHeaders(headers) if headers else None
    selector, downloader = _downloader(device, config, locations, auth, on_failover)
    kids = manifest_kids(periods)
    t0 = device.clock.now()
    keys = await clearkey_keys(channel, source.drm, kids, headers)
    asked = bool(set(kids) - {k for k in (source.drm.keys if source.drm else {})})

    async def need_keys(missing: frozenset[bytes]) -> KeyStore:
        return await clearkey_keys(channel, source.drm, missing, headers)

    return Opened(
        manifest=manifest,
        periods=periods,
        downloader=downloader,
        selector=selector,
        root=root_of(locations[0]),
        keys=keys,
        kids=kids,
        license_seconds=device.clock.now() - t0 if asked else None,
        need_keys=need_keys,
        content_id=source.content_id,
        mpd_url=source.mpd_url,
        headers=headers,
    )


async def open_title(
    device: Device,
    config: PlayerConfig,
    session: PlaybackSession,
    on_failover: OnFailover,
) -> Opened:
    pm = await session.start()
    selector, downloader = _downloader(device, config, list(pm.ocas), session, on_failover)
    mpd = await downloader.fetch(pm.mpd_path, deadline_s=STARTUP_BUDGETS.mpd_s)
    oca = next(o for o in pm.ocas if o.id == mpd.oca_id)
    mpd_url = oca.url_for(pm.mpd_path)
    manifest = await open_manifest(device.playback, mpd_url, {}, data=mpd.data)
    periods = plan_periods(device, config, manifest, pm.max_height)
    locations = locations_for(manifest, mpd_url, pm.ocas)
    if len(locations) > len(pm.ocas):  # the MPD names more places: fail over to them too
        selector, downloader = _downloader(device, config, locations, session, on_failover)
    kids = manifest_kids(periods)  # every audio track's too: a language switch needs none
    if not kids and (pm.drm_scheme or "").lower() not in CLEAR_SCHEMES:
        kids = frozenset(pm.kids)  # an MPD without default_KIDs: trust the Play API
    t0 = device.clock.now()
    keys = await session.license(kids)  # an expired token is renewed once
    return Opened(
        manifest=manifest,
        periods=periods,
        downloader=downloader,
        selector=selector,
        root=root_of(oca),
        keys=keys,
        kids=kids,
        license_seconds=device.clock.now() - t0 if kids else None,
        need_keys=lambda missing: session.license(missing, proactive=True),
        content_id=session.title_id,
        session_id=pm.playback_id,
        playback=pm,
        session=session,
        mpd_url=mpd_url,
    )


def new_session(device: Device, title_id: str, profile_id: str | None) -> PlaybackSession:
    return PlaybackSession(
        device.playback,
        device.auth,
        title_id,
        clock=device.clock,
        wall=time.time,
        profile_id=profile_id,
    )
