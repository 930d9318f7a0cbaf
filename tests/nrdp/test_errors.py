from __future__ import annotations

import inspect
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacore.errors import (
    BackendError,
    DecodeError,
    LicenseError,
    NetworkError,
    PlayerError,
    SdkError,
    Severity,
)
from nrdp import errors
from nrdp.errors import (
    AllOcasFailed,
    CircuitOpen,
    ConfigError,
    ConnectFailed,
    ConnectTimeout,
    ExceptionMap,
    HttpStatusError,
    NetworkTimeout,
    ReadTimeout,
    SegmentTimeout,
    StallTimeout,
    TruncatedBody,
    map_exceptions,
    redact_url,
)

SAMPLES: dict[type[SdkError], dict[str, object]] = {
    errors.InvalidState: {"state": "idle", "event": "play"},
    errors.ConfigError: {"message": "bad", "field": "x"},
    errors.InvalidArgument: {"message": "bad", "argument": "x"},
    errors.NoPlayableTrack: {"track": "video", "reason": "no codec"},
    errors.ConnectFailed: {"url": "http://h/a?t=SECRET", "reason": "refused"},
    errors.ConnectionReset: {"url": "http://h/a?t=SECRET", "received": 10},
    errors.ConnectTimeout: {"url": "http://h/a?t=SECRET", "timeout_s": 1.0},
    errors.ReadTimeout: {"url": "http://h/a?t=SECRET", "timeout_s": 1.0},
    errors.SegmentTimeout: {"url": "http://h/a?t=SECRET", "timeout_s": 1.0, "received": 3},
    errors.StallTimeout: {"url": "http://h/a?t=SECRET", "timeout_s": 1.0, "received": 3},
    errors.HttpStatusError: {"status": 503, "url": "http://h/a?t=SECRET"},
    errors.TruncatedBody: {"url": "http://h/a?t=SECRET", "expected": 10, "received": 4},
    errors.RangeMismatch: {"message": "bad", "url": "http://h/a?t=SECRET"},
    errors.ThroughputTooLow: {
        "url": "http://h/a?t=SECRET",
        "measured_bps": 1.0,
        "required_bps": 9.0,
    },
    errors.CircuitOpen: {"channel": "playback", "retry_after_s": 2.0},
    errors.AllOcasFailed: {"tried": ("a", "b"), "last_reason": "stall"},
    errors.DemuxFailed: {"track": "video", "reason": "bad moof", "segment": 3},
    errors.DecodeFailed: {"codec": "avc1", "reason": "bad nal"},
    errors.UnsupportedCodec: {"codec": "hev1"},
    errors.LicenseDenied: {"status": 403, "reason": "not entitled"},
    errors.LicenseAcquisitionFailed: {"reason": "timeouts", "attempts": 3},
    errors.LicenseTimeout: {"timeout_s": 5.0},
    errors.KeysMissing: {"kids": ("00ff",)},
    errors.NotEntitled: {"title_id": "t-1"},
    errors.ContentKeyMismatch: {"track": "video", "segment": 3},
    errors.ServiceError: {"status": 503, "url": "http://h/p?token=x", "server_code": 8160},
    errors.ResponseTampered: {"url": "http://h/p", "reason": "bad signature"},
    errors.NotLoggedIn: {"operation": "play"},
    errors.MalformedResponse: {"url": "http://h/p", "reason": "not JSON"},
    errors.MalformedSteeringManifest: {"url": "http://h/s?client=SECRET", "reason": "no VERSION"},
    errors.UnknownTrack: {"kind": "audio", "track_id": "9"},
    errors.MalformedSubtitles: {"reason": "no WEBVTT signature", "line": 1},
}

RANGES = {
    PlayerError: range(1001, 1100),
    NetworkError: range(2001, 2100),
    DecodeError: range(4001, 4100),
    LicenseError: range(7100, 7200),
    BackendError: range(8200, 8250),
}


def concrete_classes() -> list[type[SdkError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, SdkError) and obj.__module__ == "nrdp.errors" and "code" in vars(obj)
    ]


def test_every_concrete_error_has_a_sample_and_a_code_in_its_reserved_range() -> None:
    classes = concrete_classes()
    assert set(classes) == set(SAMPLES)
    for cls in classes:
        base = next(b for b in RANGES if issubclass(cls, b))
        assert cls.code in RANGES[base], cls
        assert (cls.__doc__ or "").strip()
    assert len({c.code for c in classes}) == len(classes)


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.__name__)
def test_errors_pickle_and_describe_themselves_without_secrets(cls: type[SdkError]) -> None:
    err = cls(**SAMPLES[cls])  # type: ignore[arg-type]
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls
    assert clone.attributes() == err.attributes()
    assert str(clone) == str(err)
    text = repr(err.to_dict()) + str(err)
    assert "SECRET" not in text
    assert err.to_dict()["code"] == cls.code


