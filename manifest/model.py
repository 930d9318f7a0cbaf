"""The immutable MPD model: frozen dataclasses from MPD down to segment addressing.

Fields hold the element's own values as written; a few are *derived* when the model is
linked (see :mod:`manifest.link`): effective attributes inherited from the AdaptationSet,
the merged segment addressing, ranked BaseURL candidates and the period timing. Times are
seconds (float) unless a name says ``ticks``; datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

from manifest.addressing import SegmentIndex, build_index, init_ref
from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.values import (
    MP4PROTECTION_SCHEME,
    AddressingContext,
    BaseUrl,
    ByteRange,
    ContentProtection,
    Descriptor,
    Event,
    EventStream,
    InitRef,
    Label,
    SegmentBase,
    SegmentInfo,
    SegmentList,
    SegmentRef,
    SegmentTemplate,
    SegmentTimeline,
    SegmentUrl,
    SidxReference,
    UrlCandidate,
    UrlRange,
)

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
    context: AddressingContext = AddressingContext()  # noqa: RUF009 - frozen
    sidx: tuple[SidxReference, ...] | None = None

    # Segment addressing lives in manifest.addressing; these delegate to it.
    @cached_property
    def _static_index(self) -> SegmentIndex:
        return build_index(self, None)

    def index(self, now: datetime | None = None) -> SegmentIndex:
        """The lazy segment index; ``now`` bounds open-ended live timelines."""
        if now is None or not self.context.dynamic:
            return self._static_index
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
