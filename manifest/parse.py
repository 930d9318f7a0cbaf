"""MPD element tree -> model. One pass over the elements, no per-S objects (see timeline).

Speed notes (a 100-Period MPD has ~1,600 elements; each costs a few microseconds here on
top of lxml's ~1 us): element paths are ``(parent, name, index)`` tuples rendered only
for a message (:mod:`manifest._paths`); integers take a digits-only fast path before the
general checks; the dict-based model classes are created from one complete field dict
(:func:`_new`) instead of a 28-argument frozen ``__init__``; identical descriptors within
one document share one (immutable) instance; absent optional children skip the loops;
AdaptationSet -> Representation inheritance happens here, on the Representations' dicts.
Periods (and AdaptationSets) that repeat an earlier one's text reuse its parsed fields
(:mod:`manifest.period_memo`): Python per element is what costs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from manifest._paths import ElementPath, path_str
from manifest._spans import StrippedDocument, changed_templates, period_keys, strip_repeats
from manifest._timeline_cut import CutTimelines, cut_timelines
from manifest._xml import DEFAULT_MAX_BYTES, load_xml, local_name, subtree_text
from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.errors import InvalidValue, ManifestError, NotAnMpd
from manifest.isotime import parse_datetime, parse_duration
from manifest.limits import MAX_INTEGER
from manifest.link import INHERITED_ATTRS, INHERITED_LISTS, link
from manifest.model import (
    AdaptationSet,
    AddressingContext,
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
)
from manifest.period_memo import (
    MAX_MISSES,
    MAX_PERIODS,
    CutMiss,
    Key,
    Owners,
    PeriodMemo,
    SetMemo,
    SetSnapshot,
    sets_from_snapshots,
)
from manifest.protection import parse_content_protection

__all__ = ["parse_adaptation_set_fragment", "parse_mpd", "parse_period_fragment"]

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XLINK_ACTUATE = "{http://www.w3.org/1999/xlink}actuate"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


_MAX_INT = MAX_INTEGER
"""Larger integers cannot be segment times or counts (:mod:`manifest.limits`)."""

_T = TypeVar("_T")
_LOCAL: dict[Any, str] = {}
"""Tag -> local name for the tags of the DASH schema namespace (and unprefixed ones)."""


_SetAttributes = tuple[dict[str, Any], str | None, tuple[tuple[str, Any], ...]]
"""AdaptationSet attribute fields, ``@label``, and the (field, value) pairs inherited."""


_MEMO = True
"""Reuse repeated Periods'/AdaptationSets' parsed fields (tests compare with it off)."""


class _Ctx:
    __slots__ = (
        "adaptation_sets",
        "descriptors",
        "eager",
        "memo",
        "period_memo",
        "protections",
        "raw_timelines",
        "recovered",
        "representations",
        "templates",
        "timeline_doc",
        "timelines",
        "warnings",
    )

    def __init__(self, eager: bool, recovered: bool = True) -> None:
        self.warnings: list[ManifestWarning] = []
        self.eager = eager
        # Only a recovered document can carry literal "xlink:href" attribute names.
        self.recovered = recovered
        self.descriptors: dict[tuple[str | None, str | None, str | None], Descriptor] = {}
        self.templates: dict[tuple[Any, ...], SegmentTemplate] = {}
        self.protections: dict[tuple[Any, ...], ContentProtection] = {}
        self.representations: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.adaptation_sets: dict[tuple[Any, ...], _SetAttributes] = {}
        self.timelines = 0
        self.timeline_doc = False  # the document holds a SegmentTimeline somewhere
        # The repeated-set and repeated-Period memos (manifest.period_memo); None: not used.
        self.memo: SetMemo | None = None
        self.period_memo: PeriodMemo | None = None
        # SegmentTimeline element -> its S entries as written (manifest._timeline_cut).
        self.raw_timelines: dict[Any, bytes] = {}

    def warn(self, kind: WarningKind, path: ElementPath, detail: str, line: int | None) -> None:
        self.warnings.append(ManifestWarning(kind, path_str(path), detail, line))


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
    data = bytes(data)
    if _MEMO and len(data) <= max_bytes:
        cut = strip_repeats(data, MAX_PERIODS, MAX_MISSES)
        tl_cut = cut_timelines(data) if cut is None else None
        if cut is not None or tl_cut is not None:
            try:
                return _parse(data, url, max_bytes, eager_timelines, cut, tl_cut)
            except (CutMiss, ManifestError):
                pass  # the original document decides (and reports exactly where)
    return _parse(data, url, max_bytes, eager_timelines)


def _parse(
    data: bytes,
    url: str,
    max_bytes: int,
    eager: bool,
    cut: StrippedDocument | None = None,
    tl_cut: CutTimelines | None = None,
) -> Manifest:
    """``cut``: parse ``cut.data``, the original with repeated Period bodies cut out, which
    must all come from the repeated-Period memo (else :class:`CutMiss`); ``tl_cut``: parse
    the original with its SegmentTimeline bodies cut out (:mod:`manifest._timeline_cut`)."""
    text = cut.data if cut is not None else tl_cut.data if tl_cut is not None else data
    root, recovered = load_xml(text, max_bytes=max_bytes)
    if not isinstance(root.tag, str) or local_name(root.tag) != "MPD":
        raise NotAnMpd(root=str(root.tag), line=root.sourceline)
    if (cut is not None or tl_cut is not None) and recovered:
        raise CutMiss
    ctx = _Ctx(eager, recovered)
    if tl_cut is not None:
        elements = list(root.iter("{*}SegmentTimeline"))
        if len(elements) != len(tl_cut.bodies) or any(len(el) for el in elements):
            raise CutMiss
        ctx.raw_timelines = dict(zip(elements, tl_cut.bodies, strict=True))
    if _MEMO and not recovered and len(root) > 2:
        ctx.memo = SetMemo()  # several Periods may repeat their AdaptationSets
        # Timelines are never shared (each keeps its element), and keying a Period that
        # holds one would slice or serialize every S: such documents only use the
        # AdaptationSet memo, for their timeline-free sets.
        ctx.timeline_doc = next(root.iter("{*}SegmentTimeline"), None) is not None
        count = sum(1 for _ in root.iterchildren("{*}Period"))
        if not ctx.timeline_doc and count > 2:
            # Raw slices are exact only if no other element (nested, prefixed) is a Period.
            exact = sum(1 for _ in root.iter("{*}Period")) == count
            if cut is not None:
                if not exact or count != len(cut.keys):
                    raise CutMiss
                ctx.period_memo = PeriodMemo(cut.keys, cut.stripped)
            else:
                ctx.period_memo = PeriodMemo(period_keys(data, count) if exact else None)
    if cut is not None and ctx.period_memo is None:
        raise CutMiss
    if recovered:
        ctx.warn(WarningKind.RECOVERED_XML, "MPD", "document is not namespace-well-formed", None)
    model = link(_mpd(root, url, ctx), _in_place=True)
    if eager:
        model = _with_warnings(model, model.warnings)
    return model


def _with_warnings(m: Manifest, warnings: tuple[ManifestWarning, ...]) -> Manifest:
    from dataclasses import replace

    return replace(m, parse_warnings=warnings)


def _new(cls: type[_T], values: dict[str, Any]) -> _T:
    """A dict-based model instance whose ``__dict__`` is ``values`` (every field present).

    A frozen dataclass ``__init__`` with ~25 fields costs ~7 us (one ``object.__setattr__``
    per field); this costs ~0.2 us. tests/manifest/test_parse.py checks that the parser's
    dicts name exactly the dataclass fields.
    """
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", values)
    return new


_local_get = _LOCAL.get


def _name(tag: Any) -> str | None:
    """Local name of a child's tag; None for comments/PIs (not str tags)."""
    name = _LOCAL.get(tag)
    if name is None and isinstance(tag, str):
        name = local_name(tag)
        if len(_LOCAL) < 4096:
            _LOCAL[tag] = name
    return name


