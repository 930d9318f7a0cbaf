"""xs:duration and xs:dateTime as used by MPDs, to and from seconds / aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = [
    "format_datetime",
    "format_duration",
    "parse_datetime",
    "parse_duration",
    "seconds_between",
]

_DURATION = re.compile(
    r"(-)?P(?:(\d+(?:\.\d*)?)Y)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?)W)?(?:(\d+(?:\.\d*)?)D)?"
    r"(?:T(?:(\d+(?:\.\d*)?)H)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?|\.\d+)S)?)?"
)
# Years and months have no fixed length; DASH clients (dash.js, shaka) use these averages.
_UNITS = (365 * 86400.0, 30 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0)


def parse_duration(text: str) -> float | None:
    """Seconds for an ISO 8601 duration like ``PT1H2M3.5S``; None when it does not parse.

    The caller decides whether a negative or unparsable value is fatal.
    """
    s = text.strip()
    m = _DURATION.fullmatch(s)
    if m is None or s in ("P", "PT", "-P") or s.endswith("T"):
        return None
    total = 0.0
    for value, unit in zip(m.groups()[1:], _UNITS, strict=True):
        if value:
            total += float(value) * unit
    return -total if m.group(1) else total


def format_duration(seconds: float) -> str:
    """``PT<seconds>S`` using ``repr`` so that parsing gives back the very same float."""
    text = repr(abs(seconds))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")  # the same digits without an exponent
    return f"-PT{text}S" if seconds < 0 else f"PT{text}S"


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime (naive times are UTC, as DASH-IF IOP expects); None if unparsable."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix."""
    v = value.astimezone(UTC)
    text = v.replace(tzinfo=None).isoformat()
    return text + "Z"


def seconds_between(start: datetime, end: datetime) -> float:
    """``end - start`` in seconds (both aware)."""
    return (end - start) / timedelta(seconds=1)
