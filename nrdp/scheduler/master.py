"""An external master clock for video (the audio device's clock), with a seamless fallback.

Pure: the SDK's own media time (the :class:`~nrdp.scheduler.presentation.PresentationClock`
position) comes in as an argument; the only outside call is the app's clock callable.

:class:`MasterFollower` gives the time the video presenter paces frames against: the
master clock's reading while it runs, else the SDK's own clock continued from the last
value given (so a fallback never jumps backwards and never freezes video): when the master
returns ``None`` (device not started, no audio, starved), raises, returns a non-finite
number, or has not advanced while the SDK's clock advanced ``stall_after`` seconds (audio
ended, the device stalled). Video holds on a stalled master for at most ``stall_after``
seconds of playing time before the fallback takes over. As soon as the master advances
again, video follows it again (a jump either way is then the A/V sync being restored:
late frames are dropped, early ones wait).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["STALL_AFTER", "MasterClock", "MasterFollower"]

MasterClock = Callable[[], float | None]
"""The media time (seconds) of what the master (the audio device) plays now, or ``None``.
Called on the SDK's loop thread, often (every few ms while video waits): it must be
thread-safe and cheap (read a value another thread published, never block)."""

STALL_AFTER = 0.5
"""Seconds of playing time without the master advancing before the SDK's clock takes over."""


class MasterFollower:
    """The video clock: the master clock's reading while it runs, the SDK's clock otherwise."""

    def __init__(self, read: MasterClock, *, stall_after: float = STALL_AFTER) -> None:
        self.read = read
        self.stall_after = stall_after
        self.reset(0.0)

    def reset(self, sdk: float) -> None:
        """A new epoch (start, seek) at the SDK's media time ``sdk``: forget the past."""
        self._last: float | None = None  # the master's last reading
        self._changed_at = sdk  # the SDK's time when that reading last changed
        self._following = False
        self._anchor = (sdk, sdk)  # fallback: value + (sdk now - sdk then)
        self._value = sdk

    @property
    def following(self) -> bool:
        """Did the last reading come from the master (else from the SDK's own clock)?"""
        return self._following

    def _reading(self) -> float | None:
        try:
            value = self.read()
        except Exception:  # an app's clock that fails is a clock that is not there
            return None
        if value is None:
            return None
        value = float(value)
        return value if math.isfinite(value) else None

    def position(self, sdk: float) -> float:
        """The video clock now, given the SDK's own media time ``sdk`` (which advances only
        while playing, so a paused or buffering player never looks like a stalled master)."""
        master = self._reading()
        if master is None:
            live = False
            self._last = None
        elif master != self._last:
            live = True
            self._last = master
            self._changed_at = sdk
        else:
            live = sdk - self._changed_at <= self.stall_after
        if live:
            assert master is not None
            self._following = True
            value = master
        else:
            if self._following:  # fall back from where the master left video
                self._anchor = (self._value, sdk)
                self._following = False
            base, since = self._anchor
            value = base + (sdk - since)
        self._value = value
        return value