# ---------------------------------------------------------------------- attribute helpers
def _int(
    el: Any, name: str, path: ElementPath, ctx: _Ctx, fatal: bool, minimum: int = 0
) -> int | None:
    v = el.get(name)
    if v is None:
        return None
    # Fast path: plain ASCII digits below 10**18 (< 2**62); anything else is checked below.
    if len(v) < 19 and v.isdigit() and v.isascii():
        n = int(v)
        if n >= minimum:
            return n
    return _int_checked(el, name, path, ctx, fatal, minimum, v)


def _int_checked(
    el: Any, name: str, path: ElementPath, ctx: _Ctx, fatal: bool, minimum: int, v: str
) -> int | None:
    try:
        n = int(v.strip())
    except ValueError:
        reason = "not an integer"
    else:
        if minimum <= n < _MAX_INT:
            return n
        reason = f"must be >= {minimum}" if n < minimum else "out of range"
    if fatal:
        raise InvalidValue(
            path=path_str(path), attribute=name, value=v, reason=reason, line=el.sourceline
        )
    ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}: {reason}", el.sourceline)
    return None


def _float(el: Any, name: str, path: ElementPath, ctx: _Ctx) -> float | None:
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


_DURATIONS: dict[str, float | None] = {}
"""xs:duration text -> seconds: Period@duration and the like repeat across a document."""


def _duration(el: Any, name: str, path: ElementPath, ctx: _Ctx, fatal: bool = True) -> float | None:
    return _duration_of(el.get(name), el, name, path, ctx, fatal)


def _duration_of(
    v: str | None, el: Any, name: str, path: ElementPath, ctx: _Ctx, fatal: bool = True
) -> float | None:
    """``_duration`` of a value read earlier (``el`` gives the line of an error)."""
    if v is None:
        return None
    try:
        d = _DURATIONS[v]
    except KeyError:
        d = parse_duration(v)
        if len(_DURATIONS) < 1024:
            _DURATIONS[v] = d
    if d is not None and d >= 0:
        return d
    reason = "negative duration" if d is not None else "not an ISO 8601 duration"
    if fatal:
        raise InvalidValue(
            path=path_str(path), attribute=name, value=v, reason=reason, line=el.sourceline
        )
    ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}: {reason}", el.sourceline)
    return None


