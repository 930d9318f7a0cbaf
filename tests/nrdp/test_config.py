from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.config import (
    DEFAULT_DISCOVERY_CHANNEL,
    DEFAULT_PLAYBACK_CHANNEL,
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
    Timeouts,
)
from nrdp.errors import ConfigError


def test_the_default_tree_builds_and_is_frozen() -> None:
    cfg = PlayerConfig()
    assert cfg.buffer.target == 30.0
    assert cfg.abr.algorithm == "default"
    assert cfg.cmcd.enabled is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.autoplay = False  # type: ignore[misc]


def test_playback_and_discovery_channels_have_separate_types_and_defaults() -> None:
    play, disc = DEFAULT_PLAYBACK_CHANNEL, DEFAULT_DISCOVERY_CHANNEL
    assert type(play) is PlaybackChannelConfig and type(disc) is DiscoveryChannelConfig
    assert play.name == "playback" and disc.name == "discovery"
    # playback retries harder; discovery gives up sooner and trips its breaker sooner
    assert play.retry.max_attempts > disc.retry.max_attempts
    assert disc.timeouts.total < play.timeouts.total
    assert disc.breaker.failure_threshold < play.breaker.failure_threshold
    assert play.timeouts.read <= 2.0
    with pytest.raises(ConfigError, match="playback"):
        DeviceConfig("dev-1-abcdefghijkl", "http://127.0.0.1:9000", playback=disc)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="discovery"):
        DeviceConfig("dev-1-abcdefghijkl", "http://127.0.0.1:9000", discovery=play)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: Timeouts(connect=0), "timeouts.connect"),
        (lambda: Timeouts(read=math.nan), "timeouts.read"),
        (lambda: Timeouts(connect=5, total=1), "timeouts.total"),
        (lambda: Timeouts(pool="1"), "timeouts.pool"),  # type: ignore[arg-type]
        (lambda: Limits(max_connections=0), "limits.max_connections"),
        (
            lambda: Limits(max_connections=2, max_connections_per_host=3),
            "limits.max_connections_per_host",
        ),
        (lambda: Limits(max_connections=True), "limits.max_connections"),
        (lambda: RetryPolicy(max_attempts=0), "retry.max_attempts"),
        (lambda: RetryPolicy(factor=0.5), "retry.factor"),
        (lambda: RetryPolicy(fuzz=1.5), "retry.fuzz"),
        (lambda: RetryPolicy(base_delay=5, max_delay=1), "retry.max_delay"),
        (lambda: RetryPolicy(base_delay=-1), "retry.base_delay"),
        (lambda: BreakerConfig(failure_threshold=0), "breaker.failure_threshold"),
        (lambda: BreakerConfig(open_duration=0), "breaker.open_duration"),
        (
            lambda: BreakerConfig(half_open_probes=1, success_threshold=2),
            "breaker.success_threshold",
        ),
        (lambda: PlaybackChannelConfig(name="Bad Name"), "name"),
        (lambda: PlaybackChannelConfig(retry=Limits()), "retry"),  # type: ignore[arg-type]
        (lambda: BufferConfig(start=40), "buffer.start"),
        (lambda: BufferConfig(rebuffer=31), "buffer.rebuffer"),
        (lambda: BufferConfig(target=50), "buffer.target"),
        (lambda: BufferConfig(paused_target=50), "buffer.paused_target"),
        (lambda: AbrConfig(algorithm=""), "abr.algorithm"),
        (lambda: AbrConfig(params=[1, 2]), "abr.params"),  # type: ignore[arg-type]
        (lambda: AbrConfig(params={1: 2}), "abr.params"),  # type: ignore[dict-item]
        (lambda: AbrConfig(algorithm="magic"), "abr.algorithm"),
        (lambda: AbrConfig(algorithm="bba0", params={"reservoir": 5.0}), "abr.params"),
        (lambda: AbrConfig(algorithm="bba0", params={"reservoir_s": -1.0}), "abr.params"),
        (lambda: CmcdConfig(mode="json"), "cmcd.mode"),  # type: ignore[arg-type]
        (lambda: CmcdConfig(keys=frozenset({"br", "zz"})), "cmcd.keys"),
        (lambda: CmcdConfig(content_id="x" * 65), "cmcd.content_id"),
        (lambda: CmcdConfig(enabled=1), "cmcd.enabled"),  # type: ignore[arg-type]
        (lambda: LoadErrorConfig(min_retry_count=-1), "load_error.min_retry_count"),
        (lambda: LoadErrorConfig(slow_factor=2), "load_error.slow_factor"),
        (lambda: OcaConfig(base_exclusion=20, max_exclusion=10), "oca.max_exclusion"),
        (lambda: OcaConfig(exclusion_factor=0.9), "oca.exclusion_factor"),
        (lambda: PlayerConfig(preferred_audio_language="english!"), "preferred_audio_language"),
        (lambda: PlayerConfig(buffer=None), "buffer"),  # type: ignore[arg-type]
        (lambda: DeviceCapabilities(max_width=0), "capabilities.max_width"),
        (lambda: DeviceCapabilities(video_codecs="avc1"), "capabilities.video_codecs"),  # type: ignore[arg-type]
        (lambda: DeviceConfig("", "http://h"), "device_id"),
        (lambda: DeviceConfig("dev 1", "http://h"), "device_id"),
        # what the gateway refuses, the SDK refuses (mediacore.device_id): too short, ":"
        (lambda: DeviceConfig("tv-01-abc", "http://h"), "device_id"),
        (lambda: DeviceConfig("tv-01:abcdefghijklmn", "http://h"), "device_id"),
        (lambda: DeviceConfig("x" * 65, "http://h"), "device_id"),
        (lambda: DeviceConfig("dev-1-abcdefghijkl", "ftp://h/"), "gateway_url"),
        (lambda: DeviceConfig("dev-1-abcdefghijkl", "http://h/?token=x"), "gateway_url"),
        (lambda: DeviceConfig("dev-1-abcdefghijkl", "http://u:p@h/"), "gateway_url"),
        (lambda: DeviceConfig("dev-1-abcdefghijkl", "http://h:99999/"), "gateway_url"),
        (lambda: DeviceConfig("dev-1-abcdefghijkl", "http://h/", model=""), "model"),
    ],
)
def test_invalid_values_raise_config_error_naming_the_field(
    factory: Callable[[], object], field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        factory()
    assert info.value.field == field
    assert field in str(info.value)


def test_replace_validates_again() -> None:
    cfg = BufferConfig()
    assert dataclasses.replace(cfg, target=20.0).target == 20.0
    with pytest.raises(ConfigError):
        dataclasses.replace(cfg, target=1.0)  # below start


def test_buffer_goal_depends_on_pause() -> None:
    assert BufferConfig().goal(paused=True) == 30.0
    cfg = BufferConfig(paused_target=35.0)
    assert cfg.goal(paused=True) == 35.0
    assert cfg.goal(paused=False) == 30.0


def test_abr_params_are_copied_and_read_only() -> None:
    params = {"reservoir_s": 5.0}
    cfg = AbrConfig(algorithm="bba0", params=params)
    params["reservoir_s"] = 99.0
    assert cfg.params["reservoir_s"] == 5.0
    with pytest.raises(TypeError):
        cfg.params["x"] = 1  # type: ignore[index]
    assert hash(cfg) == hash(AbrConfig(algorithm="bba0", params={"reservoir_s": 5.0}))
    assert cfg == AbrConfig(algorithm="bba0", params={"reservoir_s": 5.0})


def test_every_registered_abr_name_is_accepted_and_unknown_ones_list_them() -> None:
    import abr

    for name in abr.names():
        assert AbrConfig(algorithm=name).algorithm == name
    with pytest.raises(ConfigError, match=r"known: .*bola"):
        AbrConfig(algorithm="magic")


def test_the_dead_knobs_are_gone() -> None:
    """Nothing read them: a user setting them was told nothing and changed nothing."""
    names = {f.name for f in dataclasses.fields(BufferConfig)}
    names |= {f.name for f in dataclasses.fields(AbrConfig)}
    assert not names & {"back_buffer", "initial_bandwidth_bps", "max_bitrate_bps"}


def test_cmcd_mode_accepts_its_string_value() -> None:
    assert CmcdConfig(mode="header").mode is CmcdMode.HEADER  # type: ignore[arg-type]
    assert CmcdConfig(keys={"br", "sid"}).keys == frozenset({"br", "sid"})  # type: ignore[arg-type]


def test_device_capabilities_filter_representations() -> None:
    caps = DeviceCapabilities(max_width=1280, max_height=720, max_bitrate_bps=3_000_000)
    assert caps.allows("avc1.64001f", width=1280, height=720, bandwidth=2_500_000)
    assert caps.allows("avc1.42c01e,mp4a.40.2")
    assert caps.allows("AVC1.4D401F")
    assert not caps.allows("hev1.1.6.L93.B0")
    assert not caps.allows("avc1.64001f,ec-3")
    assert not caps.allows("avc1.640028", width=1920, height=1080)
    assert not caps.allows("avc1.640028", height=1080)
    assert not caps.allows("avc1.64001f", bandwidth=5_000_000)
    assert not caps.allows("")


def test_device_config_accepts_a_loopback_gateway() -> None:
    dev = DeviceConfig("tv-01_abcdefghijk", "http://127.0.0.1:8080/api")
    assert dev.playback is DEFAULT_PLAYBACK_CHANNEL
    assert dev.discovery is DEFAULT_DISCOVERY_CHANNEL
    assert dev.capabilities.drm_systems == frozenset({"clearkey"})


@settings(max_examples=150, deadline=None)
@given(
    attempts=st.integers(min_value=-2, max_value=20),
    base=st.floats(min_value=-1, max_value=10) | st.just(math.nan),
    factor=st.floats(min_value=0, max_value=5),
    max_delay=st.floats(min_value=0, max_value=60),
    fuzz=st.floats(min_value=-0.5, max_value=1.5),
)
def test_retry_policy_is_valid_or_refused_with_config_error(
    attempts: int, base: float, factor: float, max_delay: float, fuzz: float
) -> None:
    valid = (
        attempts >= 1
        and math.isfinite(base)
        and base >= 0
        and factor >= 1
        and max_delay >= base
        and 0 <= fuzz <= 1
    )
    try:
        RetryPolicy(attempts, base, factor, max_delay, fuzz)
    except ConfigError:
        assert not valid
    else:
        assert valid
