"""nrdp: the device SDK — channels, Play API, license, OCA failover, scheduler, decode, Player.

Start here::

    async with nrdp.Device(nrdp.DeviceConfig("tv-0001-abcdefgh", gateway_url)) as device:
        await device.login(email, password)
        rows = await device.discovery.home()
        player = device.player(sink=nrdp.HashSink())
        await player.load("t-ocean")
        async for event in player.events(): ...

Everything listed in ``__all__`` is the public API; other modules are implementation.

The names load lazily (PEP 562): ``import nrdp`` or ``import nrdp.state`` imports no
aiohttp, PyAV or Qt; ``nrdp.Player`` imports the playback engine when first used. The
``TYPE_CHECKING`` block gives type checkers and IDEs the same names eagerly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nrdp._lazy import attach

if TYPE_CHECKING:
    from mediacore.errors import (
        DecodeError,
        DrmError,
        LicenseError,
        ManifestError,
        NetworkError,
        PlayerError,
        SdkError,
        Severity,
    )
    from nrdp.auth import Account
    from nrdp.clock import Clock, MonotonicClock
    from nrdp.config import (
        AbrConfig,
        BreakerConfig,
        BufferConfig,
        CmcdConfig,
        CmcdMode,
        DeviceCapabilities,
        DeviceConfig,
        DiscoveryChannelConfig,
        Limits,
        LoadErrorConfig,
        OcaConfig,
        PlaybackChannelConfig,
        PlayerConfig,
        RetryPolicy,
        TelemetryChannelConfig,
        Timeouts,
    )
    from nrdp.device import Device
    from nrdp.discovery.client import DiscoveryClient
    from nrdp.errors import (
        AllOcasFailed,
        CircuitOpen,
        ConfigError,
        ConnectFailed,
        ConnectionReset,
        ContentKeyMismatch,
        DecodeFailed,
        DemuxFailed,
        HttpStatusError,
        KeysMissing,
        LicenseAcquisitionFailed,
        LicenseDenied,
        LicenseTimeout,
        MalformedResponse,
        MalformedSteeringManifest,
        MalformedSubtitles,
        NetworkTimeout,
        NotEntitled,
        NotLoggedIn,
        ResponseTampered,
        ServiceError,
        StallTimeout,
        ThroughputTooLow,
        UnknownTrack,
    )
    from nrdp.events import (
        BandwidthEstimated,
        BufferLevel,
        ErrorEvent,
        Event,
        FramesRendered,
        LicenseAcquired,
        OcaFailover,
        QualityChanged,
        RebufferEnded,
        RebufferStarted,
        SegmentDownloaded,
        StateChanged,
        SteeringUpdated,
        SwitchReason,
        TrackChanged,
    )
    from nrdp.hub import Subscription
    from nrdp.media.sinks import AudioFrame, HashSink, NullSink, Sink, VideoFrame
    from nrdp.playback.play_api import PlaybackManifest
    from nrdp.player import Player
    from nrdp.scheduler.master import MasterClock
    from nrdp.scheduler.tracks import TrackInfo
    from nrdp.source import ClearKey, DashSource, parse_key_arg
    from nrdp.state import PlayerState
    from nrdp.stats import StatsSnapshot
    from nrdp.text.cue import TextCue
    from nrdp.thumbnails import Thumbnail

_WHERE: dict[str, str] = {
    "AbrConfig": "nrdp.config",
    "BreakerConfig": "nrdp.config",
    "BufferConfig": "nrdp.config",
    "CmcdConfig": "nrdp.config",
    "CmcdMode": "nrdp.config",
    "DeviceCapabilities": "nrdp.config",
    "DeviceConfig": "nrdp.config",
    "DiscoveryChannelConfig": "nrdp.config",
    "Limits": "nrdp.config",
    "LoadErrorConfig": "nrdp.config",
    "OcaConfig": "nrdp.config",
    "PlaybackChannelConfig": "nrdp.config",
    "PlayerConfig": "nrdp.config",
    "RetryPolicy": "nrdp.config",
    "TelemetryChannelConfig": "nrdp.config",
    "Timeouts": "nrdp.config",
    "Account": "nrdp.auth",
    "AllOcasFailed": "nrdp.errors",
    "CircuitOpen": "nrdp.errors",
    "ConfigError": "nrdp.errors",
    "ConnectFailed": "nrdp.errors",
    "ConnectionReset": "nrdp.errors",
    "ContentKeyMismatch": "nrdp.errors",
    "DecodeFailed": "nrdp.errors",
    "DemuxFailed": "nrdp.errors",
    "HttpStatusError": "nrdp.errors",
    "KeysMissing": "nrdp.errors",
    "LicenseAcquisitionFailed": "nrdp.errors",
    "LicenseDenied": "nrdp.errors",
    "LicenseTimeout": "nrdp.errors",
    "MalformedResponse": "nrdp.errors",
    "MalformedSteeringManifest": "nrdp.errors",
    "MalformedSubtitles": "nrdp.errors",
    "NetworkTimeout": "nrdp.errors",
    "NotEntitled": "nrdp.errors",
    "NotLoggedIn": "nrdp.errors",
    "ResponseTampered": "nrdp.errors",
    "ServiceError": "nrdp.errors",
    "StallTimeout": "nrdp.errors",
    "ThroughputTooLow": "nrdp.errors",
    "UnknownTrack": "nrdp.errors",
    "AudioFrame": "nrdp.media.sinks",
    "HashSink": "nrdp.media.sinks",
    "NullSink": "nrdp.media.sinks",
    "Sink": "nrdp.media.sinks",
    "VideoFrame": "nrdp.media.sinks",
    "BandwidthEstimated": "nrdp.events",
    "BufferLevel": "nrdp.events",
    "ErrorEvent": "nrdp.events",
    "Event": "nrdp.events",
    "FramesRendered": "nrdp.events",
    "LicenseAcquired": "nrdp.events",
    "OcaFailover": "nrdp.events",
    "QualityChanged": "nrdp.events",
    "RebufferEnded": "nrdp.events",
    "RebufferStarted": "nrdp.events",
    "SegmentDownloaded": "nrdp.events",
    "StateChanged": "nrdp.events",
    "SteeringUpdated": "nrdp.events",
    "SwitchReason": "nrdp.events",
    "TrackChanged": "nrdp.events",
    "Clock": "nrdp.clock",
    "MonotonicClock": "nrdp.clock",
    "DecodeError": "mediacore.errors",
    "DrmError": "mediacore.errors",
    "LicenseError": "mediacore.errors",
    "ManifestError": "mediacore.errors",
    "NetworkError": "mediacore.errors",
    "PlayerError": "mediacore.errors",
    "SdkError": "mediacore.errors",
    "Severity": "mediacore.errors",
    "Device": "nrdp.device",
    "DiscoveryClient": "nrdp.discovery.client",
    "MasterClock": "nrdp.scheduler.master",
    "Player": "nrdp.player",
    "PlaybackManifest": "nrdp.playback.play_api",
    "PlayerState": "nrdp.state",
    "StatsSnapshot": "nrdp.stats",
    "Subscription": "nrdp.hub",
    "TextCue": "nrdp.text.cue",
    "Thumbnail": "nrdp.thumbnails",
    "TrackInfo": "nrdp.scheduler.tracks",
    "ClearKey": "nrdp.source",
    "DashSource": "nrdp.source",
    "parse_key_arg": "nrdp.source",
}
"""Public name -> the module that defines it."""

__all__ = [
    "AbrConfig",
    "Account",
    "AllOcasFailed",
    "AudioFrame",
    "BandwidthEstimated",
    "BreakerConfig",
    "BufferConfig",
    "BufferLevel",
    "CircuitOpen",
    "ClearKey",
    "Clock",
    "CmcdConfig",
    "CmcdMode",
    "ConfigError",
    "ConnectFailed",
    "ConnectionReset",
    "ContentKeyMismatch",
    "DashSource",
    "DecodeError",
    "DecodeFailed",
    "DemuxFailed",
    "Device",
    "DeviceCapabilities",
    "DeviceConfig",
    "DiscoveryChannelConfig",
    "DiscoveryClient",
    "DrmError",
    "ErrorEvent",
    "Event",
    "FramesRendered",
    "HashSink",
    "HttpStatusError",
    "KeysMissing",
    "LicenseAcquired",
    "LicenseAcquisitionFailed",
    "LicenseDenied",
    "LicenseError",
    "LicenseTimeout",
    "Limits",
    "LoadErrorConfig",
    "MalformedResponse",
    "MalformedSteeringManifest",
    "MalformedSubtitles",
    "ManifestError",
    "MasterClock",
    "MonotonicClock",
    "NetworkError",
    "NetworkTimeout",
    "NotEntitled",
    "NotLoggedIn",
    "NullSink",
    "OcaConfig",
    "OcaFailover",
    "PlaybackChannelConfig",
    "PlaybackManifest",
    "Player",
    "PlayerConfig",
    "PlayerError",
    "PlayerState",
    "QualityChanged",
    "RebufferEnded",
    "RebufferStarted",
    "ResponseTampered",
    "RetryPolicy",
    "SdkError",
    "SegmentDownloaded",
    "ServiceError",
    "Severity",
    "Sink",
    "StallTimeout",
    "StateChanged",
    "StatsSnapshot",
    "SteeringUpdated",
    "Subscription",
    "SwitchReason",
    "TelemetryChannelConfig",
    "TextCue",
    "ThroughputTooLow",
    "Thumbnail",
    "Timeouts",
    "TrackChanged",
    "TrackInfo",
    "UnknownTrack",
    "VideoFrame",
    "parse_key_arg",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__
    __getattr__, __dir__ = attach(__name__, _WHERE)