def _datetime(el: Any, name: str, path: ElementPath, ctx: _Ctx) -> datetime | None:
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


def _range(el: Any, name: str, path: ElementPath) -> ByteRange | None:
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
            path=path_str(path),
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


def _descriptor(el: Any, ctx: _Ctx) -> Descriptor:
    get = el.get
    key = (get("schemeIdUri"), get("value"), get("id"))
    d = ctx.descriptors.get(key)
    if d is None:
        # Frozen values: equal descriptors of one document share an instance.
        d = ctx.descriptors[key] = Descriptor(
            scheme_id_uri=(key[0] or "").strip(), value=key[1], id=key[2]
        )
    return d


def _content_protection(el: Any, path: ElementPath, ctx: _Ctx) -> ContentProtection:
    """Childless entries (the mp4protection one) repeat per Period: parse each form once.

    Only an entry that produced no warning is reused, so every problem is still reported
    at its own path and line.
    """
    if len(el):
        return parse_content_protection(el, path, ctx.warnings)
    key = tuple(el.items())
    cp = ctx.protections.get(key)
    if cp is None:
        before = len(ctx.warnings)
        cp = parse_content_protection(el, path, ctx.warnings)
        if len(ctx.warnings) == before:
            ctx.protections[key] = cp
    return cp


def _small_int(el: Any, name: str, path: ElementPath, ctx: _Ctx) -> int | None:
    v = _nsattr(el, name)
    if v is None:
        return None
    try:
        return int(v.strip())
    except ValueError:
        ctx.warn(WarningKind.INVALID_VALUE, path, f"@{name}={v!r}", el.sourceline)
        return None


def _base_url(el: Any, path: ElementPath, ctx: _Ctx) -> BaseUrl:
    url = (el.text or "").strip()
    if not len(el.attrib):
        return BaseUrl(url)  # positional: keywords cost ~40% more
    return BaseUrl(
        url=url,
        service_location=el.get("serviceLocation"),
        priority=_small_int(el, "priority", path, ctx),
        weight=_small_int(el, "weight", path, ctx),
        availability_time_offset=_float(el, "availabilityTimeOffset", path, ctx),
        availability_time_complete=_bool(el, "availabilityTimeComplete"),
    )


def _xlink(el: Any, ctx: _Ctx) -> tuple[str | None, str | None]:
    get = el.get
    # A literal "xlink:href" name (undeclared prefix) exists only in recovered documents.
    href = get(XLINK_HREF) or (get("xlink:href") if ctx.recovered else None)
    if href is None:
        return None, None
    return href, get(XLINK_ACTUATE) or get("xlink:actuate")


# ---------------------------------------------------------------------- segment info
def _url_range(el: Any, path: ElementPath) -> UrlRange:
    return UrlRange(source_url=el.get("sourceURL"), range=_range(el, "range", path))


def _timeline(el: Any, path: ElementPath, ctx: _Ctx) -> SegmentTimeline:
    body = ctx.raw_timelines.get(el) if ctx.raw_timelines else None
    if body is not None:
        tl = SegmentTimeline.lazy_raw(body, path_str(path), el.sourceline)
    else:
        tl = SegmentTimeline.lazy(el, path_str(path))
    ctx.timelines += 1  # holds its element and path: the set cannot be shared (memo)
    if ctx.eager:
        tl.warnings  # noqa: B018 - decode now so that errors surface during parse
    return tl


_ST_TEXT = {"media": 0, "initialization": 1, "index": 2, "bitstreamSwitching": 3}
_ST_INTS = {"timescale": 4, "duration": 5, "startNumber": 6, "endNumber": 7}
_ST_CHECKS = (  # (attribute, slot, minimum) in the order their errors are reported
    ("endNumber", 7, 0),
    ("timescale", 4, 1),
    ("duration", 5, 1),
    ("startNumber", 6, 0),
    ("presentationTimeOffset", 8, 0),
)


def _segment_template(el: Any, path: ElementPath, ctx: _Ctx) -> SegmentTemplate:
    items = el.items()
    if len(el):
        return _segment_template_of(el, items, path, ctx)
    # Multi-Period documents repeat their (childless) templates: parse each form once.
    # Only a template that parsed without a warning is reused; errors always raise.
    key = tuple(items)
    st = ctx.templates.get(key)
    if st is None:
        before = len(ctx.warnings)
        st = _segment_template_of(el, items, path, ctx)
        if len(ctx.warnings) == before:
            ctx.templates[key] = st
    return st


