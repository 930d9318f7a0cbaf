"""Live (type="dynamic") timing: segment availability windows, the live edge, MPD updates.

Pure arithmetic on the model; every function takes ``now`` (an aware datetime) because the
package never reads a clock. Formulas follow ISO/IEC 23009-1 5.3.9.5 and DASH-IF IOP 4.3:
a segment becomes available at AST + PeriodStart + segment end - availabilityTimeOffset
and stays available for timeShiftBufferDepth after that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from manifest.addressing import availability_time_offset
from manifest.errors import SegmentNotFound, UpdateMismatch
from manifest.isotime import seconds_between
from manifest.link import link
from manifest.model import (
    AdaptationSet,
    Manifest,
    Period,
    Representation,
    SegmentInfo,
    SegmentRef,
    SegmentTemplate,
    SegmentTimeline,
)

__all__ = [
    "AvailabilityWindow",
    "apply_update",
    "availability_time_offset",
    "available_segments",
    "live_edge",
    "live_start_time",
    "merge_timelines",
    "segment_availability",
]


@dataclass(frozen=True, slots=True)
class AvailabilityWindow:
    """When a segment can be fetched; None bounds mean "always" (static MPDs)."""

    start: datetime | None
    end: datetime | None

    def contains(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


def _shift(dt: datetime, seconds: float) -> datetime:
    """``dt + seconds``, saturating at the datetime range (year 1 / 9999) instead of raising."""
    try:
        return dt + timedelta(seconds=seconds)
    except OverflowError:
        edge = datetime.max if seconds > 0 else datetime.min
        return edge.replace(tzinfo=UTC)


def segment_availability(rep: Representation, ref: SegmentRef) -> AvailabilityWindow:
    """The availability window of ``ref`` (a segment of ``rep``)."""
    ctx = rep.context
    ast = ctx.availability_start_time
    if not ctx.dynamic or ast is None:
        return AvailabilityWindow(None, None)
    ato = availability_time_offset(rep)
    start = None if math.isinf(ato) else _shift(ast, ref.end - ato)
    tsbd = ctx.time_shift_buffer_depth
    open_ended = tsbd is None or math.isinf(tsbd)
    end = None if open_ended else _shift(ast, ref.end + (tsbd or 0.0) + ref.duration)
    return AvailabilityWindow(start, end)


def live_edge(m: Manifest, now: datetime) -> float | None:
    """``now`` on the MPD timeline (seconds since availabilityStartTime); None if static."""
    if not m.is_dynamic or m.availability_start_time is None:
        return None
    return seconds_between(m.availability_start_time, now)


def live_start_time(m: Manifest, now: datetime, *, default_delay: float = 6.0) -> float | None:
    """Where to start playing live: the edge minus suggestedPresentationDelay."""
    edge = live_edge(m, now)
    if edge is None:
        return None
    delay = m.suggested_presentation_delay
    if delay is None:
        delay = max(default_delay, m.min_buffer_time or 0.0)
    start = edge - delay
    if m.time_shift_buffer_depth is not None:
        start = max(start, edge - m.time_shift_buffer_depth)
    return start


def available_segments(rep: Representation, now: datetime) -> range:
    """Positions (in ``rep.index(now)``) of the segments fetchable at ``now``.

    Two bisections, no scan: the newest is the last one complete at the live edge (plus
    availabilityTimeOffset), the oldest the first whose window has not closed.
    """
    index = rep.index(now)
    n = len(index)
    ctx = rep.context
    if not ctx.dynamic or ctx.availability_start_time is None or n == 0:
        return range(n)
    edge = seconds_between(ctx.availability_start_time, now)
    ato = availability_time_offset(rep)
    last = n - 1
    if not math.isinf(ato):
        newest = edge + ato
        try:
            ref = index.at_time(newest)
            last = ref.position if ref.end <= newest + 1e-9 else ref.position - 1
        except SegmentNotFound:
            last = n - 1 if index[n - 1].end <= newest + 1e-9 else -1
    first = 0
    tsbd = ctx.time_shift_buffer_depth
    if tsbd is not None and not math.isinf(tsbd):
        # A segment stays until its end + its duration + TSBD: bisect near edge - TSBD,
        # step back one duration, then walk forward over the few that already left.
        oldest = edge - tsbd
        try:
            ref = index.at_time(oldest)
            ref = index.at_time(max(oldest - ref.duration, index[0].start))
            first = ref.position
        except SegmentNotFound:
            first = 0 if index[0].start >= oldest else n
        while (
            first < n
            and first <= last
            and not segment_availability(rep, index[first]).contains(now)
        ):
            first += 1
    return range(first, last + 1)


# ---------------------------------------------------------------------- MPD updates
def _history(old: SegmentTimeline, first: int) -> list[tuple[int | None, int, int]]:
    """``old``'s entries for the segments that end by ``first`` (repeat counts >= 0)."""
    kept: list[tuple[int | None, int, int]] = []
    for t, d, r in old.entries:
        if r == -1:
            r = max(0, (first - t) // d - 1)
        if t >= first:
            break
        fit = min(r + 1, (first - t) // d)
        if fit > 0:
            kept.append((t, d, fit - 1))
    return kept


def _prepended(kept: list[tuple[int | None, int, int]], new: SegmentTimeline) -> SegmentTimeline:
    """``kept`` history, then ``new`` with its S@n and S@k values."""
    none: list[int | None] = [None] * len(kept)
    return SegmentTimeline.from_entries(
        [*kept, *new.entries], [*none, *new.numbers], [*none, *new.subsegments]
    )


def merge_timelines(old: SegmentTimeline, new: SegmentTimeline) -> SegmentTimeline:
    """Old entries that end before the new timeline starts, then the new ones.

    Live MPD updates drop segments that left the time-shift window; a player that keeps
    the older ones can still seek back to them while they remain available.
    """
    first = new.first_time
    kept = _history(old, first) if first is not None else []
    return _prepended(kept, new) if kept else (new if first is not None else old)


def _merge_info(old: SegmentInfo | None, new: SegmentInfo | None) -> SegmentInfo | None:
    """``new`` with ``old``'s earlier timeline entries, when both are compatible timelines.

    @startNumber numbers the first S of the timeline, so it moves back over the kept
    history: the update's segments keep the numbers the update gives them (``$Number$``
    with a SegmentTimeline, as FFmpeg's dash muxer writes, would otherwise number every
    segment one time-shift window late).
    """
    if not isinstance(new, SegmentTemplate) or not isinstance(old, SegmentTemplate):
        return new
    if new.timeline is None or old.timeline is None:
        return new
    if (new.presentation_time_offset or 0) != (old.presentation_time_offset or 0) or (
        new.timescale or 1
    ) != (old.timescale or 1):
        return new
    new_first, old_first = new.timeline.first_time, old.timeline.first_time
    if new_first is None or old_first is None or new_first <= old_first:
        return new
    kept = _history(old.timeline, new_first)
    if not kept:
        return new
    start = (new.start_number if new.start_number is not None else 1) - sum(
        r + 1 for _, _, r in kept
    )
    return replace(new, timeline=_prepended(kept, new.timeline), start_number=start)


_V = TypeVar("_V")


def _by_id(items: tuple[_V, ...], key: str) -> dict[object, _V]:
    return {getattr(x, key): x for x in items if getattr(x, key) is not None}


def apply_update(current: Manifest, update: Manifest) -> Manifest:
    """The model after an MPD refresh: the update wins, keeping older timeline history.

    Rejects an update for another presentation (different availabilityStartTime) or an
    older one (publishTime going backwards) with :class:`UpdateMismatch`.
    """
    if (
        current.is_dynamic
        and update.is_dynamic
        and (current.availability_start_time != update.availability_start_time)
    ):
        raise UpdateMismatch(reason="availabilityStartTime changed")
    if (
        current.publish_time is not None
        and update.publish_time is not None
        and update.publish_time < current.publish_time
    ):
        raise UpdateMismatch(reason="publishTime is older than the running model's")
    if not current.is_dynamic and update.is_dynamic:
        raise UpdateMismatch(reason="a static MPD cannot become dynamic")
    old_periods = _by_id(current.periods, "id")
    periods: list[Period] = []
    for p in update.periods:
        old_p = old_periods.get(p.id)
        if old_p is None:
            periods.append(p)
            continue
        old_sets = _by_id(old_p.adaptation_sets, "id")
        sets: list[AdaptationSet] = []
        for a in p.adaptation_sets:
            old_a = old_sets.get(a.id)
            if old_a is None:
                sets.append(a)
                continue
            old_reps = _by_id(old_a.representations, "id")
            reps = tuple(
                replace(r, segment_info=_merge_info(old_reps[r.id].segment_info, r.segment_info))
                if r.id in old_reps
                else r
                for r in a.representations
            )
            sets.append(
                replace(
                    a,
                    representations=reps,
                    segment_info=_merge_info(old_a.segment_info, a.segment_info),
                )
            )
        periods.append(
            replace(
                p,
                adaptation_sets=tuple(sets),
                segment_info=_merge_info(old_p.segment_info, p.segment_info),
            )
        )
    return link(replace(update, url=update.url or current.url, periods=tuple(periods)))
