"""Model -> MPD bytes. ``parse_mpd(write_mpd(m), m.url) == m`` for every linked model.

Used by the fake backend's packager, so it covers what a packager emits: static or dynamic
MPDs, any addressing mode, ContentProtection with ``cenc:default_KID``/``cenc:pssh`` and
``dashif:Laurl`` license URLs, BaseURLs with DVB priority/weight.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from lxml import etree

from manifest.isotime import format_datetime, format_duration
from manifest.link import link
from manifest.model import (
    AdaptationSet,
    BaseUrl,
    ContentProtection,
    Descriptor,
    EventStream,
    Manifest,
    Period,
    Representation,
    SegmentBase,
    SegmentInfo,
    SegmentList,
    SegmentTemplate,
    SegmentTimeline,
    UrlRange,
)

__all__ = ["write_mpd"]

MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
CENC_NS = "urn:mpeg:cenc:2013"
DVB_NS = "urn:dvb:dash:dash-extensions:2014-1"
XLINK_NS = "http://www.w3.org/1999/xlink"
DASHIF_NS = "https://dashif.org/CPS"
NSMAP = {None: MPD_NS, "cenc": CENC_NS, "dvb": DVB_NS, "xlink": XLINK_NS, "dashif": DASHIF_NS}


def _q(name: str) -> str:
    return f"{{{MPD_NS}}}{name}"


def _set(el: Any, name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = "INF" if math.isinf(value) else repr(value)
    else:
        text = str(value)
    el.set(name, text)


def _sub(parent: Any, name: str) -> Any:
    return etree.SubElement(parent, _q(name))


def write_mpd(manifest: Manifest, *, pretty: bool = True) -> bytes:
    """Serialise ``manifest`` (linked first, so hand-built models work too)."""
    m = link(manifest)
    root = etree.Element(_q("MPD"), nsmap=NSMAP)
    _set(root, "id", m.id)
    _set(root, "type", m.type)
    _set(root, "profiles", m.profiles)
    for name, value in (
        ("mediaPresentationDuration", m.media_presentation_duration),
        ("minBufferTime", m.min_buffer_time),
        ("timeShiftBufferDepth", m.time_shift_buffer_depth),
        ("suggestedPresentationDelay", m.suggested_presentation_delay),
        ("minimumUpdatePeriod", m.minimum_update_period),
        ("maxSegmentDuration", m.max_segment_duration),
    ):
        if value is not None:
            root.set(name, format_duration(value))
    for name, dt in (
        ("availabilityStartTime", m.availability_start_time),
        ("availabilityEndTime", m.availability_end_time),
        ("publishTime", m.publish_time),
    ):
        if dt is not None:
            root.set(name, format_datetime(dt))
    _base_urls(root, m.base_urls)
    for loc in m.locations:
        _sub(root, "Location").text = loc
    for p in m.periods:
        _period(root, p)
    for d in m.utc_timings:
        _descriptor(root, "UTCTiming", d)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def _base_urls(parent: Any, urls: tuple[BaseUrl, ...]) -> None:
    for b in urls:
        el = _sub(parent, "BaseURL")
        _set(el, "serviceLocation", b.service_location)
        _set(el, f"{{{DVB_NS}}}priority", b.priority)
        _set(el, f"{{{DVB_NS}}}weight", b.weight)
        _set(el, "availabilityTimeOffset", b.availability_time_offset)
        _set(el, "availabilityTimeComplete", b.availability_time_complete)
        el.text = b.url


def _descriptor(parent: Any, name: str, d: Descriptor) -> None:
    el = _sub(parent, name)
    _set(el, "schemeIdUri", d.scheme_id_uri)
    _set(el, "value", d.value)
    _set(el, "id", d.id)


def _descriptors(parent: Any, name: str, items: tuple[Descriptor, ...]) -> None:
    for d in items:
        _descriptor(parent, name, d)


def _protection(parent: Any, items: tuple[ContentProtection, ...]) -> None:
    for c in items:
        el = _sub(parent, "ContentProtection")
        _set(el, "schemeIdUri", c.scheme_id_uri)
        _set(el, "value", c.value)
        _set(el, "robustness", c.robustness)
        _set(el, "refId", c.ref_id)
        _set(el, f"{{{CENC_NS}}}default_KID", c.default_kid)
        if c.pssh is not None:
            etree.SubElement(el, f"{{{CENC_NS}}}pssh").text = base64.b64encode(c.pssh).decode()
        for url in c.license_urls:
            etree.SubElement(el, f"{{{DASHIF_NS}}}Laurl").text = url


def _url_range(parent: Any, name: str, u: UrlRange | None) -> None:
    if u is None:
        return
    el = _sub(parent, name)
    _set(el, "sourceURL", u.source_url)
    _set(el, "range", str(u.range) if u.range else None)


def _timeline(parent: Any, tl: SegmentTimeline) -> None:
    el = _sub(parent, "SegmentTimeline")
    end = None
    for (t, d, r), n, k in zip(tl.entries, tl.numbers, tl.subsegments, strict=True):
        s = etree.SubElement(el, _q("S"))
        if t != end:
            s.set("t", str(t))
        if n is not None:
            s.set("n", str(n))
        s.set("d", str(d))
        if r:
            s.set("r", str(r))
        if k is not None:
            s.set("k", str(k))
        end = None if r == -1 else t + (r + 1) * d


def _segment_info(parent: Any, info: SegmentInfo | None) -> None:
    if info is None:
        return
    if isinstance(info, SegmentBase):
        el = _sub(parent, "SegmentBase")
        _set(el, "timescale", info.timescale)
        _set(el, "presentationTimeOffset", info.presentation_time_offset)
        _set(el, "indexRange", str(info.index_range) if info.index_range else None)
        _set(el, "indexRangeExact", info.index_range_exact)
        _set(el, "availabilityTimeOffset", info.availability_time_offset)
        _url_range(el, "Initialization", info.initialization)
        _url_range(el, "RepresentationIndex", info.representation_index)
        return
    name = "SegmentTemplate" if isinstance(info, SegmentTemplate) else "SegmentList"
    el = _sub(parent, name)
    if isinstance(info, SegmentTemplate):
        _set(el, "media", info.media)
        _set(el, "initialization", info.initialization)
        _set(el, "index", info.index)
        _set(el, "bitstreamSwitching", info.bitstream_switching)
        _set(el, "endNumber", info.end_number)
        _set(el, "availabilityTimeComplete", info.availability_time_complete)
    _set(el, "timescale", info.timescale)
    _set(el, "duration", info.duration)
    _set(el, "startNumber", info.start_number)
    _set(el, "presentationTimeOffset", info.presentation_time_offset)
    _set(el, "availabilityTimeOffset", info.availability_time_offset)
    if isinstance(info, SegmentList):
        _url_range(el, "Initialization", info.initialization)
    if info.timeline is not None:
        _timeline(el, info.timeline)
    if isinstance(info, SegmentList):
        for su in info.segment_urls:
            s = _sub(el, "SegmentURL")
            _set(s, "media", su.media)
            _set(s, "mediaRange", str(su.media_range) if su.media_range else None)
            _set(s, "index", su.index)
            _set(s, "indexRange", str(su.index_range) if su.index_range else None)


def _event_stream(parent: Any, s: EventStream) -> None:
    el = _sub(parent, "EventStream")
    _set(el, "schemeIdUri", s.scheme_id_uri)
    _set(el, "value", s.value)
    _set(el, "timescale", s.timescale)
    if s.presentation_time_offset:
        _set(el, "presentationTimeOffset", s.presentation_time_offset)
    for e in s.events:
        ev = _sub(el, "Event")
        _set(ev, "presentationTime", e.presentation_time)
        _set(ev, "duration", e.duration)
        _set(ev, "id", e.id)
        _set(ev, "messageData", e.message_data)


def _xlink(el: Any, href: str | None, actuate: str | None) -> None:
    _set(el, f"{{{XLINK_NS}}}href", href)
    _set(el, f"{{{XLINK_NS}}}actuate", actuate)


def _period(root: Any, p: Period) -> None:
    el = _sub(root, "Period")
    _set(el, "id", p.id)
    if p.start is not None:
        el.set("start", format_duration(p.start))
    if p.duration is not None:
        el.set("duration", format_duration(p.duration))
    _xlink(el, p.xlink_href, p.xlink_actuate)
    _base_urls(el, p.base_urls)
    _segment_info(el, p.segment_info)
    if p.asset_identifier is not None:
        _descriptor(el, "AssetIdentifier", p.asset_identifier)
    for s in p.event_streams:
        _event_stream(el, s)
    for a in p.adaptation_sets:
        _adaptation_set(el, a)


def _adaptation_set(parent: Any, a: AdaptationSet) -> None:
    el = _sub(parent, "AdaptationSet")
    for name, value in (
        ("id", a.id),
        ("group", a.group),
        ("contentType", a.content_type),
        ("mimeType", a.mime_type),
        ("codecs", a.codecs),
        ("lang", a.lang),
        ("width", a.width),
        ("height", a.height),
        ("frameRate", a.frame_rate),
        ("sar", a.sar),
        ("par", a.par),
        ("audioSamplingRate", a.audio_sampling_rate),
        ("segmentAlignment", a.segment_alignment),
        ("subsegmentAlignment", a.subsegment_alignment),
    ):
        _set(el, name, value)
    _xlink(el, a.xlink_href, a.xlink_actuate)
    _descriptors(el, "AudioChannelConfiguration", a.audio_channels)
    _protection(el, a.content_protection)
    _descriptors(el, "EssentialProperty", a.essential_properties)
    _descriptors(el, "SupplementalProperty", a.supplemental_properties)
    _descriptors(el, "InbandEventStream", a.inband_event_streams)
    for lb in a.labels:
        lel = _sub(el, "Label")
        _set(lel, "id", lb.id)
        _set(lel, "lang", lb.lang)
        lel.text = lb.text
    _descriptors(el, "Accessibility", a.accessibility)
    _descriptors(el, "Role", a.roles)
    _base_urls(el, a.base_urls)
    _segment_info(el, a.segment_info)
    for r in a.representations:
        _representation(el, r, a)


def _representation(parent: Any, r: Representation, a: AdaptationSet) -> None:
    el = _sub(parent, "Representation")

    def own(name: str) -> Any:
        """Write a value only where it differs from what the set would pass down."""
        mine = getattr(r, name)
        return None if mine == getattr(a, name) else mine

    _set(el, "id", r.id)
    _set(el, "bandwidth", r.bandwidth)
    _set(el, "codecs", own("codecs"))
    _set(el, "mimeType", own("mime_type"))
    _set(el, "width", own("width"))
    _set(el, "height", own("height"))
    _set(el, "frameRate", own("frame_rate"))
    _set(el, "sar", own("sar"))
    _set(el, "audioSamplingRate", own("audio_sampling_rate"))
    _set(el, "qualityRanking", r.quality_ranking)
    _set(el, "dependencyId", r.dependency_id)
    _set(el, "startWithSAP", r.start_with_sap)
    _descriptors(el, "AudioChannelConfiguration", own("audio_channels") or ())
    _protection(el, own("content_protection") or ())
    _descriptors(el, "EssentialProperty", own("essential_properties") or ())
    _descriptors(el, "SupplementalProperty", own("supplemental_properties") or ())
    _descriptors(el, "InbandEventStream", own("inband_event_streams") or ())
    _base_urls(el, r.base_urls)
    _segment_info(el, r.segment_info)