def _segment_template_of(
    el: Any, items: list[tuple[str, str]], path: ElementPath, ctx: _Ctx
) -> SegmentTemplate:
    # Constructor arguments in field order; attributes read with one el.items() call.
    a: list[Any] = [None] * 12
    init_el = None
    if len(el):
        for ch in el:
            name = _local_get(ch.tag) or _name(ch.tag)
            if name == "SegmentTimeline":
                a[11] = _timeline(ch, (path, "SegmentTimeline", 0), ctx)
            elif name == "Initialization":
                init_el = ch
    slow = False
    other = False
    for key, v in items:
        i = _ST_TEXT.get(key)
        if i is not None:
            a[i] = v
            continue
        i = _ST_INTS.get(key)
        if i is not None and len(v) < 19 and v.isdigit() and v.isascii() and v != "0":
            a[i] = int(v)
        elif i is not None or key == "presentationTimeOffset":
            slow = True
        else:
            other = True
    if slow:
        for key, i, minimum in _ST_CHECKS:
            if a[i] is None:
                a[i] = _int(el, key, path, ctx, True, minimum)
    if other:
        a[9] = _float(el, "availabilityTimeOffset", path, ctx)
        a[10] = _bool(el, "availabilityTimeComplete")
    if a[1] is None and init_el is not None:
        a[1] = init_el.get("sourceURL")
    return SegmentTemplate(*a)


def _segment_list(el: Any, path: ElementPath, ctx: _Ctx) -> SegmentList:
    timeline = None
    init = None
    urls: list[SegmentUrl] = []
    for ch in el:
        name = _local_get(ch.tag) or _name(ch.tag)
        if name == "SegmentURL":
            get = ch.get
            media_range = get("mediaRange")
            index_range = get("indexRange")
            if media_range or index_range:
                p: ElementPath = (path, "SegmentURL", len(urls) + 1)
                urls.append(
                    SegmentUrl(
                        get("media"),
                        _range(ch, "mediaRange", p) if media_range else None,
                        get("index"),
                        _range(ch, "indexRange", p) if index_range else None,
                    )
                )
            else:
                urls.append(SegmentUrl(get("media"), None, get("index"), None))
        elif name == "SegmentTimeline":
            timeline = _timeline(ch, (path, "SegmentTimeline", 0), ctx)
        elif name == "Initialization":
            init = _url_range(ch, (path, "Initialization", 0))
    return SegmentList(
        timescale=_int(el, "timescale", path, ctx, True, 1),
        duration=_int(el, "duration", path, ctx, True, 1),
        start_number=_int(el, "startNumber", path, ctx, True),
        presentation_time_offset=_int(el, "presentationTimeOffset", path, ctx, True),
        initialization=init,
        segment_urls=tuple(urls),
        timeline=timeline,
        availability_time_offset=_float(el, "availabilityTimeOffset", path, ctx),
    )


def _segment_base(el: Any, path: ElementPath, ctx: _Ctx) -> SegmentBase:
    init = index = None
    for ch in el:
        name = _local_get(ch.tag) or _name(ch.tag)
        if name == "Initialization":
            init = _url_range(ch, (path, "Initialization", 0))
        elif name == "RepresentationIndex":
            index = _url_range(ch, (path, "RepresentationIndex", 0))
    return SegmentBase(
        timescale=_int(el, "timescale", path, ctx, True, 1),
        presentation_time_offset=_int(el, "presentationTimeOffset", path, ctx, True),
        index_range=_range(el, "indexRange", path),
        index_range_exact=_bool(el, "indexRangeExact"),
        initialization=init,
        representation_index=index,
        availability_time_offset=_float(el, "availabilityTimeOffset", path, ctx),
    )


_SEGMENT_PARSERS: dict[str, Callable[[Any, ElementPath, _Ctx], SegmentInfo]] = {
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
        name = _local_get(ch.tag) or _name(ch.tag)
        if name == "Period":
            n = len(periods)
            periods.append(_period(ch, (path, "Period", n + 1), ctx, n))
        elif name == "BaseURL":
            base_urls.append(_base_url(ch, (path, "BaseURL", 0), ctx))
        elif name == "Location":
            text = (ch.text or "").strip()
            if text:
                locations.append(text)
        elif name == "UTCTiming":
            utc.append(_descriptor(ch, ctx))
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
        min_buffer_time=_duration(el, "minBufferTime", path, ctx, False),
        media_presentation_duration=_duration(el, "mediaPresentationDuration", path, ctx),
        availability_start_time=_datetime(el, "availabilityStartTime", path, ctx),
        availability_end_time=_datetime(el, "availabilityEndTime", path, ctx),
        publish_time=_datetime(el, "publishTime", path, ctx),
        time_shift_buffer_depth=_duration(el, "timeShiftBufferDepth", path, ctx, False),
        suggested_presentation_delay=_duration(el, "suggestedPresentationDelay", path, ctx, False),
        minimum_update_period=_duration(el, "minimumUpdatePeriod", path, ctx, False),
        max_segment_duration=_duration(el, "maxSegmentDuration", path, ctx, False),
        base_urls=tuple(base_urls),
        locations=tuple(locations),
        utc_timings=tuple(utc),
        periods=tuple(periods),
        parse_warnings=tuple(ctx.warnings),
    )


