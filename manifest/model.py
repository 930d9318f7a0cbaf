"""The immutable MPD model: frozen dataclasses from MPD down to segment addressing.

Fields hold the element's own values as written; a few are *derived* when the model is
linked (see :mod:`manifest.link`): effective attributes inherited from the AdaptationSet,
the merged segment addressing, ranked BaseURL candidates and the period timing. Times are
seconds (float) unless a name says ``ticks``; datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.timeline import SegmentTimeline

if TYPE_CHECKING:
    from manifest.addressing import SegmentIndex

__all__ = [
    "MP4PROTECTION_SCHEME",
    "AdaptationSet",
    "AddressingContext",
    "BaseUrl",
    "ByteRange",
    "ContentProtection",
    "Descriptor",
    "Event",
    "EventStream",
    "InitRef",
    "Label",
    "Manifest",
    "Period",
    "Representation",
    "SegmentBase",
    "SegmentInfo",
    "SegmentList",
    "SegmentRef",
    "SegmentTemplate",
    "SegmentTimeline",
    "SegmentUrl",
    "SidxReference",
    "UrlCandidate",
    "UrlRange",
]

MP4PROTECTION_SCHEME = "urn:mpeg:dash:mp4protection:2011"
_T = TypeVar("_T")


class ByteRange(NamedTuple):
    """Inclusive byte range ``first-last`` as in HTTP Range and MPD ``@mediaRange``."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"

    def header(self) -> str:
        """The HTTP ``Range`` header value."""
        return f"bytes={self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class Descriptor:
    """DescriptorType: Role, Accessibility, Essential/SupplementalProperty, UTCTiming, ..."""

    scheme_id_uri: str
    value: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    text: str
    id: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class BaseUrl:
    """One ``BaseURL`` element as written (possibly relative)."""

    url: str
    service_location: str | None = None
    priority: int | None = None
    weight: int | None = None
    availability_time_offset: float | None = None
    availability_time_complete: bool | None = None


@dataclass(frozen=True, slots=True)
class UrlCandidate:
    """A resolved, absolute base location; several make a ranked failover list (DVB-DASH 10.8).

    Lower ``priority`` is preferred; ``weight`` splits load between equal priorities.
    """

    url: str
    service_location: str | None = None
    priority: int = 1
    weight: int = 1
    availability_time_offset: float = 0.0


@dataclass(frozen=True, slots=True)
class ContentProtection:
    """A ContentProtection descriptor: mp4protection scheme or a DRM system entry."""

    scheme_id_uri: str
    value: str | None = None
    default_kid: str | None = None
    """Canonical lower-case UUID text (with dashes) of ``cenc:default_KID``."""
    pssh: bytes | None = None
    """The decoded ``cenc:pssh`` box."""
    license_urls: tuple[str, ...] = ()
    robustness: str | None = None
    ref_id: str | None = None

    @property
    def is_mp4protection(self) -> bool:
        return self.scheme_id_uri.lower() == MP4PROTECTION_SCHEME

    @property
    def scheme(self) -> str | None:
        """``cenc``/``cens``/``cbc1``/``cbcs`` for the mp4protection entry, else None."""
        return self.value.strip().lower() if self.is_mp4protection and self.value else None

    @property
    def system_id(self) -> str | None:
        """The DRM system UUID (lower case) of a ``urn:uuid:`` scheme."""
        s = self.scheme_id_uri.strip().lower()
        return s[9:] if s.startswith("urn:uuid:") else None

    @property
    def default_kid_bytes(self) -> bytes | None:
        return bytes.fromhex(self.default_kid.replace("-", "")) if self.default_kid else None

    @property
    def license_url(self) -> str | None:
        return self.license_urls[0] if self.license_urls else None


@dataclass(frozen=True, slots=True)
class Event:
    presentation_time: int = 0
    duration: int | None = None
    id: str | None = None
    message_data: str | None = None


@dataclass(frozen=True, slots=True)
class EventStream:
    scheme_id_uri: str
    value: str | None = None
    timescale: int = 1
    presentation_time_offset: int = 0
    events: tuple[Event, ...] = ()

    def event_time(self, event: Event) -> float:
        """Seconds from the Period start at which ``event`` is presented."""
        return (event.presentation_time - self.presentation_time_offset) / self.timescale


