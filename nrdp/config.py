"""Configuration: frozen, self-validating value objects with named defaults (httpx ``_config.py``).

Every object checks its own fields when constructed and raises
:class:`nrdp.errors.ConfigError` naming the bad field, so a wrong value fails at
``PlayerConfig(...)``, not deep inside a download. Replace fields with
:func:`dataclasses.replace`, which validates again.

The two planes get separate channel configs with different defaults (docs/architecture.md):
playback (segments, license, Play API) has short per-request timeouts and retries harder;
discovery (catalog, search) fails fast with few retries, so it can never hold up playback.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from mediacore.device_id import DEVICE_ID_RULE, is_valid_device_id
from nrdp.cmcd import KEYS as CMCD_KEYS
from nrdp.cmcd import CmcdMode
from nrdp.errors import ConfigError

__all__ = [
    "DEFAULT_BUFFER_CONFIG",
    "DEFAULT_DISCOVERY_CHANNEL",
    "DEFAULT_LOAD_ERROR_CONFIG",
    "DEFAULT_OCA_CONFIG",
    "DEFAULT_PLAYBACK_CHANNEL",
    "DEFAULT_TELEMETRY_CHANNEL",
    "AbrConfig",
    "BreakerConfig",
    "BufferConfig",
    "CmcdConfig",
    "CmcdMode",
    "DeviceCapabilities",
    "DeviceConfig",
    "DiscoveryChannelConfig",
    "Limits",
    "LiveConfig",
    "LoadErrorConfig",
    "OcaConfig",
    "PlaybackChannelConfig",
    "PlayerConfig",
    "RetryPolicy",
    "TelemetryChannelConfig",
    "Timeouts",
]


def _finite(name: str, value: float, *, low: float = 0.0, inclusive: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"must be a number, not {type(value).__name__}", field=name)
    if not math.isfinite(value):
        raise ConfigError("must be finite", field=name)
    if value < low or (not inclusive and value == low):
        op = ">=" if inclusive else ">"
        raise ConfigError(f"must be {op} {low:g}, got {value!r}", field=name)


def _integer(name: str, value: int, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"must be an int, not {type(value).__name__}", field=name)
    if value < low:
        raise ConfigError(f"must be >= {low}, got {value}", field=name)


def _typed(name: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        raise ConfigError(f"must be a {kind.__name__}, not {type(value).__name__}", field=name)


# ------------------------------------------------------------------------- channels


@dataclass(frozen=True)
class Timeouts:
    """Per-request limits in seconds: connect, stall (max gap between body bytes), total."""

    connect: float = 2.0
    read: float = 4.0
    total: float = 10.0
    pool: float = 2.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _finite(f"timeouts.{f.name}", getattr(self, f.name), inclusive=False)
        if self.total < self.connect:
            raise ConfigError("total must be >= connect", field="timeouts.total")


@dataclass(frozen=True)
class Limits:
    """Connection pool size of one channel; channels never share a pool."""

    max_connections: int = 8
    max_connections_per_host: int = 4
    keepalive_expiry: float = 15.0

    def __post_init__(self) -> None:
        _integer("limits.max_connections", self.max_connections, low=1)
        _integer("limits.max_connections_per_host", self.max_connections_per_host, low=1)
        _finite("limits.keepalive_expiry", self.keepalive_expiry)
        if self.max_connections_per_host > self.max_connections:
            raise ConfigError("must be <= max_connections", field="limits.max_connections_per_host")


@dataclass(frozen=True)
class RetryPolicy:
    """Shaka ``backoff.js`` parameters; delay n = min(max_delay, base*factor**(n-1)) ± fuzz."""

    max_attempts: int = 3
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 8.0
    fuzz: float = 0.5

    def __post_init__(self) -> None:
        _integer("retry.max_attempts", self.max_attempts, low=1)
        _finite("retry.base_delay", self.base_delay)
        _finite("retry.factor", self.factor, low=1.0)
        _finite("retry.max_delay", self.max_delay)
        _finite("retry.fuzz", self.fuzz)
        if self.fuzz > 1.0:
            raise ConfigError("must be <= 1", field="retry.fuzz")
        if self.max_delay < self.base_delay:
            raise ConfigError("must be >= base_delay", field="retry.max_delay")


@dataclass(frozen=True)
class BreakerConfig:
    """Circuit breaker: trip after N consecutive failures, stay open, then probe."""

    failure_threshold: int = 5
    open_duration: float = 10.0
    half_open_probes: int = 1
    success_threshold: int = 1

    def __post_init__(self) -> None:
        _integer("breaker.failure_threshold", self.failure_threshold, low=1)
        _finite("breaker.open_duration", self.open_duration, inclusive=False)
        _integer("breaker.half_open_probes", self.half_open_probes, low=1)
        _integer("breaker.success_threshold", self.success_threshold, low=1)
        if self.success_threshold > self.half_open_probes:
            raise ConfigError("must be <= half_open_probes", field="breaker.success_threshold")


@dataclass(frozen=True)
class _ChannelConfig:
    name: str
    timeouts: Timeouts
    limits: Limits
    retry: RetryPolicy
    breaker: BreakerConfig

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", self.name):
            raise ConfigError("must be a short lowercase identifier", field="name")
        _typed("timeouts", self.timeouts, Timeouts)
        _typed("limits", self.limits, Limits)
        _typed("retry", self.retry, RetryPolicy)
        _typed("breaker", self.breaker, BreakerConfig)


@dataclass(frozen=True)
class PlaybackChannelConfig(_ChannelConfig):
    """Data plane: Play API, license, segments. Tight timeouts, more retries, own pool."""

    name: str = "playback"
    timeouts: Timeouts = Timeouts(connect=1.0, read=2.0, total=8.0, pool=1.0)
    limits: Limits = Limits(max_connections=8, max_connections_per_host=4)
    retry: RetryPolicy = RetryPolicy(
        max_attempts=5, base_delay=0.25, factor=2.0, max_delay=4.0, fuzz=0.5
    )
    breaker: BreakerConfig = BreakerConfig(failure_threshold=8, open_duration=5.0)


@dataclass(frozen=True)
class DiscoveryChannelConfig(_ChannelConfig):
    """Control plane: catalog, search, bookmarks. Short timeouts, few retries, own pool."""

    name: str = "discovery"
    timeouts: Timeouts = Timeouts(connect=1.0, read=2.0, total=3.0, pool=0.5)
    limits: Limits = Limits(max_connections=4, max_connections_per_host=4)
    retry: RetryPolicy = RetryPolicy(
        max_attempts=2, base_delay=0.5, factor=2.0, max_delay=2.0, fuzz=0.5
    )
    breaker: BreakerConfig = BreakerConfig(failure_threshold=3, open_duration=30.0)


@dataclass(frozen=True)
class TelemetryChannelConfig(_ChannelConfig):
    """Telemetry ingest: one connection, low priority, best effort (a lost batch is logged)."""

    name: str = "telemetry"
    timeouts: Timeouts = Timeouts(connect=1.0, read=2.0, total=3.0, pool=2.0)
    limits: Limits = Limits(max_connections=1, max_connections_per_host=1)
    retry: RetryPolicy = RetryPolicy(
        max_attempts=2, base_delay=1.0, factor=2.0, max_delay=4.0, fuzz=0.5
    )
    breaker: BreakerConfig = BreakerConfig(failure_threshold=3, open_duration=30.0)


DEFAULT_PLAYBACK_CHANNEL = PlaybackChannelConfig()
DEFAULT_DISCOVERY_CHANNEL = DiscoveryChannelConfig()
DEFAULT_TELEMETRY_CHANNEL = TelemetryChannelConfig()


# ------------------------------------------------------------------------- playback


@dataclass(frozen=True)
class BufferConfig:
    """Seconds of media ahead of the playhead.

    ``start`` to begin playing, ``rebuffer`` to resume after a stall, ``target`` is the
    goal the planner fills to (``paused_target`` while paused, default the same), and
    ``max_ahead`` is the hard cap no request may cross.
    """

    start: float = 4.0
    rebuffer: float = 4.0
    target: float = 30.0
    paused_target: float | None = None
    max_ahead: float = 40.0

    def __post_init__(self) -> None:
        _finite("buffer.start", self.start, inclusive=False)
        _finite("buffer.rebuffer", self.rebuffer, inclusive=False)
        _finite("buffer.target", self.target, inclusive=False)
        _finite("buffer.max_ahead", self.max_ahead, inclusive=False)
        if self.paused_target is not None:
            _finite("buffer.paused_target", self.paused_target, inclusive=False)
            if self.paused_target > self.max_ahead:
                raise ConfigError("must be <= max_ahead", field="buffer.paused_target")
        if self.start > self.target:
            raise ConfigError("must be <= target", field="buffer.start")
        if self.rebuffer > self.target:
            raise ConfigError("must be <= target", field="buffer.rebuffer")
        if self.target > self.max_ahead:
            raise ConfigError("must be <= max_ahead", field="buffer.target")

    def goal(self, *, paused: bool) -> float:
        """How far ahead the planner fills right now."""
        if paused and self.paused_target is not None:
            return self.paused_target
        return self.target


def _check_abr(algorithm: str, params: Mapping[str, Any]) -> None:
    """Build the algorithm once through the ``abr`` registry, so an unknown name or a bad
    parameter fails here, at configuration time (the one place ABR names are checked)."""
    import abr  # here, not at the top: the registry imports every algorithm (and numpy)

    try:
        abr.create(algorithm, **params)
    except abr.UnknownAlgorithmError as exc:
        known = ", ".join(exc.known)
        raise ConfigError(
            f"unknown algorithm {algorithm!r} (known: {known})", field="abr.algorithm"
        ) from None
    except abr.AlgorithmConfigError as exc:
        raise ConfigError(exc.message, field="abr.params") from None
    except (TypeError, ValueError) as exc:  # a parameter of the wrong type, caught late
        raise ConfigError(f"bad parameters: {exc}", field="abr.params") from None


@dataclass(frozen=True)
class AbrConfig:
    """Which ABR algorithm the player asks (by ``abr`` registry name) and its parameters.

    ``"default"`` lets the Play API choose (an A/B cell may), else the registry's default.
    """

    algorithm: str = "default"
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.algorithm, str) or not self.algorithm.strip():
            raise ConfigError("must be a non-empty algorithm name", field="abr.algorithm")
        if not isinstance(self.params, Mapping):
            raise ConfigError("must be a mapping", field="abr.params")
        for key in self.params:
            if not isinstance(key, str):
                raise ConfigError("parameter names must be strings", field="abr.params")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        _check_abr(self.algorithm, self.params)

    def __hash__(self) -> int:
        return hash((self.algorithm, tuple(sorted(self.params.items(), key=lambda kv: kv[0]))))


@dataclass(frozen=True)
class CmcdConfig:
    """CTA-5004 Common Media Client Data on segment requests; off by default."""

    enabled: bool = False
    mode: CmcdMode = CmcdMode.QUERY
    content_id: str | None = None
    keys: frozenset[str] | None = None

    def __post_init__(self) -> None:
        _typed("cmcd.enabled", self.enabled, bool)
        if isinstance(self.mode, str):
            try:
                object.__setattr__(self, "mode", CmcdMode(self.mode))
            except ValueError:
                raise ConfigError("must be 'query' or 'header'", field="cmcd.mode") from None
        _typed("cmcd.mode", self.mode, CmcdMode)
        if self.content_id is not None and (
            not isinstance(self.content_id, str) or len(self.content_id) > 64
        ):
            raise ConfigError("must be a string of at most 64 characters", field="cmcd.content_id")
        if self.keys is not None:
            keys = frozenset(self.keys)
            unknown = sorted(k for k in keys if k not in CMCD_KEYS)
            if unknown:
                raise ConfigError(f"unknown CMCD keys {unknown}", field="cmcd.keys")
            object.__setattr__(self, "keys", keys)


@dataclass(frozen=True)
class LoadErrorConfig:
    """Defaults of the load error policy (ExoPlayer ``DefaultLoadErrorHandlingPolicy``).

    ``location_exclusion`` applies when an OCA lacks the object (403/404/410),
    ``transient_location_exclusion`` to faults that may pass (5xx, timeouts, stalls);
    the OCA selector grows either per strike. ``slow_factor``: a download whose throughput
    is below this fraction of the rung's bitrate counts as a location fault.
    """

    min_retry_count: int = 3
    location_exclusion: float = 300.0
    transient_location_exclusion: float = 10.0
    track_exclusion: float = 60.0
    corrupt_refetch_count: int = 2
    slow_factor: float = 0.5

    def __post_init__(self) -> None:
        _integer("load_error.min_retry_count", self.min_retry_count, low=0)
        _finite("load_error.location_exclusion", self.location_exclusion, inclusive=False)
        _finite(
            "load_error.transient_location_exclusion",
            self.transient_location_exclusion,
            inclusive=False,
        )
        _finite("load_error.track_exclusion", self.track_exclusion, inclusive=False)
        _integer("load_error.corrupt_refetch_count", self.corrupt_refetch_count, low=0)
        _finite("load_error.slow_factor", self.slow_factor, inclusive=False)
        if self.slow_factor > 1:
            raise ConfigError("must be <= 1", field="load_error.slow_factor")


@dataclass(frozen=True)
class OcaConfig:
    """OCA health: exclusion starts at ``base_exclusion`` and doubles per strike up to max."""

    base_exclusion: float = 10.0
    max_exclusion: float = 300.0
    exclusion_factor: float = 2.0
    suspect_failures_to_exclude: int = 2
    throughput_half_life: float = 3.0
    steering: bool = True
    """Follow the Play API's DASH-IF content steering server (its PATHWAY-PRIORITY reorders
    the OCAs); ``False`` keeps the Play API's ranking for the whole session."""
    steering_min_ttl: float = 1.0
    steering_max_ttl: float = 300.0
    """A steering manifest's TTL is clamped to ``[steering_min_ttl, steering_max_ttl]``."""

    def __post_init__(self) -> None:
        _finite("oca.base_exclusion", self.base_exclusion, inclusive=False)
        _finite("oca.max_exclusion", self.max_exclusion, inclusive=False)
        _finite("oca.exclusion_factor", self.exclusion_factor, low=1.0)
        _integer("oca.suspect_failures_to_exclude", self.suspect_failures_to_exclude, low=1)
        _finite("oca.throughput_half_life", self.throughput_half_life, inclusive=False)
        if self.max_exclusion < self.base_exclusion:
            raise ConfigError("must be >= base_exclusion", field="oca.max_exclusion")
        _typed("oca.steering", self.steering, bool)
        _finite("oca.steering_min_ttl", self.steering_min_ttl, inclusive=False)
        _finite("oca.steering_max_ttl", self.steering_max_ttl, inclusive=False)
        if self.steering_max_ttl < self.steering_min_ttl:
            raise ConfigError("must be >= steering_min_ttl", field="oca.steering_max_ttl")