def _event_stream(el: Any, path: ElementPath, ctx: _Ctx) -> EventStream:
    events: list[Event] = []
    for ch in el:
        if _name(ch.tag) == "Event":
            p: ElementPath = (path, "Event", len(events) + 1)
            data = ch.get("messageData")
            if data is None and (ch.text or "").strip():
                data = ch.text.strip()
            events.append(
                Event(
                    presentation_time=_int(ch, "presentationTime", p, ctx, False) or 0,
                    duration=_int(ch, "duration", p, ctx, False),
                    id=ch.get("id"),
                    message_data=data,
                )
            )
    return EventStream(
        scheme_id_uri=(el.get("schemeIdUri") or "").strip(),
        value=el.get("value"),
        timescale=_int(el, "timescale", path, ctx, False, 1) or 1,
        presentation_time_offset=_int(el, "presentationTimeOffset", path, ctx, False) or 0,
        events=tuple(events),
    )


def _period(el: Any, path: ElementPath, ctx: _Ctx, index: int = -1) -> Period:
    """``index``: the Period's position among the MPD's Periods (its raw-text key)."""
    base_urls: list[BaseUrl] = []
    sets: list[AdaptationSet] | None = None
    streams: list[EventStream] = []
    seg: SegmentInfo | None = None
    asset = None
    kids = [(ch, _local_get(ch.tag) or _name(ch.tag)) for ch in el]
    # Read before _serialized_key may clear them; checked after the children, as always.
    get = el.get
    period_id, start, duration = get("id"), get("start"), get("duration")
    href, actuate = _xlink(el, ctx)
    memo = ctx.period_memo
    key = memo.key(el, kids, index) if memo is not None else None
    new_snapshots: list[SetSnapshot | None] | None = None
    if memo is not None and key is not None:
        snapshots, text, owners = memo.lookup(key, index)
        if snapshots is not None:
            sets = sets_from_snapshots(snapshots)
            if text != memo.text:  # equal but for template attributes (manifest._spans)
                cut = index in memo.cut  # only the templates were left (manifest._spans)
                if cut:
                    if owners is None:
                        raise CutMiss
                    el_owners = owners
                else:
                    el_owners = _template_owners(el, kids)
                now = memo.text
                _own_templates(el, path, ctx, sets, (text, now), el_owners, kids if cut else None)
        elif memo.wants():
            new_snapshots = []
    if sets is None:
        sets = []
        for ch, name in kids:
            if name == "AdaptationSet":
                n = len(sets)
                p = (path, "AdaptationSet", n + 1)
                sets.append(_adaptation_set(ch, p, ctx, n, new_snapshots))
            elif name == "BaseURL":
                base_urls.append(_base_url(ch, (path, "BaseURL", 0), ctx))
            elif name in _SEGMENT_PARSERS:
                seg = _SEGMENT_PARSERS[name](ch, (path, name, 0), ctx)
            elif name == "EventStream":
                streams.append(_event_stream(ch, (path, "EventStream", len(streams) + 1), ctx))
            elif name == "AssetIdentifier":
                asset = _descriptor(ch, ctx)
        if memo is not None and key is not None and new_snapshots is not None:
            memo.store(key, new_snapshots, _template_owners(el, kids) if memo.cut else None)
    else:
        # A memo hit: the Period's only other children are BaseURLs (memo_eligible).
        base_urls = [_base_url(ch, (path, "BaseURL", 0), ctx) for ch, n in kids if n == "BaseURL"]
    if href:
        ctx.warn(WarningKind.UNRESOLVED_XLINK, path, f"xlink:href={href!r}", el.sourceline)
    return _new(
        Period,
        {
            "id": period_id,
            "start": _duration_of(start, el, "start", path, ctx),
            "duration": _duration_of(duration, el, "duration", path, ctx),
            "base_urls": tuple(base_urls),
            "segment_info": seg,
            "adaptation_sets": tuple(sets),
            "event_streams": tuple(streams) if streams else (),
            "asset_identifier": asset,
            "xlink_href": href,
            "xlink_actuate": actuate,
            "start_time": 0.0,
            "end_time": None,
        },
    )


def _own_templates(
    el: Any,
    path: ElementPath,
    ctx: _Ctx,
    sets: list[AdaptationSet],
    texts: tuple[Key, Key],
    owners: Owners,
    cut_kids: list[tuple[Any, str | None]] | None,
) -> None:
    """A memo hit whose key left the childless SegmentTemplates' attributes out
    (:mod:`manifest._spans`): each template written differently from the remembered
    Period's is parsed (and reports) at its own path, into its set or Representation.
    ``owners``: where each of the Period's childless templates sits (:func:`_template_owners`);
    ``texts``: the remembered Period's text and this one's; ``cut_kids``: the children of a
    cut Period (only its templates were left)."""
    before, now = texts
    assert isinstance(before, bytes) and isinstance(now, bytes)  # raw keys only
    changed, count = changed_templates(before, now)
    if cut_kids is not None:
        childless = [ch for ch, name in cut_kids if name == "SegmentTemplate" and not len(ch)]
    else:
        childless = [t for t in el.iter("{*}SegmentTemplate") if not len(t)]
    if len(owners) != len(childless):
        raise CutMiss  # a cut Period (only its templates left) unlike the remembered one
    if len(childless) != count:  # e.g. <SegmentTemplate ...></SegmentTemplate>: all of them
        changed = list(range(len(childless)))
    for j in changed:
        owner = owners[j]
        if owner is None:
            continue  # inside an element the parser does not read
        n, k = owner
        set_path = (path, "AdaptationSet", n + 1)
        if k < 0:
            t_path = (set_path, "SegmentTemplate", 0)
            sets[n].__dict__["segment_info"] = _changed_template(childless[j], t_path, ctx)
            continue
        rep_path = (set_path, "Representation", k + 1)
        rep = sets[n].representations[k]
        t_path = (rep_path, "SegmentTemplate", 0)
        rep.__dict__["segment_info"] = _changed_template(childless[j], t_path, ctx)