@dataclass(frozen=True, slots=True)
class UrlRange:
    """``Initialization``/``RepresentationIndex``: an optional URL and byte range."""

    source_url: str | None = None
    range: ByteRange | None = None


@dataclass(frozen=True, slots=True)
class SegmentUrl:
    media: str | None = None
    media_range: ByteRange | None = None
    index: str | None = None
    index_range: ByteRange | None = None


def evolve(obj: _T, changes: dict[str, object]) -> _T:
    """``dataclasses.replace`` without re-running ``__init__`` (10x cheaper when linking).

    Only for the dict-based model classes (Representation, AdaptationSet, Period,
    Manifest); cached segment indexes are dropped because they depend on the fields.
    """
    new = object.__new__(type(obj))
    d = new.__dict__
    d.update(obj.__dict__)
    d.pop("_static_index", None)
    d.update(changes)
    return new


_DEFAULTS: dict[type, dict[str, object]] = {}


def build(cls: type[_T], values: dict[str, object]) -> _T:
    """Construct a dict-based model instance from ``values`` plus field defaults.

    The parser's fast path: a frozen dataclass ``__init__`` with 28 fields costs ~7 us
    because every field goes through ``object.__setattr__``; this costs well under 1 us.
    Only for classes whose fields all have plain defaults and no ``__post_init__``.
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = {f.name: f.default for f in fields(cls)}  # type: ignore[arg-type]
        _DEFAULTS[cls] = defaults
    new = object.__new__(cls)
    d = new.__dict__
    d.update(defaults)
    d.update(values)
    return new


def _merge(child: object, parent: object | None) -> object:
    """Child attributes override the parent's; unset (None/empty) ones are inherited."""
    if parent is None or type(parent) is not type(child):
        return child
    changes = {}
    for f in fields(child):  # type: ignore[arg-type]
        mine = getattr(child, f.name)
        if mine is None or mine == ():
            theirs = getattr(parent, f.name)
            if theirs is not None and theirs != ():
                changes[f.name] = theirs
    return replace(child, **changes) if changes else child  # type: ignore[type-var]


@dataclass(frozen=True, slots=True)
class SegmentBase:
    """SegmentBase: one resource, segments found through its ``sidx`` (indexRange)."""

    timescale: int | None = None
    presentation_time_offset: int | None = None
    index_range: ByteRange | None = None
    index_range_exact: bool | None = None
    initialization: UrlRange | None = None
    representation_index: UrlRange | None = None
    availability_time_offset: float | None = None

    def merged_over(self, parent: SegmentInfo | None) -> SegmentBase:
        return _merge(self, parent)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class SegmentList:
    """SegmentList: explicit SegmentURLs, timed by @duration or a SegmentTimeline."""

    timescale: int | None = None
    duration: int | None = None
    start_number: int | None = None
    presentation_time_offset: int | None = None
    initialization: UrlRange | None = None
    segment_urls: tuple[SegmentUrl, ...] = ()
    timeline: SegmentTimeline | None = None
    availability_time_offset: float | None = None

    def merged_over(self, parent: SegmentInfo | None) -> SegmentList:
        return _merge(self, parent)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class SegmentTemplate:
    """SegmentTemplate: ``$Number$``/``$Time$`` URLs from @duration or a SegmentTimeline."""

    media: str | None = None
    initialization: str | None = None
    index: str | None = None
    bitstream_switching: str | None = None
    timescale: int | None = None
    duration: int | None = None
    start_number: int | None = None
    end_number: int | None = None
    presentation_time_offset: int | None = None
    availability_time_offset: float | None = None
    availability_time_complete: bool | None = None
    timeline: SegmentTimeline | None = None

    def merged_over(self, parent: SegmentInfo | None) -> SegmentTemplate:
        return _merge(self, parent)  # type: ignore[return-value]


SegmentInfo = SegmentBase | SegmentList | SegmentTemplate


