"""nrdp: the device SDK — channels, Play API, license, OCA failover, scheduler, decode, Player.

Start here::

    async with nrdp.Device(nrdp.DeviceConfig("tv-0001-abcdefgh", gateway_url)) as device:
        await device.login(email, password)
        rows = await device.discovery.home()
        player = device.player(sink=nrdp.HashSink())
        await player.load("t-ocean")
        async for event in player.events(): ...

Everything listed in ``__all__`` is the public API; other modules are implementation.
"""

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
from nrdp.player import Player
from nrdp.scheduler.master import MasterClock
from nrdp.scheduler.tracks import TrackInfo
from nrdp.state import PlayerState
from nrdp.stats import StatsSnapshot
from nrdp.text.cue import TextCue

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
    "Clock",
    "CmcdConfig",
    "CmcdMode",
    "ConnectFailed",
    "ConnectionReset",
    "ContentKeyMismatch",
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
    "Timeouts",
    "TrackChanged",
    "TrackInfo",
    "UnknownTrack",
    "VideoFrame",
]