def _changed_template(el: Any, path: ElementPath, ctx: _Ctx) -> SegmentTemplate:
    """A childless template written unlike the remembered Period's: usually one of a kind
    (``startNumber`` going on from Period to Period), so the document's template cache
    (:func:`_segment_template`) is neither asked nor filled."""
    return _segment_template_of(el, el.items(), path, ctx)


def _template_owners(el: Any, kids: list[tuple[Any, str | None]]) -> Owners:
    """Where each childless SegmentTemplate of the Period ``el`` sits, in document order."""
    set_els = [ch for ch, name in kids if name == "AdaptationSet"]
    owners: list[tuple[int, int] | None] = []
    for t in el.iter("{*}SegmentTemplate"):
        if len(t):
            continue
        owner = t.getparent()
        if owner in set_els:
            owners.append((set_els.index(owner), -1))
            continue
        set_el = owner.getparent()
        if _name(owner.tag) != "Representation" or set_el not in set_els:
            owners.append(None)
            continue
        k = sum(
            1 for sib in owner.itersiblings(preceding=True) if _name(sib.tag) == "Representation"
        )
        owners.append((set_els.index(set_el), k))
    return tuple(owners)


_COMMON_DESCRIPTORS = {
    "Role": "roles",
    "Accessibility": "accessibility",
    "EssentialProperty": "essential_properties",
    "SupplementalProperty": "supplemental_properties",
    "AudioChannelConfiguration": "audio_channels",
    "InbandEventStream": "inband_event_streams",
}
_REP_DESCRIPTORS = {
    k: v for k, v in _COMMON_DESCRIPTORS.items() if v not in ("roles", "accessibility")
}


_AS_TEXT = {
    "id": "id",
    "contentType": "content_type",
    "mimeType": "mime_type",
    "codecs": "codecs",
    "frameRate": "frame_rate",
    "sar": "sar",
    "par": "par",
    "audioSamplingRate": "audio_sampling_rate",
    "segmentAlignment": "segment_alignment",
    "subsegmentAlignment": "subsegment_alignment",
}
_AS_INTS = {"group": "group", "width": "width", "height": "height"}
_AS_DEFAULTS: dict[str, Any] = {
    "id": None,
    "group": None,
    "content_type": None,
    "mime_type": None,
    "codecs": None,
    "lang": None,
    "width": None,
    "height": None,
    "frame_rate": None,
    "sar": None,
    "par": None,
    "audio_sampling_rate": None,
    "segment_alignment": None,
    "subsegment_alignment": None,
    "labels": (),
    "roles": (),
    "accessibility": (),
    "essential_properties": (),
    "supplemental_properties": (),
    "audio_channels": (),
    "inband_event_streams": (),
    "content_protection": (),
    "base_urls": (),
    "segment_info": None,
    "representations": (),
    "xlink_href": None,
    "xlink_actuate": None,
}