@dataclass(frozen=True)
class LiveConfig:
    """Live (dynamic MPD) playback. ``target_latency``: seconds behind now to hold (None:
    the MPD's suggestedPresentationDelay, else three segments). ``margin_s``: latency beyond
    target + margin is caught up (a rate nudge within ``max_rate_delta`` where the sink
    allows, else a jump to the edge after a stall). ``tick_s``: how often the latency is
    sampled (a ``LiveLatency`` event). ``resync_min_s``: shortest pause between two extra
    UTCTiming samples taken because a segment was not where the clock said."""

    target_latency: float | None = None
    margin_s: float = 1.0
    max_rate_delta: float = 0.05
    tick_s: float = 1.0
    resync_min_s: float = 5.0

    def __post_init__(self) -> None:
        if self.target_latency is not None:
            _finite("live.target_latency", self.target_latency)
        _finite("live.margin_s", self.margin_s)
        _finite("live.max_rate_delta", self.max_rate_delta)
        if self.max_rate_delta > 0.5:
            raise ConfigError("must be <= 0.5", field="live.max_rate_delta")
        _finite("live.tick_s", self.tick_s, inclusive=False)
        _finite("live.resync_min_s", self.resync_min_s)


DEFAULT_BUFFER_CONFIG = BufferConfig()
DEFAULT_LOAD_ERROR_CONFIG = LoadErrorConfig()
DEFAULT_OCA_CONFIG = OcaConfig()


