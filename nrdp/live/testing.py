"""Small dynamic MPDs for tests of the live decisions (here and in the engine's tests).

Text, not the model: the tests then go through ``parse_mpd`` like a real refresh does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from manifest.isotime import format_datetime, format_duration

__all__ = ["dynamic_mpd"]


def _attrs(**values: object) -> str:
    return "".join(f' {k}="{v}"' for k, v in values.items() if v is not None)


def _template(
    timeline: Sequence[tuple[int, int, int]] | None,
    seg_ticks: int,
    timescale: int,
    ato: float | None,
    start_number: int,
    pto: int,
) -> str:
    ato_attr = None if ato is None else ato
    if timeline is None:
        return (
            '<SegmentTemplate media="$RepresentationID$/$Number$.m4s"'
            ' initialization="$RepresentationID$/init.mp4"'
            + _attrs(
                timescale=timescale,
                duration=seg_ticks,
                startNumber=start_number,
                presentationTimeOffset=pto or None,
                availabilityTimeOffset=ato_attr,
            )
            + "/>"
        )
    ss = "".join(f'<S t="{t}" d="{d}" r="{r}"/>' for t, d, r in timeline)
    return (
        '<SegmentTemplate media="$RepresentationID$/$Time$.m4s"'
        ' initialization="$RepresentationID$/init.mp4"'
        + _attrs(
            timescale=timescale,
            presentationTimeOffset=pto or None,
            availabilityTimeOffset=ato_attr,
        )
        + f"><SegmentTimeline>{ss}</SegmentTimeline></SegmentTemplate>"
    )


def dynamic_mpd(
    ast: datetime,
    *,
    segment_s: float = 2.0,
    timescale: int = 1000,
    tsbd: float | None = 10.0,
    spd: float | None = None,
    mup: float | None = 2.0,
    timeline: Sequence[tuple[int, int, int]] | None = None,
    periods: Sequence[tuple[str, float]] = (("p0", 0.0),),
    ato: float | None = None,
    mpd_type: str = "dynamic",
    duration: float | None = None,
    publish: datetime | None = None,
    locations: Sequence[str] = (),
    utc: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An MPD with one video and one audio set per Period (``$Number$``, or ``$Time$`` with
    ``timeline`` entries (t, d, r) in ``timescale`` ticks).

    Period ``(id, start)``: a ``$Number$`` Period starts at number ``start / segment_s + 1``
    with presentationTimeOffset at its start, so numbers and media times run on.
    """
    seg_ticks = round(segment_s * timescale)
    body = []
    for pid, start in periods:
        first = round(start / segment_s)
        pto = round(start * timescale) if timeline is None else 0
        tmpl = _template(timeline, seg_ticks, timescale, ato, first + 1, pto)
        sets = "".join(
            f'<AdaptationSet id="{i}" contentType="{kind}" mimeType="{kind}/mp4"'
            f' segmentAlignment="true">{tmpl}'
            f'<Representation id="{kind[0]}1" bandwidth="{bw}" codecs="{codecs}"/>'
            "</AdaptationSet>"
            for i, (kind, bw, codecs) in enumerate(
                (("video", 500000, "avc1.64001f"), ("audio", 64000, "mp4a.40.2")), 1
            )
        )
        body.append(f'<Period id="{pid}" start="{format_duration(start)}">{sets}</Period>')
    head = _attrs(
        type=mpd_type,
        availabilityStartTime=format_datetime(ast),
        publishTime=format_datetime(publish) if publish else None,
        timeShiftBufferDepth=format_duration(tsbd) if tsbd is not None else None,
        suggestedPresentationDelay=format_duration(spd) if spd is not None else None,
        minimumUpdatePeriod=format_duration(mup)
        if mup is not None and mpd_type == "dynamic"
        else None,
        mediaPresentationDuration=format_duration(duration) if duration is not None else None,
        minBufferTime="PT2S",
    )
    extra = "".join(f"<Location>{u}</Location>" for u in locations) + "".join(
        f'<UTCTiming schemeIdUri="{s}" value="{v}"/>' for s, v in utc
    )
    return (
        '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"'
        f' profiles="urn:mpeg:dash:profile:isoff-live:2011"{head}>'
        f"<BaseURL>https://cdn.example/live/</BaseURL>{extra}{''.join(body)}</MPD>"
    ).encode()
