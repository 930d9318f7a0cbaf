"""MPD element tree -> model. One pass over the elements, no per-S objects (see timeline)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from manifest._xml import DEFAULT_MAX_BYTES, load_xml, local_name
from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.errors import InvalidValue, NotAnMpd
from manifest.isotime import parse_datetime, parse_duration
from manifest.link import link
from manifest.model import (
    AdaptationSet,
    BaseUrl,
    ByteRange,
    ContentProtection,
    Descriptor,
    Event,
    EventStream,
    Label,
    Manifest,
    Period,
    Representation,
    SegmentBase,
    SegmentInfo,
    SegmentList,
    SegmentTemplate,
    SegmentTimeline,
    SegmentUrl,
    UrlRange,
    build,
)
from manifest.protection import parse_content_protection

__all__ = ["parse_adaptation_set_fragment", "parse_mpd", "parse_period_fragment"]

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XLINK_ACTUATE = "{http://www.w3.org/1999/xlink}actuate"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


_MAX_INT = 1 << 62
"""Larger integers cannot be segment times or counts (they would overflow 64-bit arrays)."""


class _Ctx:
    __slots__ = ("eager", "warnings")

    def __init__(self, eager: bool) -> None:
        self.warnings: list[ManifestWarning] = []
        self.eager = eager

    def warn(self, kind: WarningKind, path: str, detail: str, line: int | None) -> None:
        self.warnings.append(ManifestWarning(kind, path, detail, line))


def parse_mpd(
    data: bytes,
    url: str = "",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    eager_timelines: bool = False,
) -> Manifest:
    """Parse MPD ``data`` fetched from ``url`` (the base for relative BaseURLs).

    SegmentTimelines are decoded on first use unless ``eager_timelines`` is set, in which
    case a bad ``S`` raises here instead of at first segment access.
    """
    root, recovered = load_xml(bytes(data), max_bytes=max_bytes)
    if not isinstance(root.tag, str) or local_name(root.tag) != "MPD":
        raise NotAnMpd(root=str(root.tag), line=root.sourceline)
    ctx = _Ctx(eager_timelines)
    if recovered:
        ctx.warn(WarningKind.RECOVERED_XML, "MPD", "document is not namespace-well-formed", None)
    model = link(_mpd(root, url, ctx), _in_place=True)
    if eager_timelines:
        model = _with_warnings(model, model.warnings)
    return model


def _with_warnings(m: Manifest, warnings: tuple[ManifestWarning, ...]) -> Manifest:
    from dataclasses import replace

    return replace(m, parse_warnings=warnings)


# ---------------------------------------------------------------------- attribute helpers
def _fail_int(el: Any, name: str, path: str, value: str, reason: str) -> InvalidValue:
    return InvalidValue(path=path, attribute=name, value=value, reason=reason, line=el.sourceline)


def _int(el: Any, name: str, path: str, ctx: _Ctx, *, fatal: bool, minimum: int = 0) -> int | None:
    v = el.get(name)
    if v is None:
        return None
    try:
        n = int(v.strip())
    except ValueError:
        reason = "not an integer"
    else:
        if minimum <= n < _MAX_INT:
            return n
        reason = f"must be >= {minimum}" if n < minimum else "out of range"
    if fatal:
        raise _fail_int(el, name, path, v, reason)
    ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}: {reason}", el.sourceline)
    return None


def _float(el: Any, name: str, path: str, ctx: _Ctx) -> float | None:
    v = el.get(name)
    if v is None:
        return None
    s = v.strip()
    if s.upper() == "INF":
        return math.inf
    try:
        f = float(s)
    except ValueError:
        f = math.nan
    if math.isnan(f):
        ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}: not a number", el.sourceline)
        return None
    return f


def _duration(el: Any, name: str, path: str, ctx: _Ctx, *, fatal: bool = True) -> float | None:
    v = el.get(name)
    if v is None:
        return None
    d = parse_duration(v)
    if d is not None and d >= 0:
        return d
    reason = "negative duration" if d is not None else "not an ISO 8601 duration"
    if fatal:
        raise InvalidValue(path=path, attribute=name, value=v, reason=reason, line=el.sourceline)
    ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}: {reason}", el.sourceline)
    return None


def _datetime(el: Any, name: str, path: str, ctx: _Ctx) -> datetime | None:
    v = el.get(name)
    if v is None:
        return None
    dt = parse_datetime(v)
    if dt is None:
        ctx.warn(
            WarningKind.INVALID_VALUE,
            path,
            f"@{name}={v!r}: not an ISO 8601 date-time",
            el.sourceline,
        )
    return dt


def _bool(el: Any, name: str) -> bool | None:
    v = el.get(name)
    if v is None:
        return None
    return v.strip().lower() == "true"


def _range(el: Any, name: str, path: str) -> ByteRange | None:
    v = el.get(name)
    if v is None:
        return None
    first, sep, last = v.strip().partition("-")
    try:
        a, b = int(first), int(last)
    except ValueError:
        a = b = -1
    if not sep or a < 0 or b < a:
        raise InvalidValue(
            path=path,
            attribute=name,
            value=v,
            reason="not a byte range 'first-last'",
            line=el.sourceline,
        )
    return ByteRange(a, b)


def _nsattr(el: Any, name: str) -> str | None:
    """An attribute by local name whatever its prefix (``dvb:priority``)."""
    for key, value in el.attrib.items():
        if key == name or key.endswith(("}" + name, ":" + name)):
            return value
    return None


def _descriptor(el: Any) -> Descriptor:
    return Descriptor(
        scheme_id_uri=(el.get("schemeIdUri") or "").strip(), value=el.get("value"), id=el.get("id")
    )


def _base_url(el: Any, path: str, ctx: _Ctx) -> BaseUrl:
    def small_int(name: str) -> int | None:
        v = _nsattr(el, name)
        if v is None:
            return None
        try:
            return int(v.strip())
        except ValueError:
            ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}", el.sourceline)
            return None

    return BaseUrl(
        url=(el.text or "").strip(),
        service_location=el.get("serviceLocation"),
        priority=small_int("priority"),
        weight=small_int("weight"),
        availability_time_offset=_float(el, "availabilityTimeOffset", path, ctx),
        availability_time_complete=_bool(el, "availabilityTimeComplete"),
    )


def _xlink(el: Any) -> tuple[str | None, str | None]:
    get = el.get
    href = get(XLINK_HREF) or get("xlink:href")  # the latter in recovered documents
    if href is None:
        return None, None
    return href, get(XLINK_ACTUATE) or get("xlink:actuate")


# ---------------------------------------------------------------------- segment info
def _url_range(el: Any, path: str) -> UrlRange:
    return UrlRange(source_url=el.get("sourceURL"), range=_range(el, "range", path))


def _timeline(el: Any, path: str, ctx: _Ctx) -> SegmentTimeline:
    tl = SegmentTimeline.lazy(el, path)
    if ctx.eager:
        tl.warnings  # noqa: B018 - decode now so that errors surface during parse
    return tl


def _multi_common(el: Any, path: str, ctx: _Ctx) -> dict[str, Any]:
    return {
        "timescale": _int(el, "timescale", path, ctx, fatal=True, minimum=1),
        "duration": _int(el, "duration", path, ctx, fatal=True, minimum=1),
        "start_number": _int(el, "startNumber", path, ctx, fatal=True),
        "presentation_time_offset": _int(el, "presentationTimeOffset", path, ctx, fatal=True),
        "availability_time_offset": _float(el, "availabilityTimeOffset", path, ctx),
    }


def _segment_template(el: Any, path: str, ctx: _Ctx) -> SegmentTemplate:
    timeline = None
    init_el = None
    for ch in el:
        if isinstance(ch.tag, str):
            name = local_name(ch.tag)
            if name == "SegmentTimeline":
                timeline = _timeline(ch, f"{path}/SegmentTimeline", ctx)
            elif name == "Initialization":
                init_el = ch
    init = el.get("initialization")
    if init is None and init_el is not None:
        init = init_el.get("sourceURL")
    return SegmentTemplate(
        media=el.get("media"),
        initialization=init,
        index=el.get("index"),
        bitstream_switching=el.get("bitstreamSwitching"),
        end_number=_int(el, "endNumber", path, ctx, fatal=True),
        availability_time_complete=_bool(el, "availabilityTimeComplete"),
        timeline=timeline,
        **_multi_common(el, path, ctx),
    )


def _segment_list(el: Any, path: str, ctx: _Ctx) -> SegmentList:
    timeline = None
    init = None
    urls: list[SegmentUrl] = []
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "SegmentURL":
            p = f"{path}/SegmentURL[{len(urls) + 1}]"
            urls.append(
                SegmentUrl(
                    media=ch.get("media"),
                    media_range=_range(ch, "mediaRange", p) if ch.get("mediaRange") else None,
                    index=ch.get("index"),
                    index_range=_range(ch, "indexRange", p) if ch.get("indexRange") else None,
                )
            )
        elif name == "SegmentTimeline":
            timeline = _timeline(ch, f"{path}/SegmentTimeline", ctx)
        elif name == "Initialization":
            init = _url_range(ch, f"{path}/Initialization")
    return SegmentList(
        initialization=init,
        segment_urls=tuple(urls),
        timeline=timeline,
        **_multi_common(el, path, ctx),
    )


def _segment_base(el: Any, path: str, ctx: _Ctx) -> SegmentBase:
    init = index = None
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "Initialization":
            init = _url_range(ch, f"{path}/Initialization")
        elif name == "RepresentationIndex":
            index = _url_range(ch, f"{path}/RepresentationIndex")
    return SegmentBase(
        timescale=_int(el, "timescale", path, ctx, fatal=True, minimum=1),
        presentation_time_offset=_int(el, "presentationTimeOffset", path, ctx, fatal=True),
        index_range=_range(el, "indexRange", path),
        index_range_exact=_bool(el, "indexRangeExact"),
        initialization=init,
        representation_index=index,
        availability_time_offset=_float(el, "availabilityTimeOffset", path, ctx),
    )


_SEGMENT_PARSERS: dict[str, Callable[[Any, str, _Ctx], SegmentInfo]] = {
    "SegmentTemplate": _segment_template,
    "SegmentList": _segment_list,
    "SegmentBase": _segment_base,
}


# ---------------------------------------------------------------------- elements
def _mpd(el: Any, url: str, ctx: _Ctx) -> Manifest:
    path = "MPD"
    base_urls: list[BaseUrl] = []
    locations: list[str] = []
    utc: list[Descriptor] = []
    periods: list[Period] = []
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "Period":
            periods.append(_period(ch, f"{path}/Period[{len(periods) + 1}]", ctx))
        elif name == "BaseURL":
            base_urls.append(_base_url(ch, f"{path}/BaseURL", ctx))
        elif name == "Location":
            text = (ch.text or "").strip()
            if text:
                locations.append(text)
        elif name == "UTCTiming":
            utc.append(_descriptor(ch))
    mpd_type = (el.get("type") or "static").strip()
    if mpd_type not in ("static", "dynamic"):
        raise InvalidValue(
            path=path,
            attribute="type",
            value=mpd_type,
            reason="must be static or dynamic",
            line=el.sourceline,
        )
    return Manifest(
        url=url,
        type=mpd_type,
        id=el.get("id"),
        profiles=el.get("profiles"),
        min_buffer_time=_duration(el, "minBufferTime", path, ctx, fatal=False),
        media_presentation_duration=_duration(el, "mediaPresentationDuration", path, ctx),
        availability_start_time=_datetime(el, "availabilityStartTime", path, ctx),
        availability_end_time=_datetime(el, "availabilityEndTime", path, ctx),
        publish_time=_datetime(el, "publishTime", path, ctx),
        time_shift_buffer_depth=_duration(el, "timeShiftBufferDepth", path, ctx, fatal=False),
        suggested_presentation_delay=_duration(
            el, "suggestedPresentationDelay", path, ctx, fatal=False
        ),
        minimum_update_period=_duration(el, "minimumUpdatePeriod", path, ctx, fatal=False),
        max_segment_duration=_duration(el, "maxSegmentDuration", path, ctx, fatal=False),
        base_urls=tuple(base_urls),
        locations=tuple(locations),
        utc_timings=tuple(utc),
        periods=tuple(periods),
        parse_warnings=tuple(ctx.warnings),
    )


def _event_stream(el: Any, path: str, ctx: _Ctx) -> EventStream:
    events: list[Event] = []
    for ch in el:
        if isinstance(ch.tag, str) and local_name(ch.tag) == "Event":
            p = f"{path}/Event[{len(events) + 1}]"
            data = ch.get("messageData")
            if data is None and (ch.text or "").strip():
                data = ch.text.strip()
            events.append(
                Event(
                    presentation_time=_int(ch, "presentationTime", p, ctx, fatal=False) or 0,
                    duration=_int(ch, "duration", p, ctx, fatal=False),
                    id=ch.get("id"),
                    message_data=data,
                )
            )
    return EventStream(
        scheme_id_uri=(el.get("schemeIdUri") or "").strip(),
        value=el.get("value"),
        timescale=_int(el, "timescale", path, ctx, fatal=False, minimum=1) or 1,
        presentation_time_offset=_int(el, "presentationTimeOffset", path, ctx, fatal=False) or 0,
        events=tuple(events),
    )


def _period(el: Any, path: str, ctx: _Ctx) -> Period:
    base_urls: list[BaseUrl] = []
    sets: list[AdaptationSet] = []
    streams: list[EventStream] = []
    seg: SegmentInfo | None = None
    asset = None
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "AdaptationSet":
            sets.append(_adaptation_set(ch, f"{path}/AdaptationSet[{len(sets) + 1}]", ctx))
        elif name == "BaseURL":
            base_urls.append(_base_url(ch, f"{path}/BaseURL", ctx))
        elif name in _SEGMENT_PARSERS:
            seg = _SEGMENT_PARSERS[name](ch, f"{path}/{name}", ctx)
        elif name == "EventStream":
            streams.append(_event_stream(ch, f"{path}/EventStream[{len(streams) + 1}]", ctx))
        elif name == "AssetIdentifier":
            asset = _descriptor(ch)
    href, actuate = _xlink(el)
    if href:
        ctx.warn(WarningKind.UNRESOLVED_XLINK, path, f"xlink:href={href!r}", el.sourceline)
    return build(
        Period,
        dict(
            id=el.get("id"),
            start=_duration(el, "start", path, ctx),
            duration=_duration(el, "duration", path, ctx),
            base_urls=tuple(base_urls),
            segment_info=seg,
            adaptation_sets=tuple(sets),
            event_streams=tuple(streams),
            asset_identifier=asset,
            xlink_href=href,
            xlink_actuate=actuate,
        ),
    )


_COMMON_DESCRIPTORS = {
    "Role": "roles",
    "Accessibility": "accessibility",
    "EssentialProperty": "essential_properties",
    "SupplementalProperty": "supplemental_properties",
    "AudioChannelConfiguration": "audio_channels",
    "InbandEventStream": "inband_event_streams",
}


def _adaptation_set(el: Any, path: str, ctx: _Ctx) -> AdaptationSet:
    lists: dict[str, list[Any]] = {k: [] for k in _COMMON_DESCRIPTORS.values()}
    labels: list[Label] = []
    protection: list[ContentProtection] = []
    base_urls: list[BaseUrl] = []
    reps: list[Representation] = []
    seg: SegmentInfo | None = None
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "Representation":
            reps.append(_representation(ch, f"{path}/Representation[{len(reps) + 1}]", ctx))
        elif name in _COMMON_DESCRIPTORS:
            lists[_COMMON_DESCRIPTORS[name]].append(_descriptor(ch))
        elif name == "ContentProtection":
            protection.append(
                parse_content_protection(
                    ch, f"{path}/ContentProtection[{len(protection) + 1}]", ctx.warnings
                )
            )
        elif name == "BaseURL":
            base_urls.append(_base_url(ch, f"{path}/BaseURL", ctx))
        elif name in _SEGMENT_PARSERS:
            seg = _SEGMENT_PARSERS[name](ch, f"{path}/{name}", ctx)
        elif name == "Label":
            labels.append(Label(text=(ch.text or "").strip(), id=ch.get("id"), lang=ch.get("lang")))
    href, actuate = _xlink(el)
    if href:
        ctx.warn(WarningKind.UNRESOLVED_XLINK, path, f"xlink:href={href!r}", el.sourceline)
    if not labels and el.get("label"):
        labels.append(Label(text=el.get("label").strip()))  # @label: Label elements win
    lang = el.get("lang") or el.get(XML_LANG)
    return build(
        AdaptationSet,
        dict(
            id=el.get("id"),
            group=_int(el, "group", path, ctx, fatal=False),
            content_type=el.get("contentType"),
            mime_type=el.get("mimeType"),
            codecs=el.get("codecs"),
            lang=lang,
            width=_int(el, "width", path, ctx, fatal=False),
            height=_int(el, "height", path, ctx, fatal=False),
            frame_rate=el.get("frameRate"),
            sar=el.get("sar"),
            par=el.get("par"),
            audio_sampling_rate=el.get("audioSamplingRate"),
            segment_alignment=el.get("segmentAlignment"),
            subsegment_alignment=el.get("subsegmentAlignment"),
            labels=tuple(labels),
            content_protection=tuple(protection),
            base_urls=tuple(base_urls),
            segment_info=seg,
            representations=tuple(reps),
            xlink_href=href,
            xlink_actuate=actuate,
            **{k: tuple(v) for k, v in lists.items()},
        ),
    )


def _representation(el: Any, path: str, ctx: _Ctx) -> Representation:
    lists: dict[str, list[Any]] = {
        "essential_properties": [],
        "supplemental_properties": [],
        "audio_channels": [],
        "inband_event_streams": [],
    }
    protection: list[ContentProtection] = []
    base_urls: list[BaseUrl] = []
    seg: SegmentInfo | None = None
    for ch in el:
        if not isinstance(ch.tag, str):
            continue
        name = local_name(ch.tag)
        if name == "BaseURL":
            base_urls.append(_base_url(ch, f"{path}/BaseURL", ctx))
        elif name in _SEGMENT_PARSERS:
            seg = _SEGMENT_PARSERS[name](ch, f"{path}/{name}", ctx)
        elif name == "ContentProtection":
            protection.append(
                parse_content_protection(
                    ch, f"{path}/ContentProtection[{len(protection) + 1}]", ctx.warnings
                )
            )
        else:
            key = _COMMON_DESCRIPTORS.get(name)
            if key in lists:
                lists[key].append(_descriptor(ch))
    rep_id = el.get("id")
    if rep_id is None:
        ctx.warn(WarningKind.MISSING_ATTRIBUTE, path, "@id missing", el.sourceline)
    bandwidth = _int(el, "bandwidth", path, ctx, fatal=False)
    if bandwidth is None and el.get("bandwidth") is None:
        ctx.warn(WarningKind.MISSING_ATTRIBUTE, path, "@bandwidth missing", el.sourceline)
    return build(
        Representation,
        dict(
            id=rep_id,
            bandwidth=bandwidth,
            codecs=el.get("codecs"),
            mime_type=el.get("mimeType"),
            width=_int(el, "width", path, ctx, fatal=False),
            height=_int(el, "height", path, ctx, fatal=False),
            frame_rate=el.get("frameRate"),
            sar=el.get("sar"),
            audio_sampling_rate=el.get("audioSamplingRate"),
            base_urls=tuple(base_urls),
            segment_info=seg,
            content_protection=tuple(protection),
            quality_ranking=_int(el, "qualityRanking", path, ctx, fatal=False),
            dependency_id=el.get("dependencyId"),
            start_with_sap=_int(el, "startWithSAP", path, ctx, fatal=False),
            **{k: tuple(v) for k, v in lists.items()},
        ),
    )


# ---------------------------------------------------------------------- xlink fragments
def _fragment_elements(data: bytes, expected: str, max_bytes: int) -> list[Any]:
    """Elements of ``expected`` type in a fetched xlink fragment (may hold several)."""
    wrapped = (
        b"<MPDFragment xmlns='urn:mpeg:dash:schema:mpd:2011'>"
        + _strip_decl(data)
        + (b"</MPDFragment>")
    )
    root, _ = load_xml(wrapped, max_bytes=max_bytes)
    return [ch for ch in root if isinstance(ch.tag, str) and local_name(ch.tag) == expected]


def _strip_decl(data: bytes) -> bytes:
    s = data.lstrip()
    if s.startswith(b"<?xml"):
        end = s.find(b"?>")
        s = s[end + 2 :] if end >= 0 else s
    return s


def parse_period_fragment(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Period]:
    """Periods of an xlink-resolved fragment (zero Periods removes the remote element)."""
    ctx = _Ctx(False)
    return [
        _period(el, f"Fragment/Period[{i + 1}]", ctx)
        for i, el in enumerate(_fragment_elements(data, "Period", max_bytes))
    ]


def parse_adaptation_set_fragment(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[AdaptationSet]:
    ctx = _Ctx(False)
    return [
        _adaptation_set(el, f"Fragment/AdaptationSet[{i + 1}]", ctx)
        for i, el in enumerate(_fragment_elements(data, "AdaptationSet", max_bytes))
    ]