@dataclass(frozen=True, slots=True)
class AddressingContext:
    """What segment addressing needs from above the Representation (derived when linking)."""

    period_start: float = 0.0
    period_duration: float | None = None
    dynamic: bool = False
    availability_start_time: datetime | None = None
    time_shift_buffer_depth: float | None = None


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """One media segment: where to fetch it and which presentation time it covers.

    ``start`` is on the MPD timeline (seconds since the first Period start, or since
    availabilityStartTime for live); ``time`` is the media time in ``timescale`` ticks
    (the ``$Time$`` value). ``path`` is the unresolved URL so that any BaseURL candidate
    can be used for failover; ``url`` is resolved against the best candidate.
    """

    number: int
    position: int
    start: float
    duration: float
    time: int
    timescale: int
    url: str
    path: str
    byte_range: ByteRange | None = None

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class InitRef:
    """The initialization segment: URL (resolved and as written) and optional byte range."""

    url: str
    path: str
    byte_range: ByteRange | None = None


@dataclass(frozen=True, slots=True)
class SidxReference:
    """One ``sidx`` reference in absolute bytes and timescale ticks."""

    first_byte: int
    last_byte: int
    time: int
    duration: int
    timescale: int
    reference_type: int = 0
    starts_with_sap: bool = True


@dataclass(frozen=True)
class Representation:
    id: str | None = None
    bandwidth: int | None = None
    codecs: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    sar: str | None = None
    audio_sampling_rate: str | None = None
    audio_channels: tuple[Descriptor, ...] = ()
    base_urls: tuple[BaseUrl, ...] = ()
    segment_info: SegmentInfo | None = None
    content_protection: tuple[ContentProtection, ...] = ()
    essential_properties: tuple[Descriptor, ...] = ()
    supplemental_properties: tuple[Descriptor, ...] = ()
    inband_event_streams: tuple[Descriptor, ...] = ()
    quality_ranking: int | None = None
    dependency_id: str | None = None
    start_with_sap: int | None = None
    # ---- derived by manifest.link
    addressing: SegmentInfo | None = None
    base_url_candidates: tuple[UrlCandidate, ...] = ()
    context: AddressingContext = AddressingContext()
    sidx: tuple[SidxReference, ...] | None = None

    # Segment addressing lives in manifest.addressing; these delegate to it.
    @cached_property
    def _static_index(self) -> SegmentIndex:
        from manifest.addressing import build_index

        return build_index(self, None)

    def index(self, now: datetime | None = None) -> SegmentIndex:
        """The lazy segment index; ``now`` bounds open-ended live timelines."""
        if now is None or not self.context.dynamic:
            return self._static_index
        from manifest.addressing import build_index

        return build_index(self, now)

    def segment_count(self, now: datetime | None = None) -> int:
        return len(self.index(now))

    def segment_at(self, time: float, now: datetime | None = None) -> SegmentRef:
        """The segment covering MPD-timeline ``time`` (O(log n)); in a gap, the next one."""
        return self.index(now).at_time(time)

    def segments(self, now: datetime | None = None) -> Iterator[SegmentRef]:
        """Iterate references lazily, in order."""
        return iter(self.index(now))

    def init_segment(self) -> InitRef | None:
        from manifest.addressing import init_ref

        return init_ref(self)

    def with_sidx(self, data: bytes, *, data_offset: int | None = None) -> Representation:
        """A copy whose SegmentBase segments come from the ``sidx`` in ``data``.

        ``data`` are the bytes fetched for ``indexRange`` (or any range containing the
        sidx box); ``data_offset`` is where they start in the resource (default: the
        indexRange start).
        """
        from manifest.sidx import parse_sidx

        info = self.addressing
        if data_offset is None:
            rng = info.index_range if isinstance(info, SegmentBase) else None
            data_offset = rng.first if rng is not None else 0
        return replace(self, sidx=parse_sidx(data, data_offset=data_offset))

    @property
    def primary_base_url(self) -> str:
        return self.base_url_candidates[0].url if self.base_url_candidates else ""


