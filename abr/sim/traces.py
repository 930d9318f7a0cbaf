"""Throughput traces: parsing of the three text formats (pure: text in, Trace out).

- ``kbps`` (``shared/abr``): ``time_s throughput_kbps`` per line.
- ``cooked`` (Pensieve): ``time_s throughput_mbps`` per line.
- ``mahimahi``: one millisecond timestamp per line, each a 1500-byte packet delivery
  opportunity; binned into ``bin_ms`` windows.

Interval semantics are Pensieve's: sample i's throughput holds on ``(time[i-1], time[i]]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from abr.errors import TraceFormatError

__all__ = ["FORMATS", "Trace", "parse_trace"]

FORMATS = ("kbps", "cooked", "mahimahi")
MAHIMAHI_PACKET_BYTES = 1500


@dataclass(frozen=True, slots=True)
class Trace:
    """Times (s, non-decreasing, at least two) and throughput (kbit/s) per sample."""

    name: str
    times_s: tuple[float, ...]
    kbps: tuple[float, ...]

    @property
    def duration_s(self) -> float:
        return self.times_s[-1] - self.times_s[0]

    def mean_kbps(self) -> float:
        """Time-weighted mean over the intervals that the simulator uses."""
        total = sum(
            (self.times_s[i] - self.times_s[i - 1]) * self.kbps[i]
            for i in range(1, len(self.times_s))
        )
        return total / self.duration_s if self.duration_s > 0 else self.kbps[-1]


def _fail(source: str, line: int, reason: str, message: str) -> TraceFormatError:
    return TraceFormatError(message, source=source, line=line, reason=reason)


def _check(name: str, times: list[float], values: list[float]) -> Trace:
    if len(times) < 2:
        raise _fail(name, 0, "too_short", "a trace needs at least two samples")
    if times[-1] - times[0] <= 0:
        raise _fail(name, 0, "zero_duration", "a trace must span a positive duration")
    bits = sum(values[i] * 1000.0 * (times[i] - times[i - 1]) for i in range(1, len(times)))
    if not bits >= 8.0:  # less than one byte per loop: nothing could ever be downloaded
        raise _fail(name, 0, "no_throughput", "a trace must carry some throughput")
    return Trace(name, tuple(times), tuple(values))


def _parse_columns(text: str, name: str, scale: float) -> Trace:
    times: list[float] = []
    values: list[float] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise _fail(name, lineno, "columns", f"expected 'time throughput', got {raw[:60]!r}")
        try:
            t, v = float(parts[0]), float(parts[1])
        except ValueError:
            raise _fail(name, lineno, "number", f"not a number: {raw[:60]!r}") from None
        if not (math.isfinite(t) and math.isfinite(v)):
            raise _fail(name, lineno, "number", "time and throughput must be finite")
        if v < 0 or t < 0:
            raise _fail(name, lineno, "negative", "time and throughput must be >= 0")
        if times and t < times[-1]:
            raise _fail(name, lineno, "order", f"time {t} goes backwards (previous {times[-1]})")
        times.append(t)
        values.append(v * scale)
    return _check(name, times, values)


def _parse_mahimahi(text: str, name: str, bin_ms: int) -> Trace:
    stamps: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            ms = int(line)
        except ValueError:
            raise _fail(
                name, lineno, "number", f"not an integer millisecond: {raw[:60]!r}"
            ) from None
        if ms < 0:
            raise _fail(name, lineno, "negative", "timestamps must be >= 0")
        if stamps and ms < stamps[-1]:
            raise _fail(name, lineno, "order", f"timestamp {ms} goes backwards")
        stamps.append(ms)
    if not stamps:
        raise _fail(name, 0, "too_short", "a mahimahi trace needs at least one packet")
    period = max(stamps[-1], 1)
    counts: dict[int, int] = {}
    for ms in stamps:
        b = max(ms - 1, 0) // bin_ms
        counts[b] = counts.get(b, 0) + 1
    # sparse: one interval per occupied bin, one zero-throughput interval per gap
    times = [0.0]
    values = [0.0]
    for b in sorted(counts):
        start = b * bin_ms
        end = min((b + 1) * bin_ms, period)
        if start / 1000.0 > times[-1]:
            times.append(start / 1000.0)
            values.append(0.0)
        width_s = end / 1000.0 - times[-1]
        times.append(end / 1000.0)
        values.append(
            counts[b] * MAHIMAHI_PACKET_BYTES * 8 / 1000.0 / width_s if width_s > 0 else 0.0
        )
    values[0] = values[1] if len(values) > 1 else 0.0
    return _check(name, times, values)


def parse_trace(text: str, name: str = "<trace>", fmt: str = "kbps", *, bin_ms: int = 500) -> Trace:
    """Parse one trace; every malformed line raises :class:`TraceFormatError` naming it."""
    if fmt == "kbps":
        return _parse_columns(text, name, 1.0)
    if fmt == "cooked":
        return _parse_columns(text, name, 1000.0)
    if fmt == "mahimahi":
        return _parse_mahimahi(text, name, bin_ms)
    raise _fail(name, 0, "format", f"unknown trace format {fmt!r}; known: {', '.join(FORMATS)}")
