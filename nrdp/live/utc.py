"""UTCTiming (ISO/IEC 23009-1 5.8.4.11, DASH-IF IOP 4.7): the server's clock from the MPD's
timing sources, as an offset the device adds to its own wall clock.

Pure: responses, send/receive times and the device's wall time are passed in. A device
clock that is off by any amount ends up at the server's edge once one sample is taken; a
later sample that disagrees by more than the drift threshold replaces the estimate.
"""

from __future__ import annotations

import email.utils
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from manifest.isotime import parse_datetime
from manifest.model import Descriptor
from nrdp.live.errors import UtcTimingFailed

__all__ = [
    "ClockOffset",
    "ClockSync",
    "UtcScheme",
    "UtcSource",
    "estimate_offset",
    "parse_server_time",
    "timing_sources",
    "utc_now",
]

MAX_BODY = 256
"""A time body is a few dozen bytes; anything longer is not a time."""


class UtcScheme(enum.Enum):
    HTTP_XSDATE = "http-xsdate"
    HTTP_ISO = "http-iso"
    HTTP_HEAD = "http-head"
    DIRECT = "direct"

    @property
    def resolution_s(self) -> float:
        """How coarse the server's answer is: an HTTP Date header has whole seconds."""
        return 1.0 if self is UtcScheme.HTTP_HEAD else 0.0


_SCHEMES = {f"urn:mpeg:dash:utc:{s.value}:{year}": s for s in UtcScheme for year in (2012, 2014)}


@dataclass(frozen=True, slots=True)
class UtcSource:
    """One usable timing source: a URL for the HTTP schemes, a dateTime for ``direct``."""

    scheme: UtcScheme
    value: str


def timing_sources(descriptors: Iterable[Descriptor]) -> tuple[UtcSource, ...]:
    """The MPD's UTCTiming entries the SDK supports, in the MPD's (preference) order.

    A value may list several URLs separated by white space; each is its own source.
    """
    out: list[UtcSource] = []
    for d in descriptors:
        scheme = _SCHEMES.get(d.scheme_id_uri.strip())
        if scheme is None or not d.value:
            continue
        if scheme is UtcScheme.DIRECT:
            out.append(UtcSource(scheme, d.value.strip()))
        else:
            out.extend(UtcSource(scheme, url) for url in d.value.split())
    return tuple(out)


def parse_server_time(
    source: UtcSource, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> datetime:
    """The server's time from one response (``direct``: from the descriptor's value)."""
    if source.scheme is UtcScheme.DIRECT:
        text = source.value
    elif source.scheme is UtcScheme.HTTP_HEAD:
        date = (headers or {}).get("Date") or (headers or {}).get("date")
        if not date:
            raise UtcTimingFailed(source=source.value, reason="no Date header")
        try:
            return email.utils.parsedate_to_datetime(date).astimezone(UTC)
        except (TypeError, ValueError):
            raise UtcTimingFailed(source=source.value, reason="unparsable Date header") from None
    else:
        if len(body) > MAX_BODY:
            raise UtcTimingFailed(source=source.value, reason=f"body over {MAX_BODY} bytes")
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise UtcTimingFailed(source=source.value, reason="body is not ASCII") from None
    when = parse_datetime(text)
    if when is None:
        raise UtcTimingFailed(source=source.value, reason="not an ISO 8601 date-time")
    return when.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """Server time minus device wall time, with how sure we are of it."""

    offset_s: float
    uncertainty_s: float
    measured_at: float
    """Device wall time (POSIX seconds) of the sample."""
    scheme: UtcScheme


def estimate_offset(
    source: UtcSource, server_time: datetime, sent_at: float, received_at: float
) -> ClockOffset:
    """NTP-style: the server answered half-way through the round trip.

    ``sent_at``/``received_at`` are the device's wall times (POSIX seconds). An HTTP Date
    truncates to the second, so its true time is on average half a second later.
    """
    rtt = max(0.0, received_at - sent_at)
    resolution = source.scheme.resolution_s
    server = server_time.timestamp() + resolution / 2
    midpoint = sent_at + rtt / 2
    if source.scheme is UtcScheme.DIRECT:
        midpoint, rtt = received_at, 0.0
    return ClockOffset(
        offset_s=server - midpoint,
        uncertainty_s=rtt / 2 + resolution / 2,
        measured_at=received_at,
        scheme=source.scheme,
    )


def utc_now(device_wall: float, offset: ClockOffset | None) -> datetime:
    """The server's idea of now, as an aware UTC datetime (the ``now`` live math takes)."""
    corrected = device_wall + (offset.offset_s if offset is not None else 0.0)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=corrected)


@dataclass(frozen=True, slots=True)
class ClockSync:
    """The running estimate and when to take the next sample.

    ``resync_interval_s``: take a new sample this often (clocks drift; DASH-IF suggests
    re-syncing on MPD refresh). ``drift_threshold_s``: a sample further than this from the
    estimate (beyond both samples' uncertainty) replaces it; a closer one only replaces it
    when it is more precise.
    """

    offset: ClockOffset | None = None
    resync_interval_s: float = 300.0
    drift_threshold_s: float = 0.5
    drifts: int = 0

    def due(self, device_wall: float) -> bool:
        return self.offset is None or device_wall - self.offset.measured_at >= (
            self.resync_interval_s
        )

    def update(self, sample: ClockOffset) -> ClockSync:
        """The estimate after ``sample``; ``drifts`` counts the resyncs that moved it."""
        cur = self.offset
        if cur is None:
            return _with(self, sample, self.drifts)
        gap = abs(sample.offset_s - cur.offset_s)
        if gap > self.drift_threshold_s + sample.uncertainty_s + cur.uncertainty_s:
            return _with(self, sample, self.drifts + 1)
        if sample.uncertainty_s <= cur.uncertainty_s:
            return _with(self, sample, self.drifts)
        # Keep the more precise value but remember that it was just confirmed.
        kept = ClockOffset(cur.offset_s, cur.uncertainty_s, sample.measured_at, cur.scheme)
        return _with(self, kept, self.drifts)

    def now(self, device_wall: float) -> datetime:
        return utc_now(device_wall, self.offset)


def _with(sync: ClockSync, offset: ClockOffset, drifts: int) -> ClockSync:
    return ClockSync(offset, sync.resync_interval_s, sync.drift_threshold_s, drifts)
