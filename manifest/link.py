"""Derive what the model infers: Period timing, inherited attributes, merged addressing,
BaseURL candidates. Run after parsing and after building a model by hand, so both agree."""

from __future__ import annotations

from manifest.baseurl import resolve_level
from manifest.model import (
    AdaptationSet,
    AddressingContext,
    BaseUrl,
    Manifest,
    Period,
    Representation,
    SegmentInfo,
    UrlCandidate,
)
from manifest.values import evolve

__all__ = ["link"]

INHERITED_ATTRS = (
    "codecs",
    "mime_type",
    "width",
    "height",
    "frame_rate",
    "sar",
    "audio_sampling_rate",
)
"""Scalar fields a Representation inherits from its AdaptationSet when it has none."""
INHERITED_LISTS = (
    "audio_channels",
    "content_protection",
    "essential_properties",
    "supplemental_properties",
    "inband_event_streams",
)
"""List fields a Representation inherits from its AdaptationSet when its own is empty."""
_INHERITED = INHERITED_ATTRS + INHERITED_LISTS


def _period_times(m: Manifest) -> list[tuple[float, float | None]]:
    """(start, end) per Period (ISO/IEC 23009-1 5.3.2.1 inference rules)."""
    out: list[tuple[float, float | None]] = []
    periods = m.periods
    starts: list[float | None] = []
    prev_end: float | None = 0.0
    for i, p in enumerate(periods):
        if p.start is not None:
            start: float | None = p.start
        elif i == 0:
            start = 0.0
        else:
            start = prev_end
        starts.append(start)
        prev_end = (start + p.duration) if (start is not None and p.duration is not None) else None
    for i, p in enumerate(periods):
        known = starts[i]
        begin = known if known is not None else 0.0
        if p.duration is not None:
            end: float | None = begin + p.duration
        elif i + 1 < len(periods) and starts[i + 1] is not None:
            end = starts[i + 1]
        elif i + 1 == len(periods) and m.media_presentation_duration is not None:
            end = m.media_presentation_duration
        else:
            end = None
        out.append((begin, end))
    return out


def _merged(info: SegmentInfo, *parents: SegmentInfo | None) -> SegmentInfo:
    """``info`` merged over the same-typed ``parents`` (outermost first)."""
    result: SegmentInfo | None = None
    for parent in parents:
        if parent is not None and type(parent) is type(info):
            result = parent if result is None else parent.merged_over(result)
    return info if result is None else info.merged_over(result)


def _rep_candidates(
    cands: tuple[UrlCandidate, ...], base_urls: tuple[BaseUrl, ...]
) -> tuple[UrlCandidate, ...]:
    rep_cands = resolve_level(cands, base_urls)
    if len(rep_cands) > 1:
        rep_cands = tuple(sorted(rep_cands, key=lambda c: c.priority))
    return rep_cands


def _link_rep(
    rep: Representation,
    inherit: dict[str, object],
    period_info: SegmentInfo | None,
    aset: AdaptationSet,
    set_level: SegmentInfo | None,
    cands: tuple[UrlCandidate, ...],
    context: AddressingContext,
    in_place: bool,
) -> Representation:
    d = rep.__dict__
    changes: dict[str, object] = {}
    for k, v in inherit.items():
        mine = d[k]
        if mine is None or mine == ():
            changes[k] = v
    own = d["segment_info"]
    changes["addressing"] = (
        set_level if own is None else _merged(own, period_info, aset.segment_info)
    )
    base_urls = d["base_urls"]
    changes["base_url_candidates"] = _rep_candidates(cands, base_urls) if base_urls else cands
    changes["context"] = context
    if in_place:
        d.update(changes)
        return rep
    return evolve(rep, changes)


def link(m: Manifest, *, _in_place: bool = False) -> Manifest:
    """A copy of ``m`` with every derived field (re)computed.

    ``_in_place`` is for the parser only: its freshly built objects are not shared yet, so
    they are completed instead of copied, and it has already applied the AdaptationSet ->
    Representation inheritance (``_INHERITED``) while building them.
    """
    doc = (UrlCandidate(url=m.url),) if m.url else ()
    mpd_cands = resolve_level(doc, m.base_urls)
    periods: list[Period] = []
    dynamic = m.is_dynamic
    ast, tsbd = m.availability_start_time, m.time_shift_buffer_depth
    for p, (start, end) in zip(m.periods, _period_times(m), strict=True):
        context = AddressingContext(  # positional: ~2x cheaper than keywords
            start, None if end is None else end - start, dynamic, ast, tsbd
        )
        p_cands = resolve_level(mpd_cands, p.base_urls) if p.base_urls else mpd_cands
        period_info = p.segment_info
        sets = []
        for a in p.adaptation_sets:
            ad = a.__dict__
            a_cands = resolve_level(p_cands, ad["base_urls"]) if ad["base_urls"] else p_cands
            if len(a_cands) > 1:
                a_cands = tuple(sorted(a_cands, key=lambda c: c.priority))
            own_info = ad["segment_info"]
            if own_info is None:
                level = period_info
            elif period_info is None:
                level = own_info
            else:
                level = _merged(own_info, period_info)
            if _in_place:
                for r in ad["representations"]:
                    # The parser's fresh Representations (AdaptationSet attributes already
                    # inherited by the parser): complete them where they are.
                    d = r.__dict__
                    own = d["segment_info"]
                    d["addressing"] = level if own is None else _merged(own, period_info, own_info)
                    d["base_url_candidates"] = (
                        _rep_candidates(a_cands, d["base_urls"]) if d["base_urls"] else a_cands
                    )
                    d["context"] = context
                sets.append(a)
            else:
                inherit = {n: v for n in _INHERITED if (v := ad[n]) is not None and v != ()}
                reps = tuple(
                    _link_rep(r, inherit, period_info, a, level, a_cands, context, False)
                    for r in ad["representations"]
                )
                sets.append(evolve(a, {"representations": reps}))
        if _in_place:
            pd = p.__dict__
            pd["start_time"] = start
            pd["end_time"] = end
            periods.append(p)
        else:
            changes = {"start_time": start, "end_time": end}
            periods.append(evolve(p, {"adaptation_sets": tuple(sets), **changes}))
    return m if _in_place else evolve(m, {"periods": tuple(periods)})
