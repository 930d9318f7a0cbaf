"""The SDK's own error leaves, under the one taxonomy of :mod:`mediacore.errors`.

Callers catch at any level (httpx ``_exceptions.py`` style)::

    SdkError
     ├── PlayerError 1001-1099
     │    ├── InvalidState          an API call or event that the player state forbids
     │    ├── ConfigError           a config value object was given an invalid value
     │    ├── InvalidArgument       a pure-core function was given an impossible value
     │    │    └── UnknownTrack     a track id the loaded title does not have
     │    └── NoPlayableTrack       nothing in the manifest fits the device
     ├── NetworkError 2001-2099      (recoverable and retriable unless stated)
     │    ├── ConnectFailed         could not open a connection (refused, DNS, reset)
     │    ├── ConnectionReset       the peer closed or reset mid-response
     │    ├── NetworkTimeout        also a builtin ``TimeoutError``
     │    │    ├── ConnectTimeout
     │    │    ├── ReadTimeout
     │    │    ├── SegmentTimeout   the whole segment missed its deadline
     │    │    └── StallTimeout     no byte arrived for too long
     │    ├── HttpStatusError       typed ``status`` and query-free ``url``
     │    ├── TruncatedBody         fewer bytes than Content-Length / asked range
     │    ├── RangeMismatch         the server answered a different byte range
     │    ├── ThroughputTooLow      far below what the chosen rung needs
     │    ├── CircuitOpen           the channel's breaker refuses requests for now
     │    └── AllOcasFailed         every OCA candidate is excluded (critical)
     ├── DecodeError 4001-4099
     │    ├── DemuxFailed / DecodeFailed / UnsupportedCodec
     │    ├── MalformedSubtitles  a subtitle sidecar that is not WebVTT
     │    └── ContentKeyMismatch  decrypted media does not decode: the key is wrong
     ├── LicenseError 7100-7199      (7001-7099 belong to ``drm``)
     │    ├── LicenseDenied / LicenseAcquisitionFailed / LicenseTimeout / KeysMissing
     │    └── NotEntitled        the account may not play this title (Play API said so)
     └── BackendError 8200-8249      (the SDK's view of the services; 8000-8199 are theirs)
          ├── ServiceError       a service answered with its JSON error (status, code, name)
          ├── ResponseTampered   a signed response failed its HMAC / nonce / freshness check
          ├── NotLoggedIn        a call needs a login first
          ├── MalformedResponse  a service answered 2xx with a body of the wrong shape
          └── MalformedSteeringManifest  a content steering answer that is not a v1 manifest

No message or attribute carries a token or other secret: URLs pass through
:func:`redact_url`, which drops the query string, fragment and user info.
:func:`map_exceptions` translates foreign exceptions at the I/O boundary (httpcore
``_exceptions.py``) with ``raise ... from exc``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mediacore.errors import (
    BackendError,
    DecodeError,
    LicenseError,
    NetworkError,
    PlayerError,
    SdkError,
    Severity,
)

__all__ = [
    "AllOcasFailed",
    "CircuitOpen",
    "ConfigError",
    "ConnectFailed",
    "ConnectTimeout",
    "ConnectionReset",
    "ContentKeyMismatch",
    "DecodeFailed",
    "DemuxFailed",
    "ExceptionMap",
    "HttpStatusError",
    "InvalidArgument",
    "InvalidState",
    "KeysMissing",
    "LicenseAcquisitionFailed",
    "LicenseDenied",
    "LicenseTimeout",
    "MalformedResponse",
    "MalformedSteeringManifest",
    "MalformedSubtitles",
    "NetworkTimeout",
    "NoPlayableTrack",
    "NotEntitled",
    "NotLoggedIn",
    "RangeMismatch",
    "ReadTimeout",
    "ResponseTampered",
    "SegmentTimeout",
    "ServiceError",
    "StallTimeout",
    "ThroughputTooLow",
    "TruncatedBody",
    "UnknownTrack",
    "UnsupportedCodec",
    "map_exceptions",
    "redact_url",
]


def redact_url(url: str) -> str:
    """The URL without query, fragment or user info: tokens travel there, so never log them."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]


# ---------------------------------------------------------------- player (1001-1099)


class InvalidState(PlayerError):
    """The player's state machine does not allow this event or call in its current state."""

    code = 1001

    def __init__(self, *, state: str, event: str) -> None:
        super().__init__(f"{event} is not allowed in state {state}")
        self.state = state
        self.event = event


