"""What a browser page needs to play a title: the MPD URL and the playback token, asked
from the Play API as the nrdp player asks (login, signed request) on behalf of the page."""

from __future__ import annotations

from dataclasses import dataclass, field

import nrdp
from apps.headless.backend import BackendInfo
from apps.headless.scenarios import new_device_id

__all__ = ["PagePlayback", "page_playback"]


@dataclass(frozen=True)
class PagePlayback:
    mpd_url: str
    token: str = field(repr=False)
    license_url: str


async def page_playback(info: BackendInfo, title: str) -> PagePlayback:
    if not info.email or not info.password:
        raise ValueError("the contest backend has no demo login")
    async with nrdp.Device(nrdp.DeviceConfig(new_device_id(), info.gateway_url)) as device:
        await device.login(info.email, info.password)
        pm = await device.playback_manifest(title)
    token = pm.playback_token.reveal() if pm.playback_token is not None else ""
    return PagePlayback(pm.mpd_url, token, pm.license_url)