@dataclass(frozen=True)
class PlayerConfig:
    """Everything one playback session is tuned by; ``PlayerConfig()`` is the default tree."""

    buffer: BufferConfig = DEFAULT_BUFFER_CONFIG
    abr: AbrConfig = field(default_factory=AbrConfig)
    cmcd: CmcdConfig = CmcdConfig()
    load_error: LoadErrorConfig = DEFAULT_LOAD_ERROR_CONFIG
    oca: OcaConfig = DEFAULT_OCA_CONFIG
    autoplay: bool = True
    preferred_audio_language: str | None = None
    preferred_text_language: str | None = None
    """Subtitles in this language are turned on at load (None: subtitles off)."""
    realtime: bool = True
    """Present frames at their presentation time; ``False`` runs as fast as possible (tests)."""
    stall_timeout: float = 3.0
    """Seconds without a body byte before a segment download counts as stalled."""
    telemetry: bool = True
    bookmarks: bool = True
    decode: bool = True
    """``False`` never runs the decoder (load tests): frames are counted and timed from each
    segment's ``trun`` and presented on schedule, but the sink gets no frame."""
    thumbnail_max_size: tuple[int, int] = (480, 270)
    """``thumbnail_at`` picks the thumbnail track with the largest cells within this
    ``(width, height)`` (the first track when none fits)."""
    live: LiveConfig = LiveConfig()
    """Live (dynamic MPD) playback: target latency and catch-up (docs/live.md)."""

    def __post_init__(self) -> None:
        _typed("realtime", self.realtime, bool)
        size = self.thumbnail_max_size
        if not (
            isinstance(size, tuple)
            and len(size) == 2
            and all(isinstance(v, int) and v > 0 for v in size)
        ):
            raise ConfigError("must be (width, height) > 0", field="thumbnail_max_size")
        _typed("decode", self.decode, bool)
        _typed("telemetry", self.telemetry, bool)
        _typed("bookmarks", self.bookmarks, bool)
        _finite("stall_timeout", self.stall_timeout, inclusive=False)
        _typed("buffer", self.buffer, BufferConfig)
        _typed("abr", self.abr, AbrConfig)
        _typed("cmcd", self.cmcd, CmcdConfig)
        _typed("load_error", self.load_error, LoadErrorConfig)
        _typed("oca", self.oca, OcaConfig)
        _typed("live", self.live, LiveConfig)
        _typed("autoplay", self.autoplay, bool)
        if self.preferred_audio_language is not None and not re.fullmatch(
            r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", str(self.preferred_audio_language)
        ):
            raise ConfigError("must be a BCP-47 language tag", field="preferred_audio_language")
        if self.preferred_text_language is not None and not re.fullmatch(
            r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", str(self.preferred_text_language)
        ):
            raise ConfigError("must be a BCP-47 language tag", field="preferred_text_language")