class ConfigError(PlayerError, ValueError):
    """A configuration value object was given an invalid value; ``field`` names it."""

    code = 1002

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidArgument(PlayerError, ValueError):
    """A pure-core function or event was given an impossible value (negative size, NaN...)."""

    code = 1003

    def __init__(self, message: str, *, argument: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


class UnknownTrack(InvalidArgument):
    """A track id that the loaded title does not have (``select_audio_track`` and
    ``select_text_track`` take ids from ``audio_tracks()`` / ``text_tracks()``)."""

    code = 1030

    def __init__(self, *, kind: str, track_id: str) -> None:
        super().__init__(f"the title has no {kind} track {track_id!r}", argument="track_id")
        self.kind = kind
        self.track_id = track_id


class NoPlayableTrack(PlayerError):
    """No representation of a required track fits the device's capabilities."""

    code = 1004

    def __init__(self, *, track: str, reason: str) -> None:
        super().__init__(f"no playable {track} track: {reason}")
        self.track = track
        self.reason = reason


# ---------------------------------------------------------------- network (2001-2099)


class ConnectFailed(NetworkError):
    """A connection could not be opened (refused, unreachable, name resolution, TLS)."""

    code = 2001

    def __init__(self, *, url: str, reason: str) -> None:
        safe = redact_url(url)
        super().__init__(f"cannot connect to {safe}: {reason}")
        self.url = safe
        self.reason = reason


class ConnectionReset(NetworkError):
    """The peer closed or reset the connection before the response was complete."""

    code = 2002

    def __init__(self, *, url: str, received: int = 0) -> None:
        safe = redact_url(url)
        super().__init__(f"connection to {safe} reset after {received} bytes")
        self.url = safe
        self.received = received


class NetworkTimeout(NetworkError, TimeoutError):
    """Base of the network timeouts; also a builtin TimeoutError so generic code catches it."""

    def __init__(self, message: str, *, url: str, timeout_s: float) -> None:
        super().__init__(message)
        self.url = url
        self.timeout_s = timeout_s


class ConnectTimeout(NetworkTimeout):
    """Opening the connection took longer than the channel's connect timeout."""

    code = 2003

    def __init__(self, *, url: str, timeout_s: float) -> None:
        safe = redact_url(url)
        super().__init__(
            f"connect to {safe} timed out after {timeout_s:g}s", url=safe, timeout_s=timeout_s
        )


class ReadTimeout(NetworkTimeout):
    """The response headers or body did not arrive within the channel's read timeout."""

    code = 2004

    def __init__(self, *, url: str, timeout_s: float) -> None:
        safe = redact_url(url)
        super().__init__(
            f"read from {safe} timed out after {timeout_s:g}s", url=safe, timeout_s=timeout_s
        )


class SegmentTimeout(NetworkTimeout):
    """A whole segment download missed its deadline (total timeout for one object)."""

    code = 2005

    def __init__(self, *, url: str, timeout_s: float, received: int = 0) -> None:
        safe = redact_url(url)
        super().__init__(
            f"segment {safe} not complete after {timeout_s:g}s ({received} bytes)",
            url=safe,
            timeout_s=timeout_s,
        )
        self.received = received


class StallTimeout(NetworkTimeout):
    """No byte of the body arrived for longer than the stall timeout."""

    code = 2006

    def __init__(self, *, url: str, timeout_s: float, received: int = 0) -> None:
        safe = redact_url(url)
        super().__init__(
            f"{safe} stalled for {timeout_s:g}s after {received} bytes",
            url=safe,
            timeout_s=timeout_s,
        )
        self.received = received


class HttpStatusError(NetworkError):
    """The server answered with an unexpected HTTP status; 408, 429 and 5xx are retriable."""

    code = 2010

    def __init__(self, *, status: int, url: str, method: str = "GET") -> None:
        safe = redact_url(url)
        super().__init__(
            f"HTTP {status} for {method} {safe}", retriable=status in (408, 429) or status >= 500
        )
        self.status = status
        self.url = safe
        self.method = method


class TruncatedBody(NetworkError):
    """The body ended before the announced length (or the asked byte range) was received."""

    code = 2011

    def __init__(self, *, url: str, expected: int, received: int) -> None:
        safe = redact_url(url)
        super().__init__(f"{safe}: body truncated at {received} of {expected} bytes")
        self.url = safe
        self.expected = expected
        self.received = received


class RangeMismatch(NetworkError):
    """The server answered with a byte range other than the one requested."""

    code = 2012

    def __init__(
        self, message: str, *, url: str = "", requested: str = "", answered: str = ""
    ) -> None:
        safe = redact_url(url)
        super().__init__(f"{safe}: {message}" if safe else message)
        self.url = safe
        self.requested = requested
        self.answered = answered


class ThroughputTooLow(NetworkError):
    """The measured throughput is far below what the selected rung needs to play in time."""

    code = 2013

    def __init__(
        self, *, url: str, measured_bps: float, required_bps: float, rule: str = "rate"
    ) -> None:
        safe = redact_url(url)
        super().__init__(
            f"{safe}: throughput {measured_bps:.0f} bps, needs {required_bps:.0f} bps ({rule})"
        )
        self.url = safe
        self.measured_bps = measured_bps
        self.required_bps = required_bps
        self.rule = rule
        """Which check tripped: ``rate`` (far below the rung's bitrate), ``window`` (the
        progress rule's bytes per window) or ``deadline`` (what the buffer could afford)."""


class CircuitOpen(NetworkError):
    """The channel's circuit breaker is open: requests fail fast until ``retry_after_s``."""

    code = 2020

    def __init__(self, *, channel: str, retry_after_s: float) -> None:
        super().__init__(f"{channel} circuit open, retry after {retry_after_s:.3g}s")
        self.channel = channel
        self.retry_after_s = retry_after_s


class AllOcasFailed(NetworkError):
    """Every OCA candidate failed or is excluded; the segment cannot be fetched."""

    code = 2021
    severity = Severity.CRITICAL
    retriable = False

    def __init__(self, *, tried: tuple[str, ...], last_reason: str) -> None:
        super().__init__(f"all {len(tried)} OCAs failed (last: {last_reason})")
        self.tried = tried
        self.last_reason = last_reason


# ---------------------------------------------------------------- decode (4001-4099)


class DemuxFailed(DecodeError):
    """The container of a (clear) segment could not be demultiplexed."""

    code = 4001

    def __init__(self, *, track: str, reason: str, segment: int | None = None) -> None:
        where = f" segment {segment}" if segment is not None else ""
        super().__init__(f"{track}{where}: demux failed: {reason}")
        self.track = track
        self.reason = reason
        self.segment = segment


class DecodeFailed(DecodeError):
    """The decoder rejected the elementary stream of a segment."""

    code = 4002

    def __init__(self, *, codec: str, reason: str, segment: int | None = None) -> None:
        where = f" segment {segment}" if segment is not None else ""
        super().__init__(f"{codec}{where}: decode failed: {reason}")
        self.codec = codec
        self.reason = reason
        self.segment = segment


class UnsupportedCodec(DecodeError):
    """No decoder is available for the codec string of a representation."""

    code = 4003

    def __init__(self, *, codec: str) -> None:
        super().__init__(f"no decoder for codec {codec!r}")
        self.codec = codec


class ContentKeyMismatch(DecodeError):
    """An encrypted segment decrypted with the licensed key does not decode: wrong key."""

    code = 4004

    def __init__(self, *, track: str, segment: int | None = None) -> None:
        where = f" segment {segment}" if segment is not None else ""
        super().__init__(f"{track}{where}: decrypted media does not decode (wrong content key?)")
        self.track = track
        self.segment = segment


class MalformedSubtitles(DecodeError):
    """A subtitle file is not WebVTT (no ``WEBVTT`` signature); subtitles stay off, playback
    goes on. Malformed cues inside a valid file are skipped, not raised."""

    code = 4030
    severity = Severity.RECOVERABLE

    def __init__(self, reason: str, *, line: int) -> None:
        super().__init__(f"not a WebVTT document (line {line}): {reason}")
        self.reason = reason
        self.line = line


# ---------------------------------------------------------------- license (7100-7199)


class LicenseDenied(LicenseError):
    """The license server refused the request (not entitled, expired session); not retriable."""

    code = 7100

    def __init__(self, *, status: int, reason: str) -> None:
        super().__init__(f"license denied (HTTP {status}): {reason}")
        self.status = status
        self.reason = reason


class LicenseAcquisitionFailed(LicenseError):
    """The license could not be obtained after the channel's retries."""

    code = 7101

    def __init__(self, *, reason: str, attempts: int) -> None:
        super().__init__(f"license acquisition failed after {attempts} attempts: {reason}")
        self.reason = reason
        self.attempts = attempts


class LicenseTimeout(LicenseError, TimeoutError):
    """The license server did not answer within the license deadline."""

    code = 7102
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, timeout_s: float) -> None:
        super().__init__(f"license request timed out after {timeout_s:g}s")
        self.timeout_s = timeout_s