def test_timeouts_are_builtin_timeouts_and_config_errors_are_value_errors() -> None:
    for cls in (ConnectTimeout, ReadTimeout, SegmentTimeout, StallTimeout):
        err = cls(**SAMPLES[cls])  # type: ignore[arg-type]
        assert isinstance(err, TimeoutError)
        assert isinstance(err, NetworkTimeout)
        assert isinstance(err, NetworkError)
        assert err.retriable
    assert isinstance(ConfigError("x", field="f"), ValueError)
    assert isinstance(errors.LicenseTimeout(timeout_s=1.0), TimeoutError)


@pytest.mark.parametrize(
    ("status", "retriable"),
    [(400, False), (403, False), (404, False), (408, True), (429, True), (500, True), (503, True)],
)
def test_http_status_error_is_typed_and_retriable_by_status(status: int, retriable: bool) -> None:
    err = HttpStatusError(status=status, url="https://oca1.example/v/seg-1.m4s?token=abc#x")
    assert err.status == status
    assert err.url == "https://oca1.example/v/seg-1.m4s"
    assert err.retriable is retriable
    assert "token" not in err.message


def test_all_ocas_failed_is_critical_and_final() -> None:
    err = AllOcasFailed(tried=("a", "b", "c"), last_reason="503")
    assert err.severity is Severity.CRITICAL
    assert not err.retriable
    assert "3 OCAs" in err.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pw@host:8080/p/a.mp4?token=t#frag", "http://host:8080/p/a.mp4"),
        ("https://host/p?x=1", "https://host/p"),
        ("relative/path?sig=1", "relative/path"),
        ("http://[::1]:80/a?b", "http://[::1]:80/a"),
    ],
)
def test_redact_url_drops_query_fragment_and_credentials(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_survives_unparseable_urls() -> None:
    assert redact_url("http://[bad/x?token=1") == "http://[bad/x"


@settings(max_examples=150, deadline=None)
@given(
    token=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=12, max_size=40),
    path=st.text(alphabet="abcdefghij/._-", max_size=20),
)
def test_tokens_in_query_strings_never_reach_network_errors(token: str, path: str) -> None:
    url = f"https://oca.example/{path}?token={token}&x=1"
    for err in (
        ConnectFailed(url=url, reason="refused"),
        HttpStatusError(status=404, url=url),
        TruncatedBody(url=url, expected=9, received=1),
        StallTimeout(url=url, timeout_s=2.0),
    ):
        assert token not in str(err)
        assert token not in repr(err.to_dict())


class _Foreign(Exception):
    pass


class _MoreForeign(_Foreign):
    pass


def test_map_exceptions_translates_and_chains() -> None:
    with (
        pytest.raises(ReadTimeout) as info,
        map_exceptions({TimeoutError: lambda e: ReadTimeout(url="http://h/x?t=1", timeout_s=2.0)}),
    ):
        raise TimeoutError("slow")
    assert isinstance(info.value.__cause__, TimeoutError)
    assert info.value.url == "http://h/x"


def test_map_exceptions_picks_the_most_specific_mapping_not_the_first() -> None:
    mapping: ExceptionMap = {
        _Foreign: lambda e: CircuitOpen(channel="a", retry_after_s=1.0),
        _MoreForeign: lambda e: ConnectFailed(url="http://h", reason=str(e)),
    }
    with pytest.raises(ConnectFailed) as info, map_exceptions(mapping):
        raise _MoreForeign("boom")
    assert info.value.reason == "boom"
    with pytest.raises(CircuitOpen), map_exceptions(mapping):
        raise _Foreign("x")


def test_map_exceptions_passes_our_errors_and_unmapped_ones_through() -> None:
    mapping: ExceptionMap = {Exception: lambda e: ConnectFailed(url="http://h", reason="x")}
    own = TruncatedBody(url="http://h", expected=2, received=1)
    with pytest.raises(TruncatedBody) as info, map_exceptions(mapping):
        raise own
    assert info.value is own
    with pytest.raises(KeyError), map_exceptions({ValueError: mapping[Exception]}):
        raise KeyError("k")
    with map_exceptions(mapping):
        pass
