"""A TCP-aware link model for the simulator: what a real player pays on a real link.

The plain simulator moves a segment at the trace's rate the moment it is asked for, after
one fixed latency. A real player on a shaped link (``apps.headless.netem``) pays more:

- **a companion track**: audio is fetched alongside video (in lock-step), so each video
  segment's transfer also carries ``audio_kbps`` x segment seconds of audio. The ABR's
  estimator sees both downloads (as the real player's does): the video sample is video
  bytes over the shared transfer time, and with ``audio_samples`` the audio sample is
  audio bytes over its own time, sharing the link fairly with video until it ends;
- **one RTT per request** (the time to first byte), during which the trace's clock runs;
- **slow start after idle**: Linux restarts a connection's congestion window at the initial
  window after an idle period longer than its retransmission timeout
  (``tcp_slow_start_after_idle``), so a segment fetched after the buffer was full grows its
  window from ``initial_window`` bytes, doubling each round trip, until the window covers
  the bandwidth-delay product; only then does it move at the trace's rate.

Pure arithmetic on a :class:`~abr.sim.network.TraceLink`; no clock, no sockets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from abr.errors import SimulatorConfigError
from abr.sim.network import TraceLink

__all__ = ["LinkModel", "Transfer"]

MSS = 1448
"""TCP payload per packet on a 1500-byte MTU with timestamps."""


@dataclass(frozen=True, slots=True)
class Transfer:
    seconds: float
    window: float
    """The congestion window (bytes) when the transfer ended (kept for the next one)."""


@dataclass(frozen=True, slots=True)
class LinkModel:
    """Per-request RTT, a companion track's share and slow start after idle (see above)."""

    rtt_s: float = 0.04
    audio_kbps: float = 0.0
    initial_window: float = 10 * MSS
    idle_restart_s: float | None = None
    """Idle longer than this restarts slow start (None: Linux's minimum RTO, 200 ms, plus
    one RTT); ``math.inf`` never restarts."""
    slow_start: bool = True
    audio_samples: bool = True
    """The estimator also gets a sample per audio download (the real player's does)."""

    def validate(self) -> None:
        for name in ("rtt_s", "audio_kbps"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise SimulatorConfigError(f"link.{name} must be >= 0", setting=f"link.{name}")
        if not self.initial_window > 0:
            raise SimulatorConfigError(
                "link.initial_window must be positive", setting="link.initial_window"
            )

    @property
    def restart_after_s(self) -> float:
        return 0.2 + self.rtt_s if self.idle_restart_s is None else self.idle_restart_s

    def companion_bytes(self, segment_s: float) -> float:
        """The audio bytes fetched with each video segment."""
        return self.audio_kbps * 1000.0 / 8.0 * segment_s

    def audio_share_s(self, video_bytes: float, transfer_s: float, segment_s: float) -> float:
        """When the audio download of a shared transfer ends: both flows get half the link
        until the smaller one is done (TCP fairness)."""
        audio = self.companion_bytes(segment_s)
        total = audio + video_bytes
        if total <= 0 or audio > video_bytes:
            return transfer_s
        return transfer_s * 2.0 * audio / total

    def transfer(self, link: TraceLink, size: float, window: float, idle_s: float) -> Transfer:
        """Move ``size`` bytes (the request's RTT already paid): slow-start rounds while
        the window is below the bandwidth-delay product, then the trace's rate."""
        if not self.slow_start or self.rtt_s <= 0:
            return Transfer(link.download(size), math.inf)
        if idle_s > self.restart_after_s:
            window = self.initial_window
        sent, elapsed = 0.0, 0.0
        while sent < size:
            bdp = link.rate_bytes_s() * self.rtt_s
            if window >= bdp:  # the window no longer limits: the link's rate does
                elapsed += link.download(size - sent)
                window = max(window, bdp)
                break
            chunk = min(window, size - sent)
            took = link.download(chunk)
            sent += chunk
            if sent < size and took < self.rtt_s:  # the next window waits for the ACKs
                link.advance(self.rtt_s - took)
                took = self.rtt_s
            elapsed += took
            window *= 2.0
        return Transfer(elapsed, window)
