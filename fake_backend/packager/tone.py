"""A synthetic soundtrack: a tone whose pitch steps once a second, with continuous phase.

The pitch sequence repeats every eight seconds (a major scale from A3), so a listener hears
each second and a glitch at a segment boundary is audible; the phase is carried over between
blocks so there are no clicks.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["ToneSource", "tone_frequency"]

_SCALE = (0, 2, 4, 5, 7, 9, 11, 12)
_BASE_HZ = 220.0
_LEVEL = 0.25


def tone_frequency(second: int) -> float:
    """The pitch (Hz) played during whole second ``second`` of the title."""
    return _BASE_HZ * 2 ** (_SCALE[second % len(_SCALE)] / 12)


class ToneSource:
    """Renders consecutive planar float32 blocks of the soundtrack."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._phase = 0.0
        self._position = 0

    def read(self, count: int) -> NDArray[np.float32]:
        """The next ``count`` samples as a ``(channels, count)`` array."""
        out = np.empty(count, dtype=np.float64)
        done = 0
        while done < count:
            second = self._position // self.sample_rate
            left_in_second = (second + 1) * self.sample_rate - self._position
            n = min(count - done, left_in_second)
            step = 2 * math.pi * tone_frequency(second) / self.sample_rate
            out[done : done + n] = self._phase + step * np.arange(n)
            self._phase = (self._phase + step * n) % (2 * math.pi)
            self._position += n
            done += n
        mono = (np.sin(out) * _LEVEL).astype(np.float32)
        return np.repeat(mono[None, :], self.channels, axis=0)