def _adaptation_set(
    el: Any,
    path: ElementPath,
    ctx: _Ctx,
    pos: int = -1,
    snapshots: list[SetSnapshot | None] | None = None,
) -> AdaptationSet:
    """``pos``: the set's position in its Period, for the repeated-set memo; ``snapshots``
    receives the set's parsed fields (None if it cannot be shared) for the Period memo.

    Multi-Period documents often repeat each AdaptationSet verbatim in every Period (only
    the Period's own BaseURL or timing changes). Serializing a set (lxml, C) costs a third
    of parsing it from Python, so a set equal byte for byte to the previous Period's set at
    the same position reuses that set's parsed fields. Only sets that parsed without a
    warning and hold no (element-bound, lazily decoded) SegmentTimeline are remembered, so
    a reused set raises and reports exactly what parsing it would. Documents whose sets
    differ stop comparing after ``_MEMO_MAX_MISSES`` misses.
    """
    memo = ctx.memo if pos >= 0 else None
    if memo is not None and not memo.compared(pos):
        memo = None  # this position changes every Period: stop serializing it
    blob = None
    if memo is not None and pos in memo.table and not (ctx.timeline_doc and _has_timeline(el)):
        # (a set with a timeline would serialize every S, and cannot be shared anyway)
        blob = subtree_text(el)
        reused = memo.find(pos, blob)
        if reused is not None:
            if snapshots is not None:
                snapshots.append(reused)
            return sets_from_snapshots((reused,))[0]
        if memo.exhausted:
            ctx.memo = memo = None
    warnings_before = len(ctx.warnings)
    timelines_before = ctx.timelines
    lists: dict[str, list[Any]] = {}
    reps: list[dict[str, Any]] = []
    seg: SegmentInfo | None = None
    rep_cache = ctx.representations
    for ch in el:
        name = _local_get(ch.tag) or _name(ch.tag)
        if name == "Representation":
            # Inlined fast path: a childless Representation whose attribute set parsed
            # cleanly before (the same rendition in an earlier Period).
            cached = None if len(ch) else rep_cache.get(tuple(ch.items()))
            if cached is None:
                reps.append(_representation(ch, (path, "Representation", len(reps) + 1), ctx))
            else:
                reps.append(cached.copy())
            continue
        if name in _COMMON_DESCRIPTORS:
            item: Any = _descriptor(ch, ctx)
            key = _COMMON_DESCRIPTORS[name]
        elif name == "ContentProtection":
            n = len(lists.get("content_protection", ())) + 1
            item = _content_protection(ch, (path, "ContentProtection", n), ctx)
            key = "content_protection"
        elif name in _SEGMENT_PARSERS:
            seg = _SEGMENT_PARSERS[name](ch, (path, name, 0), ctx)
            continue
        elif name == "BaseURL":
            item = _base_url(ch, (path, "BaseURL", 0), ctx)
            key = "base_urls"
        elif name == "Label":
            item = Label(text=(ch.text or "").strip(), id=ch.get("id"), lang=ch.get("lang"))
            key = "labels"
        else:
            continue
        found = lists.get(key)
        if found is None:
            lists[key] = [item]
        else:
            found.append(item)
    items = el.items()
    attr_key = tuple(items)
    cached_set = ctx.adaptation_sets.get(attr_key)
    if cached_set is None:
        # Equal attribute sets (the same set in the next Period) are read once, unless
        # they produced a warning: then each copy reports at its own path and line.
        before = len(ctx.warnings)
        cached_set = _adaptation_set_attributes(el, items, path, ctx)
        if len(ctx.warnings) == before:
            ctx.adaptation_sets[attr_key] = cached_set
    fields, label, inherit = cached_set
    aset = object.__new__(AdaptationSet)
    d = aset.__dict__
    d.update(fields)
    d["segment_info"] = seg
    if lists:
        for key, found_items in lists.items():
            d[key] = tuple(found_items)
        if label and not lists.get("labels"):
            d["labels"] = (Label(text=label.strip()),)  # @label: Label elements win
        extra = [(k, d[k]) for k in INHERITED_LISTS if d[k]]
        if extra:
            inherit = inherit + tuple(extra)
    elif label:
        d["labels"] = (Label(text=label.strip()),)
    # AdaptationSet -> Representation inheritance (manifest.link's rule, applied here
    # while the Representations are still plain dicts).
    out = []
    for rd in reps:
        for k, v in inherit:
            mine = rd[k]
            if mine is None or mine == ():
                rd[k] = v
        rep = object.__new__(Representation)
        object.__setattr__(rep, "__dict__", rd)
        out.append(rep)
    d["representations"] = tuple(out)
    if memo is not None or snapshots is not None:
        snapshot = None
        if len(ctx.warnings) == warnings_before and ctx.timelines == timelines_before:
            snapshot = (d.copy(), tuple(rd.copy() for rd in reps))
        if snapshots is not None:
            snapshots.append(snapshot)
        if memo is not None:  # (a set that cannot be shared is never serialized)
            text = "" if snapshot is None else subtree_text(el) if blob is None else blob
            memo.store(pos, text, snapshot)
    return aset


def _has_timeline(el: Any) -> bool:
    """A SegmentTimeline below ``el`` (lxml's C iteration; stops at the first)."""
    return next(el.iter("{*}SegmentTimeline"), None) is not None


def _adaptation_set_attributes(
    el: Any, items: list[tuple[str, str]], path: ElementPath, ctx: _Ctx
) -> _SetAttributes:
    """The attribute-derived fields (all others at their defaults), ``@label`` and the
    attribute-derived (field, value) pairs that Representations inherit."""
    d = _AS_DEFAULTS.copy()
    slow: list[str] | None = None
    lang = label = None
    other = False
    for key, v in items:
        field = _AS_TEXT.get(key)
        if field is not None:
            d[field] = v
        elif key in _AS_INTS:
            if len(v) < 19 and v.isdigit() and v.isascii():
                d[_AS_INTS[key]] = int(v)
            elif slow is None:
                slow = [key]
            else:
                slow.append(key)
        elif key == "lang":
            lang = v
        elif key == "label":
            label = v
        else:
            other = True  # xml:lang, xlink:href, foreign attributes
    if other:
        href, actuate = _xlink(el, ctx)
        if href:
            ctx.warn(WarningKind.UNRESOLVED_XLINK, path, f"xlink:href={href!r}", el.sourceline)
        d["xlink_href"] = href
        d["xlink_actuate"] = actuate
        d["lang"] = lang or el.get(XML_LANG)
    else:
        d["lang"] = lang or None
    if slow is not None:
        for key, field in _AS_INTS.items():
            if key in slow:
                d[field] = _int_checked(el, key, path, ctx, False, 0, el.get(key))
    inherit = tuple((k, v) for k in INHERITED_ATTRS if (v := d[k]) is not None)
    return d, label, inherit