class KeysMissing(LicenseError):
    """The license response lacks keys for some KIDs the content needs (KIDs in hex)."""

    code = 7103

    def __init__(self, *, kids: tuple[str, ...]) -> None:
        super().__init__(f"license lacks keys for KIDs {', '.join(kids)}")
        self.kids = kids


class NotEntitled(LicenseError):
    """The Play API refused playback: the account has no plan that entitles it to play."""

    code = 7104

    def __init__(self, *, title_id: str, reason: str = "not entitled") -> None:
        super().__init__(f"not entitled to play {title_id}: {reason}")
        self.title_id = title_id
        self.reason = reason


# ---------------------------------------------------------------- backend (8200-8249)


class ServiceError(BackendError):
    """A service answered with its typed JSON error; 429 and 5xx are retriable."""

    code = 8200

    def __init__(
        self,
        *,
        status: int,
        url: str,
        server_code: int | None = None,
        server_name: str = "",
        request_id: str = "",
        retry_after_s: float | None = None,
        field: str | None = None,
    ) -> None:
        safe = redact_url(url)
        name = f" {server_name}" if server_name else ""
        about = f" field {field}" if field else ""
        super().__init__(
            f"HTTP {status}{name} ({server_code}){about} from {safe}",
            retriable=status in (408, 429) or status >= 500,
            severity=Severity.RECOVERABLE,
        )
        self.status = status
        self.url = safe
        self.server_code = server_code
        self.server_name = server_name
        self.request_id = request_id
        self.retry_after_s = retry_after_s
        self.field = field
        """The field the service refused (``InvalidField``, 8102), when it named one."""