# ------------------------------------------------------------------------- device


@dataclass(frozen=True)
class DeviceCapabilities:
    """What the device can decode and show; the player never picks a rung outside it."""

    max_width: int = 1920
    max_height: int = 1080
    max_bitrate_bps: int | None = None
    video_codecs: frozenset[str] = frozenset({"avc1", "avc3"})
    audio_codecs: frozenset[str] = frozenset({"mp4a"})
    drm_systems: frozenset[str] = frozenset({"clearkey"})

    def __post_init__(self) -> None:
        _integer("capabilities.max_width", self.max_width, low=1)
        _integer("capabilities.max_height", self.max_height, low=1)
        if self.max_bitrate_bps is not None:
            _integer("capabilities.max_bitrate_bps", self.max_bitrate_bps, low=1)
        for name in ("video_codecs", "audio_codecs", "drm_systems"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(
                    "must be a set of non-empty strings", field=f"capabilities.{name}"
                )
            object.__setattr__(self, name, frozenset(v.lower() for v in value))

    def allows(
        self,
        codecs: str,
        *,
        width: int | None = None,
        height: int | None = None,
        bandwidth: int | None = None,
    ) -> bool:
        """Whether a representation (RFC 6381 ``codecs``, size, bitrate) is playable here."""
        known = self.video_codecs | self.audio_codecs
        for codec in (c.strip() for c in codecs.split(",")):
            if not codec or codec.split(".", 1)[0].lower() not in known:
                return False
        if width is not None and width > self.max_width:
            return False
        if height is not None and height > self.max_height:
            return False
        return not (
            bandwidth is not None
            and self.max_bitrate_bps is not None
            and bandwidth > self.max_bitrate_bps
        )


@dataclass(frozen=True)
class DeviceConfig:
    """Who the device is and where it talks: id, capabilities, gateway, the two channels."""

    device_id: str
    gateway_url: str
    capabilities: DeviceCapabilities = DeviceCapabilities()
    playback: PlaybackChannelConfig = DEFAULT_PLAYBACK_CHANNEL
    discovery: DiscoveryChannelConfig = DEFAULT_DISCOVERY_CHANNEL
    telemetry: TelemetryChannelConfig = DEFAULT_TELEMETRY_CHANNEL
    model: str = "nrdp-reference"

    def __post_init__(self) -> None:
        if not is_valid_device_id(self.device_id):  # the gateway's rule (mediacore.device_id)
            raise ConfigError(f"must be {DEVICE_ID_RULE}", field="device_id")
        if not isinstance(self.gateway_url, str):
            raise ConfigError("must be a string", field="gateway_url")
        try:
            parts = urlsplit(self.gateway_url)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            raise ConfigError("is not a valid URL", field="gateway_url") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ConfigError("must be an absolute http(s) URL", field="gateway_url")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ConfigError(
                "must not carry a query, fragment or credentials", field="gateway_url"
            )
        _typed("capabilities", self.capabilities, DeviceCapabilities)
        _typed("playback", self.playback, PlaybackChannelConfig)
        _typed("discovery", self.discovery, DiscoveryChannelConfig)
        _typed("telemetry", self.telemetry, TelemetryChannelConfig)
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError("must be a non-empty string", field="model")
