"""WebVTT sidecar subtitles: one cue per segment, naming the title, track and time span.

Cues line up with the segment grid so a player test can check that the cue shown at time t
is the one for the segment playing at t.
"""

from __future__ import annotations

import math

__all__ = ["vtt_timestamp", "webvtt"]


def vtt_timestamp(seconds: float) -> str:
    """``hh:mm:ss.ttt`` (WebVTT always accepts the hours field)."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def webvtt(name: str, language: str, duration_s: float, cue_s: float) -> str:
    """A WebVTT document with a cue every ``cue_s`` seconds over ``duration_s``."""
    lines = ["WEBVTT", "", f"NOTE {name} ({language})", ""]
    count = max(1, math.ceil(duration_s / cue_s - 1e-9))
    for k in range(count):
        start = k * cue_s
        end = min(duration_s, (k + 1) * cue_s)
        lines += [
            f"cue-{k + 1}",
            f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}",
            f"[{language}] {name} — segment {k + 1}",
            f"{vtt_timestamp(start)[3:8]} to {vtt_timestamp(end)[3:8]}",
            "",
        ]
    return "\n".join(lines)