@dataclass(frozen=True)
class AdaptationSet:
    id: str | None = None
    group: int | None = None
    content_type: str | None = None
    mime_type: str | None = None
    codecs: str | None = None
    lang: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    sar: str | None = None
    par: str | None = None
    audio_sampling_rate: str | None = None
    segment_alignment: str | None = None
    subsegment_alignment: str | None = None
    labels: tuple[Label, ...] = ()
    roles: tuple[Descriptor, ...] = ()
    accessibility: tuple[Descriptor, ...] = ()
    essential_properties: tuple[Descriptor, ...] = ()
    supplemental_properties: tuple[Descriptor, ...] = ()
    audio_channels: tuple[Descriptor, ...] = ()
    inband_event_streams: tuple[Descriptor, ...] = ()
    content_protection: tuple[ContentProtection, ...] = ()
    base_urls: tuple[BaseUrl, ...] = ()
    segment_info: SegmentInfo | None = None
    representations: tuple[Representation, ...] = ()
    xlink_href: str | None = None
    xlink_actuate: str | None = None

    @property
    def kind(self) -> str | None:
        """contentType, or the top-level mime type (video/audio/text/image)."""
        if self.content_type:
            return self.content_type
        mime = self.mime_type or next(
            (r.mime_type for r in self.representations if r.mime_type), None
        )
        if mime is None:
            return None
        top = mime.split("/", 1)[0]
        return "text" if mime in ("application/ttml+xml", "application/mp4") and top else top


@dataclass(frozen=True)
class Period:
    id: str | None = None
    start: float | None = None
    duration: float | None = None
    base_urls: tuple[BaseUrl, ...] = ()
    segment_info: SegmentInfo | None = None
    adaptation_sets: tuple[AdaptationSet, ...] = ()
    event_streams: tuple[EventStream, ...] = ()
    asset_identifier: Descriptor | None = None
    xlink_href: str | None = None
    xlink_actuate: str | None = None
    # ---- derived by manifest.link
    start_time: float = 0.0
    """Effective start on the MPD timeline (inferred when @start is absent)."""
    end_time: float | None = None
    """Effective end (next Period start, or mediaPresentationDuration), None if open."""

    @property
    def effective_duration(self) -> float | None:
        return None if self.end_time is None else self.end_time - self.start_time


@dataclass(frozen=True)
class Manifest:
    url: str = ""
    type: str = "static"
    id: str | None = None
    profiles: str | None = None
    min_buffer_time: float | None = None
    media_presentation_duration: float | None = None
    availability_start_time: datetime | None = None
    availability_end_time: datetime | None = None
    publish_time: datetime | None = None
    time_shift_buffer_depth: float | None = None
    suggested_presentation_delay: float | None = None
    minimum_update_period: float | None = None
    max_segment_duration: float | None = None
    base_urls: tuple[BaseUrl, ...] = ()
    locations: tuple[str, ...] = ()
    utc_timings: tuple[Descriptor, ...] = ()
    periods: tuple[Period, ...] = ()
    parse_warnings: tuple[ManifestWarning, ...] = field(default=(), compare=False)

    @property
    def is_dynamic(self) -> bool:
        return self.type == "dynamic"

    @property
    def warnings(self) -> tuple[ManifestWarning, ...]:
        """Parse warnings plus timeline gaps/overlaps (decodes lazy timelines).

        Never raises: a timeline that cannot be decoded is listed here as INVALID_VALUE and
        raises its typed error where segments are asked for.
        """
        from manifest.errors import ManifestError

        seen: set[int] = set()
        extra: list[ManifestWarning] = []
        for rep in self.representations():
            tl = getattr(rep.addressing, "timeline", None)
            if tl is not None and id(tl) not in seen:
                seen.add(id(tl))
                try:
                    extra.extend(tl.warnings)
                except ManifestError as exc:
                    path = getattr(exc, "path", "SegmentTimeline")
                    line = getattr(exc, "line", None)
                    extra.append(ManifestWarning(WarningKind.INVALID_VALUE, path, str(exc), line))
        return self.parse_warnings + tuple(extra)

    def representations(self) -> Iterator[Representation]:
        for p in self.periods:
            for a in p.adaptation_sets:
                yield from a.representations

    @property
    def unresolved_xlinks(self) -> tuple[tuple[str, str], ...]:
        """(element path, href) of every remote Period/AdaptationSet still to resolve."""
        out = []
        for i, p in enumerate(self.periods):
            if p.xlink_href:
                out.append((f"MPD/Period[{i + 1}]", p.xlink_href))
            for j, a in enumerate(p.adaptation_sets):
                if a.xlink_href:
                    out.append((f"MPD/Period[{i + 1}]/AdaptationSet[{j + 1}]", a.xlink_href))
        return tuple(out)
