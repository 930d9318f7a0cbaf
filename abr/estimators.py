"""Bandwidth estimators: throughput samples in, an estimate in kbit/s out.

They are separate objects so that the player's downloader and the simulator can feed the
same estimator, and so that algorithms can share them (shaka-player's
``EwmaBandwidthEstimator`` is the model for :class:`EwmaPair`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from abr.errors import AlgorithmConfigError
from abr.types import ThroughputSample

__all__ = [
    "BandwidthEstimator",
    "Ewma",
    "EwmaPair",
    "HarmonicMean",
    "Percentile",
    "SampleFeed",
]


@runtime_checkable
class BandwidthEstimator(Protocol):
    """Feed samples with ``add``; ``estimate()`` is kbit/s or None before any sample."""

    def add(self, sample: ThroughputSample) -> None: ...

    def estimate(self) -> float | None: ...

    def reset(self) -> None: ...


def _positive(name: str, value: float, owner: str) -> None:
    if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
        raise AlgorithmConfigError(
            f"{name} must be a positive number", algorithm=owner, parameter=name
        )


class Ewma:
    """Exponentially weighted moving average whose weight is the sample's duration.

    ``half_life_s`` is in seconds of download time, as in shaka-player; the estimate is
    corrected for the zero start (``1 - alpha ** total_weight``).
    """

    def __init__(self, half_life_s: float) -> None:
        _positive("half_life_s", half_life_s, "Ewma")
        self._alpha = math.exp(math.log(0.5) / half_life_s)
        self.reset()

    def reset(self) -> None:
        self._value = 0.0
        self._weight = 0.0

    def add_value(self, weight: float, value: float) -> None:
        adj = self._alpha**weight
        self._value = value * (1.0 - adj) + adj * self._value
        self._weight += weight

    def add(self, sample: ThroughputSample) -> None:
        self.add_value(max(sample.duration_s, 1e-6), sample.kbps)

    def estimate(self) -> float | None:
        if self._weight <= 0:
            return None
        return self._value / (1.0 - self._alpha**self._weight)


class EwmaPair:
    """Shaka's estimator: the minimum of a fast and a slow EWMA (quick down, slow up).

    ``transfer_only`` measures the body transfer alone (Sabre's way, latency kept apart).
    """

    def __init__(
        self,
        fast_half_life_s: float = 2.0,
        slow_half_life_s: float = 5.0,
        min_sample_bytes: int = 16_000,
        transfer_only: bool = False,
    ) -> None:
        self.fast = Ewma(fast_half_life_s)
        self.slow = Ewma(slow_half_life_s)
        self.min_sample_bytes = min_sample_bytes
        self.transfer_only = transfer_only

    def reset(self) -> None:
        self.fast.reset()
        self.slow.reset()

    def add(self, sample: ThroughputSample) -> None:
        if sample.bytes < self.min_sample_bytes:
            return
        if self.transfer_only:  # Sabre: latency is estimated apart, weight = transfer time
            w, v = max(sample.transfer_s, 1e-6), sample.transfer_kbps
            self.fast.add_value(w, v)
            self.slow.add_value(w, v)
            return
        self.fast.add(sample)
        self.slow.add(sample)

    def estimate(self) -> float | None:
        f, s = self.fast.estimate(), self.slow.estimate()
        if f is None or s is None:
            return None
        return min(f, s)


class HarmonicMean:
    """Harmonic mean of the last ``window`` samples (robust to one lucky burst)."""

    def __init__(self, window: int = 5) -> None:
        if not (isinstance(window, int) and window >= 1):
            raise AlgorithmConfigError(
                "window must be an integer >= 1", algorithm="HarmonicMean", parameter="window"
            )
        self._values: deque[float] = deque(maxlen=window)

    def reset(self) -> None:
        self._values.clear()

    def add(self, sample: ThroughputSample) -> None:
        self._values.append(max(sample.kbps, 1e-6))

    def estimate(self) -> float | None:
        if not self._values:
            return None
        return len(self._values) / sum(1.0 / v for v in self._values)


class Percentile:
    """The ``q``-quantile (0..1) of the last ``window`` samples, linear interpolation."""

    def __init__(self, q: float = 0.2, window: int = 10) -> None:
        if not (0.0 <= q <= 1.0):
            raise AlgorithmConfigError("q must be in [0, 1]", algorithm="Percentile", parameter="q")
        if not (isinstance(window, int) and window >= 1):
            raise AlgorithmConfigError(
                "window must be an integer >= 1", algorithm="Percentile", parameter="window"
            )
        self.q = q
        self._values: deque[float] = deque(maxlen=window)

    def reset(self) -> None:
        self._values.clear()

    def add(self, sample: ThroughputSample) -> None:
        self._values.append(sample.kbps)

    def estimate(self) -> float | None:
        if not self._values:
            return None
        v = sorted(self._values)
        pos = self.q * (len(v) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (pos - lo)


class SampleFeed:
    """Hands each sample of successive observations to estimators exactly once.

    Observations carry the last few samples; the feed remembers the end time of the newest
    sample it has passed on, so an algorithm can keep long-memory estimators.
    """

    def __init__(self) -> None:
        self._last_end = -math.inf

    def reset(self) -> None:
        self._last_end = -math.inf

    def new(self, samples: Iterable[ThroughputSample]) -> list[ThroughputSample]:
        fresh = [s for s in samples if s.end_s > self._last_end]
        if fresh:
            self._last_end = fresh[-1].end_s
        return fresh
