from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.errors import DecryptionFailed, KeyNotFound
from mediacore.boxes import MalformedBox
from nrdp.channels.retry import Backoff
from nrdp.config import LoadErrorConfig, RetryPolicy
from nrdp.delivery.policy import (
    DefaultLoadErrorPolicy,
    Fallback,
    FallbackOptions,
    FallbackType,
    Fatal,
    LoadErrorDecision,
    LoadErrorInfo,
    Retry,
)
from nrdp.delivery.reasons import FailureReason, classify
from nrdp.errors import (
    CircuitOpen,
    ConfigError,
    ConnectFailed,
    ConnectionReset,
    DemuxFailed,
    HttpStatusError,
    InvalidArgument,
    LicenseDenied,
    RangeMismatch,
    ReadTimeout,
    StallTimeout,
    ThroughputTooLow,
    TruncatedBody,
)

CFG = LoadErrorConfig(
    min_retry_count=3,
    location_exclusion=300.0,
    transient_location_exclusion=10.0,
    track_exclusion=60.0,
    corrupt_refetch_count=2,
)
BACKOFF = Backoff(RetryPolicy(base_delay=1.0, factor=2.0, max_delay=30.0, fuzz=0.0))
POLICY = DefaultLoadErrorPolicy(CFG, BACKOFF)
MANY = FallbackOptions(locations=3, excluded_locations=0, tracks=4)
ALONE = FallbackOptions(locations=3, excluded_locations=2, tracks=4)
ALONE_LOWEST = FallbackOptions(locations=1, tracks=1)

URL = "http://oca1/v/seg.m4s"
LOCATION_FAULTS = [
    ConnectFailed(url=URL, reason="refused"),
    ConnectionReset(url=URL, received=100),
    ReadTimeout(url=URL, timeout_s=2.0),
    StallTimeout(url=URL, timeout_s=2.0),
    TruncatedBody(url=URL, expected=10, received=5),
    ThroughputTooLow(url=URL, measured_bps=1e5, required_bps=1e6),
] + [HttpStatusError(status=s, url=URL) for s in (403, 404, 410, 416, 500, 502, 503, 504, 599)]


def decide(
    error: BaseException, count: int = 1, options: FallbackOptions = MANY, received: int = 0
) -> LoadErrorDecision:
    return POLICY.on_load_error(LoadErrorInfo(error, count, received), options)


@pytest.mark.parametrize(
    "error", LOCATION_FAULTS, ids=lambda e: type(e).__name__ + str(getattr(e, "status", ""))
)
def test_location_faults_fall_back_to_another_oca(error: BaseException) -> None:
    decision = decide(error, received=1000)
    assert isinstance(decision, Fallback)
    assert decision.kind is FallbackType.LOCATION
    assert decision.resume  # bytes received before a network fault stay valid
    missing = isinstance(error, HttpStatusError) and error.status in (403, 404, 410)
    assert decision.exclusion == (300.0 if missing else 10.0)


@pytest.mark.parametrize("error", LOCATION_FAULTS[:5], ids=lambda e: type(e).__name__)
def test_without_another_location_retry_with_backoff_then_fatal(error: BaseException) -> None:
    assert [decide(error, n, ALONE) for n in (1, 2, 3)] == [Retry(1.0), Retry(2.0), Retry(4.0)]
    fatal = decide(error, 4, ALONE)
    assert isinstance(fatal, Fatal) and fatal.error is error


def test_slow_oca_alone_downswitches_before_retrying() -> None:
    slow = ThroughputTooLow(url=URL, measured_bps=1e5, required_bps=1e6)
    decision = decide(slow, 1, ALONE)
    assert decision == Fallback(FallbackType.TRACK, 60.0)
    assert decide(slow, 1, ALONE_LOWEST) == Retry(1.0)


def test_throttling_retries_the_same_oca_first() -> None:
    for status in (408, 429):
        err = HttpStatusError(status=status, url=URL)
        assert decide(err, 1) == Retry(1.0)
        assert decide(err, 3) == Retry(4.0)
        assert isinstance(decide(err, 4), Fallback)
        assert isinstance(decide(err, 4, ALONE), Fatal)


@pytest.mark.parametrize("status", [400, 401, 405, 451])
def test_other_client_errors_are_fatal(status: int) -> None:
    assert isinstance(decide(HttpStatusError(status=status, url=URL)), Fatal)