class ResponseTampered(BackendError):
    """A signed response failed verification (HMAC, nonce echo or timestamp skew)."""

    code = 8201

    def __init__(self, *, url: str, reason: str) -> None:
        safe = redact_url(url)
        super().__init__(f"response from {safe} failed integrity check: {reason}")
        self.url = safe
        self.reason = reason


class NotLoggedIn(BackendError):
    """A call needs a logged-in device session (``Device.login``) first."""

    code = 8202

    def __init__(self, *, operation: str) -> None:
        super().__init__(f"{operation} needs a login first")
        self.operation = operation


class MalformedResponse(BackendError):
    """A service answered 2xx with a body that is not the documented JSON shape."""

    code = 8203

    def __init__(self, *, url: str, reason: str) -> None:
        safe = redact_url(url)
        super().__init__(f"malformed response from {safe}: {reason}")
        self.url = safe
        self.reason = reason


class MalformedSteeringManifest(BackendError):
    """A content steering server answered with something that is not a DASH-IF content
    steering v1 manifest; the last good steering (or the Play API's ranking) stays in force
    and the manifest is asked for again later. Playback is never affected."""

    code = 8210
    severity = Severity.RECOVERABLE

    def __init__(self, *, url: str, reason: str) -> None:
        safe = redact_url(url)
        super().__init__(f"malformed steering manifest from {safe}: {reason}")
        self.url = safe
        self.reason = reason


# ---------------------------------------------------------------- boundary translation

ExceptionMap = Mapping[type[BaseException], Callable[[Any], SdkError]]


@contextlib.contextmanager
def map_exceptions(mapping: ExceptionMap) -> Iterator[None]:
    """Re-raise foreign exceptions as taxonomy errors, chained with ``from exc``.

    ``mapping`` maps exception types to factories. The most specific matching type wins
    (by the raised exception's MRO, not by dict order). Our own :class:`SdkError` passes
    through untouched, and an unmapped exception propagates unchanged.
    """
    try:
        yield
    except SdkError:
        raise
    except Exception as exc:
        factory = _most_specific(type(exc), mapping)
        if factory is None:
            raise
        raise factory(exc) from exc


def _most_specific(
    exc_type: type[BaseException], mapping: ExceptionMap
) -> Callable[[Any], SdkError] | None:
    for klass in exc_type.__mro__:
        factory = mapping.get(klass)
        if factory is not None:
            return factory
    return None
