"""Segment addressing for every DASH mode, as a lazy index over compact runs.

All modes reduce to *runs* (start tick, duration, count) plus a way to name segment i:
SegmentTemplate+@duration is one (possibly unbounded) run, a SegmentTimeline is one run
per ``S``, a SegmentList with @duration is one run over its SegmentURLs, a SegmentBase is
one run per ``sidx`` reference. Lookup by time bisects the run starts: O(log n) and no
list of references is ever built.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from manifest.baseurl import join_url
from manifest.errors import AddressingUnavailable, SegmentNotFound
from manifest.isotime import seconds_between
from manifest.template import compile_template
from manifest.timeline import TimelineRuns
from manifest.values import (
    AddressingContext,
    ByteRange,
    InitRef,
    SegmentBase,
    SegmentInfo,
    SegmentList,
    SegmentRef,
    SegmentTemplate,
    SidxReference,
    UrlCandidate,
)


class Representation(Protocol):
    """What addressing reads of a :class:`manifest.model.Representation` (declared here so
    this module needs only :mod:`manifest.values`, and the model can delegate to it)."""

    @property
    def id(self) -> str | None: ...
    @property
    def bandwidth(self) -> int | None: ...
    @property
    def addressing(self) -> SegmentInfo | None: ...
    @property
    def context(self) -> AddressingContext: ...
    @property
    def base_url_candidates(self) -> tuple[UrlCandidate, ...]: ...
    @property
    def sidx(self) -> tuple[SidxReference, ...] | None: ...
    @property
    def primary_base_url(self) -> str: ...


__all__ = [
    "SegmentIndex",
    "availability_time_offset",
    "build_index",
    "init_ref",
    "live_edge_ticks",
]

_EPS = 1e-9


def availability_time_offset(rep: Representation) -> float:
    """Addressing @availabilityTimeOffset plus the best BaseURL's (they are additive)."""
    ato = getattr(rep.addressing, "availability_time_offset", None) or 0.0
    if rep.base_url_candidates:
        ato += rep.base_url_candidates[0].availability_time_offset
    return ato


def live_edge_ticks(rep: Representation, now: datetime, timescale: int, pto: int) -> int | None:
    """Media time (ticks) up to which segments are available at ``now`` (live), or None.

    Includes @availabilityTimeOffset: low-latency segments are announced that much early.
    """
    ctx = rep.context
    if ctx.availability_start_time is None:
        return None
    ato = availability_time_offset(rep)
    if math.isinf(ato):
        return None
    since = seconds_between(ctx.availability_start_time, now) - ctx.period_start + ato
    return math.floor(since * timescale + _EPS) + pto