@pytest.mark.parametrize(
    "error",
    [
        DecryptionFailed("bad iv"),
        DemuxFailed(track="video", reason="moof"),
        MalformedBox("truncated", path="moof/traf", offset=8),
    ],
    ids=lambda e: type(e).__name__,
)
def test_corrupt_data_is_refetched_elsewhere_never_resumed(error: BaseException) -> None:
    assert classify(error) is FailureReason.CORRUPT
    decision = decide(error, 1, received=5000)
    assert decision == Fallback(FallbackType.LOCATION, 10.0, resume=False)
    assert decide(error, 2, ALONE) == Retry(2.0)  # alone: refetch from the same OCA
    assert isinstance(decide(error, 3), Fatal)


def test_range_mismatch_falls_back_without_resuming() -> None:
    decision = decide(RangeMismatch("x", url=URL), received=100)
    assert decision == Fallback(FallbackType.LOCATION, 10.0, resume=False)


def test_open_circuit_waits_for_the_breaker() -> None:
    err = CircuitOpen(channel="playback", retry_after_s=3.5)
    assert decide(err, 1) == Retry(3.5)
    assert isinstance(decide(err, 4), Fatal)


@pytest.mark.parametrize(
    "error",
    [
        LicenseDenied(status=403, reason="not entitled"),
        KeyNotFound(kid=b"\x01" * 16),
        ConfigError("x", field="f"),
        ValueError("foreign"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_license_unknown_and_foreign_errors_are_fatal(error: BaseException) -> None:
    decision = decide(error)
    assert isinstance(decision, Fatal) and decision.error is error


def test_info_and_options_validate() -> None:
    with pytest.raises(InvalidArgument):
        LoadErrorInfo(StallTimeout(url=URL, timeout_s=1), 0)
    with pytest.raises(InvalidArgument):
        LoadErrorInfo(StallTimeout(url=URL, timeout_s=1), 1, -1)
    with pytest.raises(InvalidArgument):
        FallbackOptions(locations=2, excluded_locations=3)
    with pytest.raises(InvalidArgument):
        FallbackOptions(locations=2, tracks=1, excluded_tracks=2)
    assert not FallbackOptions(locations=1).available(FallbackType.LOCATION)
    assert FallbackOptions(locations=2).available(FallbackType.LOCATION)


def test_default_policy_builds_with_defaults() -> None:
    policy = DefaultLoadErrorPolicy()
    assert policy.config.min_retry_count == 3
    err = StallTimeout(url=URL, timeout_s=1)
    decision = policy.on_load_error(LoadErrorInfo(err, 1), FallbackOptions(locations=1))
    assert isinstance(decision, Retry) and decision.delay >= 0


ERRORS = st.sampled_from(
    [
        *LOCATION_FAULTS,
        HttpStatusError(status=429, url=URL),
        DecryptionFailed("x"),
        CircuitOpen(channel="p", retry_after_s=1.0),
        LicenseDenied(status=403, reason="no"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    error=ERRORS,
    count=st.integers(1, 10),
    locations=st.integers(1, 5),
    excluded=st.integers(0, 5),
    tracks=st.integers(1, 5),
    received=st.integers(0, 10**6),
    seed=st.integers(0, 100),
)
def test_decisions_are_always_consistent_with_the_options(
    error: BaseException,
    count: int,
    locations: int,
    excluded: int,
    tracks: int,
    received: int,
    seed: int,
) -> None:
    excluded = min(excluded, locations - 1)
    options = FallbackOptions(locations=locations, excluded_locations=excluded, tracks=tracks)
    policy = DefaultLoadErrorPolicy(CFG, Backoff(RetryPolicy(), random.Random(seed)))
    decision = policy.on_load_error(LoadErrorInfo(error, count, received), options)
    if isinstance(decision, Fallback):
        assert options.available(decision.kind)  # never a fallback to nothing
        assert decision.exclusion > 0
        assert not decision.resume or received > 0
    elif isinstance(decision, Retry):
        assert decision.delay >= 0
        # the retry budget is bounded
        assert count <= max(CFG.min_retry_count, CFG.corrupt_refetch_count)
    else:
        assert isinstance(decision, Fatal) and decision.error is error


def test_too_slow_is_relative_to_the_rung_bitrate() -> None:
    assert POLICY.is_too_slow(400_000, 1_000_000)
    assert not POLICY.is_too_slow(600_000, 1_000_000)
