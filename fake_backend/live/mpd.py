"""The channel's MPD at one instant, built on the model and written by ``manifest.writer``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fake_backend.live.channel import ChannelState, Timing
from fake_backend.live.source import LoopTrack
from manifest.build import LIVE_PROFILE
from manifest.link import link
from manifest.model import (
    AdaptationSet,
    BaseUrl,
    Descriptor,
    Manifest,
    Period,
    SegmentTemplate,
    SegmentTimeline,
)
from manifest.writer import write_mpd

__all__ = ["UTC_SCHEMES", "channel_mpd"]

UTC_SCHEMES = {
    "xsdate": "urn:mpeg:dash:utc:http-xsdate:2014",
    "iso": "urn:mpeg:dash:utc:http-iso:2014",
    "head": "urn:mpeg:dash:utc:http-head:2014",
}


def _template(
    timing: Timing, track: LoopTrack, first: int, last: int, p_first: int
) -> SegmentTemplate:
    """Segments ``first..last`` of a Period that starts at segment ``p_first``."""
    cfg = timing.config
    ts = track.timescale
    pto = round(p_first * timing.source.segment_s * ts)
    if cfg.addressing == "number":
        return SegmentTemplate(
            media=cfg.media_template,
            initialization=track.init.replace(track.id, "$RepresentationID$", 1),
            timescale=ts,
            duration=round(timing.source.segment_s * ts),
            start_number=p_first + 1,
            presentation_time_offset=pto,
        )
    entries: list[tuple[int | None, int, int]] = []
    prev_end = None
    for g in range(first, last + 1):
        t, d = timing.times(track, g)
        if entries and entries[-1][1] == d and prev_end == t:
            et, ed, er = entries[-1]
            entries[-1] = (et, ed, er + 1)
        else:
            entries.append((t, d, 0))
        prev_end = t + d
    return SegmentTemplate(
        media=cfg.media_template,
        initialization=track.init.replace(track.id, "$RepresentationID$", 1),
        timescale=ts,
        presentation_time_offset=pto,
        timeline=SegmentTimeline.from_entries(entries),
    )


def _sets(timing: Timing, first: int, last: int, p_first: int) -> tuple[AdaptationSet, ...]:
    """One AdaptationSet per source set; the first track of a set gives its template."""
    groups: dict[object, list[LoopTrack]] = {}
    for track in timing.source.tracks:
        groups.setdefault(track.aset.id or id(track.aset), []).append(track)
    out = []
    for tracks in groups.values():
        lo, hi = max(first, p_first), last
        if timing.config.addressing == "time" and hi < lo:
            continue
        reps = tuple(replace(t.rep, segment_info=None) for t in tracks)
        tmpl = _template(timing, tracks[0], lo, hi, p_first)
        out.append(replace(tracks[0].aset, segment_info=tmpl, representations=reps))
    return tuple(out)


def channel_mpd(
    timing: Timing,
    state: ChannelState,
    *,
    now: datetime,
    e: float,
    ast: datetime,
    utc_base: str,
) -> bytes:
    """The MPD at ``e`` seconds after ``ast`` (``now`` = ast + e, for publishTime)."""
    cfg, src = timing.config, timing.source
    ref = src.tracks[0]
    ended = state.ended_at is not None
    last = (state.ended_at - 1) if state.ended_at is not None else timing.newest(ref, e)
    first = timing.oldest(ref, e) if not ended else timing.oldest(ref, last * src.segment_s)
    periods = []
    bounds = [*state.periods, None]
    for j, p_first in enumerate(state.periods):
        p_end = bounds[j + 1]
        if p_end is not None and p_end <= first:
            continue  # wholly out of the window
        if p_first > last and (ended or p_first * src.segment_s > e + 4 * src.segment_s):
            continue
        hi = last if p_end is None else min(last, p_end - 1)
        sets = _sets(timing, first, hi, p_first)
        if sets:  # a future $Time$ Period has no segment to list yet
            periods.append(Period(id=f"p{j}", start=p_first * src.segment_s, adaptation_sets=sets))
    utc = tuple(Descriptor(UTC_SCHEMES[k], f"{utc_base}/time/v1/{k}") for k in ("xsdate", "head"))
    m = Manifest(
        type="static" if ended else "dynamic",
        profiles=LIVE_PROFILE,
        availability_start_time=ast,
        publish_time=now,
        min_buffer_time=src.segment_s,
        time_shift_buffer_depth=None if ended else cfg.time_shift_buffer_s,
        suggested_presentation_delay=None if ended else cfg.presentation_delay_s,
        minimum_update_period=None if ended else (cfg.update_period_s or src.segment_s),
        media_presentation_duration=(state.ended_at or 0) * src.segment_s if ended else None,
        max_segment_duration=src.segment_s * 1.5,
        utc_timings=utc,
        base_urls=(BaseUrl("./"),),
        periods=tuple(periods),
    )
    return write_mpd(link(m))