class SegmentIndex:
    """Lazy, indexable sequence of :class:`SegmentRef` for one Representation."""

    __slots__ = (
        "_bandwidth",
        "_base",
        "_byte_ranges",
        "_first_number",
        "_list_urls",
        "_media",
        "_period_start",
        "_pto",
        "_rep_id",
        "_runs",
        "_timescale",
        "count",
    )

    def __init__(
        self,
        rep: Representation,
        runs: TimelineRuns,
        *,
        timescale: int,
        pto: int,
        first_number: int,
        count: int,
        media: str | None = None,
        list_urls: tuple | None = None,
        byte_ranges: tuple[array, array] | None = None,
    ) -> None:
        self._rep_id = rep.id
        self._bandwidth = rep.bandwidth
        self._base = rep.primary_base_url
        self._period_start = rep.context.period_start
        self._runs = runs
        self._timescale = timescale
        self._pto = pto
        self._first_number = first_number
        self._media = compile_template(media) if media is not None else None
        self._list_urls = list_urls
        self._byte_ranges = byte_ranges
        self.count = count

    def __len__(self) -> int:
        return self.count

    def _run_of(self, i: int) -> int:
        return bisect_right(self._runs.cums, i) - 1

    def _ref(self, i: int, run: int) -> SegmentRef:
        runs = self._runs
        k = i - runs.cums[run]
        d = runs.durs[run]
        t = runs.starts[run] + k * d
        n = runs.numbers[run]
        number = (n + k) if n >= 0 else self._first_number + i
        path = ""
        byte_range = None
        if self._media is not None:
            path = self._media.expand(
                representation_id=self._rep_id, number=number, bandwidth=self._bandwidth, time=t
            )
        elif self._list_urls is not None:
            su = self._list_urls[i]
            path = su.media or ""
            byte_range = su.media_range
        if self._byte_ranges is not None:
            firsts, lasts = self._byte_ranges
            byte_range = ByteRange(firsts[i], lasts[i])
        ts = self._timescale
        return SegmentRef(
            number=number,
            position=i,
            start=self._period_start + (t - self._pto) / ts,
            duration=d / ts,
            time=t,
            timescale=ts,
            url=join_url(self._base, path) if path else self._base,
            path=path,
            byte_range=byte_range,
        )

    def __getitem__(self, i: int) -> SegmentRef:
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise SegmentNotFound(representation_id=self._rep_id, query=f"position {i}")
        return self._ref(i, self._run_of(i))

    def __iter__(self) -> Iterator[SegmentRef]:
        runs = self._runs
        i = 0
        for run in range(len(runs.counts)):
            for _ in range(runs.counts[run]):
                if i >= self.count:
                    return
                yield self._ref(i, run)
                i += 1

    def by_number(self, number: int) -> SegmentRef:
        """The segment with ``$Number$`` ``number`` (templates without S@n)."""
        return self[number - self._first_number]

    def at_time(self, time: float) -> SegmentRef:
        """Segment containing MPD-timeline ``time``; in a timeline gap, the next segment."""
        if self.count == 0:
            raise SegmentNotFound(representation_id=self._rep_id, query=f"time {time}")
        runs = self._runs
        ticks = (time - self._period_start) * self._timescale + self._pto
        run = bisect_right(runs.starts, ticks + _EPS) - 1
        if run < 0:
            if time < self._period_start - _EPS:
                raise SegmentNotFound(representation_id=self._rep_id, query=f"time {time}")
            return self[0]
        k = int((ticks - runs.starts[run]) // runs.durs[run])
        if k >= runs.counts[run]:
            i = runs.cums[run] + runs.counts[run]  # in a gap (or past the end): next one
        else:
            i = runs.cums[run] + max(k, 0)
        if i >= self.count:
            raise SegmentNotFound(representation_id=self._rep_id, query=f"time {time}")
        return self[i]

    @property
    def start(self) -> float | None:
        return self[0].start if self.count else None

    @property
    def end(self) -> float | None:
        return self[self.count - 1].end if self.count else None


_MAX_TICKS = 1 << 62


def _one_run(start: int, dur: int, count: int, number: int = -1) -> TimelineRuns:
    if not (0 <= count < _MAX_TICKS and abs(start) < _MAX_TICKS and 0 < dur < _MAX_TICKS):
        raise AddressingUnavailable(
            representation_id=None, reason=f"segment count/time out of range ({count} x {dur})"
        )
    return TimelineRuns(
        array("q", [start]),
        array("q", [dur]),
        array("q", [count]),
        array("q", [0]),
        array("q", [number]),
    )


def _end_ticks(
    rep: Representation, now: datetime | None, ts: int, pto: int
) -> tuple[int | None, bool]:
    """Where open-ended addressing stops (period end capped by the live edge), and
    whether that bound is the live edge (then only complete segments count)."""
    ctx = rep.context
    end = None
    at_edge = False
    if ctx.period_duration is not None and math.isfinite(ctx.period_duration):
        end = math.ceil(ctx.period_duration * ts - _EPS) + pto
    if ctx.dynamic and now is not None:
        edge = live_edge_ticks(rep, now, ts, pto)
        if edge is not None and (end is None or edge < end):
            end, at_edge = edge, True
    return end, at_edge


def build_index(rep: Representation, now: datetime | None) -> SegmentIndex:
    info = rep.addressing
    if info is None:
        raise AddressingUnavailable(representation_id=rep.id, reason="no segment information")
    ts = info.timescale or 1
    pto = info.presentation_time_offset or 0
    if isinstance(info, SegmentTemplate):
        return _template_index(rep, info, now, ts, pto)
    if isinstance(info, SegmentList):
        return _list_index(rep, info, now, ts, pto)
    return _base_index(rep, info, ts, pto)


def _template_index(
    rep: Representation, info: SegmentTemplate, now: datetime | None, ts: int, pto: int
) -> SegmentIndex:
    if info.media is None:
        raise AddressingUnavailable(representation_id=rep.id, reason="SegmentTemplate@media absent")
    start_number = info.start_number if info.start_number is not None else 1
    if info.timeline is not None:
        end, at_edge = _end_ticks(rep, now, ts, pto)
        runs = info.timeline.runs(end, partial_last=not at_edge)
        count = runs.total
    elif info.duration:
        d = info.duration
        end, at_edge = _end_ticks(rep, now, ts, pto)
        if end is None:
            raise AddressingUnavailable(
                representation_id=rep.id,
                reason="open-ended @duration addressing needs the period end or `now`",
            )
        span = end - pto
        if (
            rep.context.dynamic
            and now is not None
            and (
                rep.context.period_duration is None
                or end < pto + rep.context.period_duration * ts - _EPS
            )
        ):
            count = max(0, span // d)  # live: only segments complete at `now`
        else:
            count = max(0, -(-span // d))
        if info.end_number is not None:
            count = min(count, max(0, info.end_number - start_number + 1))
        runs = _one_run(pto, d, count)
    else:
        raise AddressingUnavailable(
            representation_id=rep.id, reason="SegmentTemplate has neither @duration nor timeline"
        )
    if info.end_number is not None:
        count = min(count, max(0, info.end_number - start_number + 1))
    return SegmentIndex(
        rep, runs, timescale=ts, pto=pto, first_number=start_number, count=count, media=info.media
    )


def _list_index(
    rep: Representation, info: SegmentList, now: datetime | None, ts: int, pto: int
) -> SegmentIndex:
    urls = info.segment_urls
    start_number = info.start_number if info.start_number is not None else 1
    if info.timeline is not None:
        end, at_edge = _end_ticks(rep, now, ts, pto)
        runs = info.timeline.runs(end, partial_last=not at_edge)
        count = min(runs.total, len(urls))
    elif info.duration:
        runs = _one_run(pto, info.duration, len(urls))
        count = len(urls)
    elif len(urls) == 1:
        ctx = rep.context
        if ctx.period_duration is None:
            raise AddressingUnavailable(
                representation_id=rep.id, reason="single SegmentURL without duration"
            )
        runs = _one_run(pto, max(1, round(ctx.period_duration * ts)), 1)
        count = 1
    else:
        raise AddressingUnavailable(
            representation_id=rep.id, reason="SegmentList has neither @duration nor timeline"
        )
    return SegmentIndex(
        rep, runs, timescale=ts, pto=pto, first_number=start_number, count=count, list_urls=urls
    )


def _base_index(rep: Representation, info: SegmentBase, ts: int, pto: int) -> SegmentIndex:
    refs = rep.sidx
    if refs is None:
        if info.index_range is not None or info.representation_index is not None:
            raise AddressingUnavailable(
                representation_id=rep.id,
                reason="segment index not loaded: fetch indexRange and call with_sidx()",
            )
        dur = rep.context.period_duration
        if dur is None:
            raise AddressingUnavailable(
                representation_id=rep.id, reason="SegmentBase without index or period duration"
            )
        return SegmentIndex(
            rep,
            _one_run(pto, max(1, round(dur * ts)), 1),
            timescale=ts,
            pto=pto,
            first_number=1,
            count=1,
        )
    sidx_ts = refs[0].timescale if refs else ts
    pto = pto * sidx_ts // ts
    starts = array("q", (r.time for r in refs))
    runs = TimelineRuns(
        starts,
        array("q", (r.duration for r in refs)),
        array("q", [1]) * len(refs),
        array("q", range(len(refs))),
        array("q", [-1]) * len(refs),
    )
    ranges = (array("q", (r.first_byte for r in refs)), array("q", (r.last_byte for r in refs)))
    return SegmentIndex(
        rep,
        runs,
        timescale=sidx_ts,
        pto=pto,
        first_number=1,
        count=len(refs),
        byte_ranges=ranges,
    )


def init_ref(rep: Representation) -> InitRef | None:
    """The initialization segment of ``rep``, if its addressing names one."""
    info = rep.addressing
    base = rep.primary_base_url
    if isinstance(info, SegmentTemplate):
        if info.initialization is None:
            return None
        path = compile_template(info.initialization).expand(
            representation_id=rep.id, bandwidth=rep.bandwidth
        )
        return InitRef(url=join_url(base, path), path=path)
    if isinstance(info, SegmentList | SegmentBase):
        init = info.initialization
        if init is None:
            if isinstance(info, SegmentBase):
                return InitRef(url=base, path="", byte_range=None) if base else None
            return None
        path = init.source_url or ""
        return InitRef(url=join_url(base, path) if path else base, path=path, byte_range=init.range)
    return None
