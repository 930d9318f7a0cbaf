"""MPD refresh: when to fetch again, what an update changed, and the end of the event.

Pure. Merging itself is :func:`manifest.timing.apply_update` (the update wins; SegmentTimeline
history the update dropped is kept for seek-back; another presentation or an older
publishTime is rejected with ``UpdateMismatch``; @startNumber moves back over the kept
history, so ``$Number$`` + SegmentTimeline keeps every segment's number). This module
adds what the player needs from it: the next URL (``Location``), how many segments
appeared, and whether the event ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from manifest.errors import ManifestError
from manifest.model import Manifest, Representation
from manifest.timing import apply_update

__all__ = [
    "MIN_REFRESH_INTERVAL_S",
    "RefreshOutcome",
    "event_end",
    "merge_refresh",
    "next_refresh_at",
    "reached_end",
]

MIN_REFRESH_INTERVAL_S = 1.0
"""minimumUpdatePeriod="PT0S" (or tiny values) must not turn into a request storm."""


def next_refresh_at(
    m: Manifest, fetched_at: float, *, min_interval: float = MIN_REFRESH_INTERVAL_S
) -> float | None:
    """Clock time of the next refresh after a fetch at ``fetched_at``; None = never
    (static, or dynamic without minimumUpdatePeriod: the MPD will not change)."""
    if not m.is_dynamic or m.minimum_update_period is None:
        return None
    return fetched_at + max(m.minimum_update_period, min_interval)


def event_end(m: Manifest) -> float | None:
    """Where the presentation ends on the MPD timeline, once it is known.

    A static MPD ends at mediaPresentationDuration (or its last Period's end); a dynamic
    one only when it carries mediaPresentationDuration. None while the event is open.
    """
    if m.media_presentation_duration is not None:
        return m.media_presentation_duration
    if not m.is_dynamic and m.periods:
        return m.periods[-1].end_time
    return None


def reached_end(m: Manifest, position: float, *, tolerance: float = 0.05) -> bool:
    """Playback at ``position`` has played the whole (ended) event."""
    end = event_end(m)
    return end is not None and position >= end - tolerance


def _segment_counts(m: Manifest, now: datetime | None) -> dict[tuple[str, str, str], int]:
    """Segments per (Period, AdaptationSet, first Representation), keyed by id."""
    counts: dict[tuple[str, str, str], int] = {}
    for pi, p in enumerate(m.periods):
        for ai, a in enumerate(p.adaptation_sets):
            if not a.representations:
                continue
            rep: Representation = a.representations[0]
            key = (p.id or f"#{pi}", a.id or f"#{ai}", str(rep.id))
            try:
                counts[key] = len(rep.index(now))
            except ManifestError:  # open-ended $Number$ without ``now``: not countable
                continue
    return counts


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    """The model after a refresh and what changed.

    ``next_url``: where to fetch the next update (the update's first Location, resolved
    against the URL it came from, else that URL). ``ended``: the event's end is known.
    ``new_segments``: segments that appeared, summed over each set's first Representation.
    ``new_periods``: Period ids that were not in the running model (an ad break).
    """

    manifest: Manifest
    next_url: str
    ended: bool
    end: float | None
    new_segments: int
    new_periods: tuple[str | None, ...]


def _next_url(fetched_url: str, locations: tuple[str, ...] | list[str]) -> str:
    """The first Location that resolves to an http(s) URL; none: where this one came from
    (a Location the player cannot fetch must not end a live session)."""
    for location in locations:
        try:
            url = urljoin(fetched_url, location)
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
    return fetched_url


def merge_refresh(
    current: Manifest, update: Manifest, *, fetched_url: str, now: datetime | None = None
) -> RefreshOutcome:
    """``update`` (fetched from ``fetched_url``) applied to ``current``."""
    merged = apply_update(current, update)
    next_url = _next_url(fetched_url, update.locations)
    before = _segment_counts(current, now)
    after = _segment_counts(merged, now)
    grown = sum(max(0, n - before.get(k, 0)) for k, n in after.items())
    old_ids = {p.id for p in current.periods}
    end = event_end(merged)
    return RefreshOutcome(
        manifest=merged,
        next_url=next_url,
        ended=end is not None,
        end=end,
        new_segments=grown,
        new_periods=tuple(p.id for p in merged.periods if p.id not in old_ids),
    )
