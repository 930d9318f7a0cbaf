"""Each 4 Hz reading of the player (``bridge.Poll``) fanned out to what shows it.

The controls get position, buffer and tracks (through the window's playback state) and, for
a live source, the DVR window (the seek bar's range); the OSD its LIVE badge, the stats
overlay its figures and a graph sample, with the clock note (which clock paces video, and
the A/V drift on the audio clock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.desktop.app_state import GraphSample, OverlayStats, TrackOption
from apps.desktop.bridge import Poll
from apps.desktop.live_state import DvrWindow
from apps.desktop.osd import is_live

if TYPE_CHECKING:
    from apps.desktop.main_window import MainWindow

__all__ = ["PollFeed"]


def live_window(poll: Poll) -> DvrWindow | None:
    """The DVR window of a live source's reading (``None``: on demand, or not known yet)."""
    if poll.live_window is None:
        return None
    start, edge = poll.live_window
    return DvrWindow(start, edge, poll.live_target_s)


class PollFeed:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.last: Poll | None = None

    def clock_note(self) -> str:
        """The overlay's sync line after the clock's name."""
        audio = self.window.audio
        if not audio.available:
            return audio.note
        played = audio.position()
        shown = self.window.video.frame
        drift = ""
        if played is not None and shown is not None:
            drift = f", A/V drift {(shown.pts - played) * 1000:+.0f} ms"
        poll = self.last
        if poll is not None and poll.state == "playing" and not poll.master_clock_active:
            drift += ", video on the SDK clock"  # no device position yet, or it stalled
        return f"{audio.note}{drift}"

    def on_poll(self, poll: Poll) -> None:
        """Slot: one reading of the player."""
        w = self.window
        self.last = poll
        snap = poll.snapshot
        w.player_page.osd.set_live(is_live(snap))
        video_buf = float(snap.buffer_ahead.get("video", 0.0))
        tracks: dict[str, Any] = {}  # and the position, unless a seek is on its way
        if poll.audio_tracks:
            tracks["audio_tracks"] = tuple(TrackOption.from_info(t) for t in poll.audio_tracks)
        if poll.text_tracks:
            tracks["subtitle_tracks"] = tuple(TrackOption.from_info(t) for t in poll.text_tracks)
        if not w.session.seeks.pending:  # else keep the target the controls show
            tracks["position"] = poll.position
            tracks["buffered_to"] = poll.position + video_buf
        w.set_playback(state=poll.state, live=live_window(poll), **tracks)
        w.overlay.set_stats(
            OverlayStats.from_snapshot(
                snap,
                resolution=w.video.resolution(),
                throughput_bps=poll.throughput_bps,
                display_dropped=w.display_dropped,
                clock=w.audio.clock,
                clock_note=self.clock_note(),
            )
        )
        w.overlay.add_sample(
            GraphSample(
                at=snap.playing_time + snap.stall_time,
                bitrate_bps=float(snap.video_bitrate or 0),
                throughput_bps=float(poll.throughput_bps or 0.0),
                buffer_s=video_buf,
            )
        )