_NO_CONTEXT = AddressingContext()

# Attribute -> field, for the two element types that make up most of a document. Their
# attributes are read in one ``el.items()`` call (one lxml call instead of ~17 ``get``s).
_REP_TEXT = {
    "id": "id",
    "codecs": "codecs",
    "mimeType": "mime_type",
    "frameRate": "frame_rate",
    "sar": "sar",
    "audioSamplingRate": "audio_sampling_rate",
    "dependencyId": "dependency_id",
}
_REP_INTS = {
    "bandwidth": "bandwidth",
    "width": "width",
    "height": "height",
    "qualityRanking": "quality_ranking",
    "startWithSAP": "start_with_sap",
}
_REP_DEFAULTS: dict[str, Any] = {
    "id": None,
    "bandwidth": None,
    "codecs": None,
    "mime_type": None,
    "width": None,
    "height": None,
    "frame_rate": None,
    "sar": None,
    "audio_sampling_rate": None,
    "audio_channels": (),
    "base_urls": (),
    "segment_info": None,
    "content_protection": (),
    "essential_properties": (),
    "supplemental_properties": (),
    "inband_event_streams": (),
    "quality_ranking": None,
    "dependency_id": None,
    "start_with_sap": None,
    "addressing": None,
    "base_url_candidates": (),
    "context": _NO_CONTEXT,
    "sidx": None,
}


def _representation(el: Any, path: ElementPath, ctx: _Ctx) -> dict[str, Any]:
    """The Representation's field dict (the AdaptationSet makes the object after inheritance)."""
    kids = _representation_children(el, path, ctx) if len(el) else None
    items = el.items()
    key = tuple(items)
    cached = ctx.representations.get(key)
    if cached is not None:
        # Same attributes as an earlier Representation that produced no warning.
        d = cached.copy()
    else:
        before = len(ctx.warnings)
        d = _representation_attributes(el, items, path, ctx)
        if len(ctx.warnings) == before:
            ctx.representations[key] = d.copy()
    if kids:
        d.update(kids)
    return d


def _representation_attributes(
    el: Any, items: list[tuple[str, str]], path: ElementPath, ctx: _Ctx
) -> dict[str, Any]:
    d = _REP_DEFAULTS.copy()
    slow: list[str] | None = None
    for key, v in items:
        field = _REP_TEXT.get(key)
        if field is not None:
            d[field] = v
            continue
        field = _REP_INTS.get(key)
        if field is not None:
            if len(v) < 19 and v.isdigit() and v.isascii():
                d[field] = int(v)
            elif slow is None:
                slow = [key]
            else:
                slow.append(key)
    if d["id"] is None:
        ctx.warn(WarningKind.MISSING_ATTRIBUTE, path, "@id missing", el.sourceline)
    if slow is not None and "bandwidth" in slow:
        d["bandwidth"] = _int_checked(el, "bandwidth", path, ctx, False, 0, el.get("bandwidth"))
    if d["bandwidth"] is None and el.get("bandwidth") is None:
        ctx.warn(WarningKind.MISSING_ATTRIBUTE, path, "@bandwidth missing", el.sourceline)
    if slow is not None:
        # Warnings in the order of the fields, whatever the attribute order.
        for key, field in _REP_INTS.items():
            if key in slow and key != "bandwidth":
                d[field] = _int_checked(el, key, path, ctx, False, 0, el.get(key))
    return d


def _representation_children(el: Any, path: ElementPath, ctx: _Ctx) -> dict[str, Any]:
    d: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for ch in el:
        name = _local_get(ch.tag) or _name(ch.tag)
        if name == "BaseURL":
            item: Any = _base_url(ch, (path, "BaseURL", 0), ctx)
            key = "base_urls"
        elif name in _SEGMENT_PARSERS:
            d["segment_info"] = _SEGMENT_PARSERS[name](ch, (path, name, 0), ctx)
            continue
        elif name == "ContentProtection":
            n = len(lists.get("content_protection", ())) + 1
            item = _content_protection(ch, (path, "ContentProtection", n), ctx)
            key = "content_protection"
        else:
            found_key = _REP_DESCRIPTORS.get(name)  # type: ignore[arg-type]
            if found_key is None:
                continue
            key = found_key
            item = _descriptor(ch, ctx)
        found = lists.get(key)
        if found is None:
            lists[key] = [item]
        else:
            found.append(item)
    for key, items in lists.items():
        d[key] = tuple(items)
    return d


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
        _period(el, ("Fragment", "Period", i + 1), ctx)
        for i, el in enumerate(_fragment_elements(data, "Period", max_bytes))
    ]


def parse_adaptation_set_fragment(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[AdaptationSet]:
    ctx = _Ctx(False)
    return [
        _adaptation_set(el, ("Fragment", "AdaptationSet", i + 1), ctx)
        for i, el in enumerate(_fragment_elements(data, "AdaptationSet", max_bytes))
    ]
