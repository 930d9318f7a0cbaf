"""The MPD model of a packaged title (``manifest.build`` values, written by ``manifest``).

Every path is relative to the MPD: ``$RepresentationID$/init.mp4`` and ``seg-$Number$.m4s``
(live profile), ``<id>.mp4`` with byte ranges (on-demand profile), ``<id>/tile-$Number$.jpg``
(thumbnail tiles), WebVTT sidecars as BaseURLs.
"""

from __future__ import annotations

from dataclasses import replace

from fake_backend.packager.on_demand import ON_DEMAND_PROFILE
from fake_backend.packager.packaged import PackagedTitle, PackagedTrack
from fake_backend.packager.thumbnails import THUMBNAIL_TILE_SCHEME
from manifest.build import (
    adaptation_set,
    audio_representation,
    mp4_protection,
    number_template,
    static_manifest,
    timeline_template,
    video_representation,
)
from manifest.model import (
    AdaptationSet,
    BaseUrl,
    ByteRange,
    ContentProtection,
    Descriptor,
    Label,
    Manifest,
    Representation,
    SegmentBase,
    SegmentTemplate,
    UrlRange,
)
from manifest.protection import CLEARKEY_SYSTEM_ID as DASHIF_CLEARKEY_SYSTEM_ID

__all__ = [
    "INIT_TEMPLATE",
    "MEDIA_TEMPLATE",
    "TILE_TEMPLATE",
    "build_manifest",
    "dashif_clearkey",
]

INIT_TEMPLATE = "$RepresentationID$/init.mp4"
MEDIA_TEMPLATE = "$RepresentationID$/seg-$Number$.m4s"
TILE_TEMPLATE = "$RepresentationID$/tile-$Number$.jpg"


def _video_set(
    video: list[PackagedTrack], fps: int, protection: tuple[ContentProtection, ...]
) -> AdaptationSet:
    """Every rung in one AdaptationSet (id 1), sharing the first rung's addressing."""
    reps = [
        _addressed(
            video_representation(
                t.id,
                bandwidth=t.bandwidth,
                codecs=t.codecs or "",
                width=t.width or 0,
                height=t.height or 0,
                frame_rate=str(t.frame_rate or fps),
            ),
            t,
        )
        for t in video
    ]
    return adaptation_set("video", reps, id="1", segment=_template(video[0]), protection=protection)


def _image_set(t: PackagedTrack, set_id: str) -> AdaptationSet:
    """A DASH-IF thumbnail tile set: one JPEG per tile, ``$Number$`` from 1."""
    rep = Representation(
        id=t.id,
        bandwidth=t.bandwidth,
        mime_type="image/jpeg",
        width=t.width,
        height=t.height,
        essential_properties=(Descriptor(THUMBNAIL_TILE_SCHEME, t.tile_grid),),
    )
    template = SegmentTemplate(
        media=TILE_TEMPLATE,
        timescale=1000,
        duration=round((t.tile_duration_s or 0) * 1000),
        start_number=1,
    )
    return adaptation_set("image", [rep], id=set_id, segment=template)


def _template(track: PackagedTrack) -> SegmentTemplate | None:
    """``$Number$`` with @duration when every segment has the same length, else a timeline;
    None for an on-demand track (its addressing is a SegmentBase on the Representation).

    A media time offset (the first segment's ``tfdt``) becomes ``presentationTimeOffset``.
    """
    if track.media_file is not None:
        return None
    durations = [i.duration for i in track.segment_info]
    first = track.segment_info[0].start
    if len(set(durations)) == 1:
        template = number_template(
            MEDIA_TEMPLATE, INIT_TEMPLATE, timescale=track.timescale, duration=durations[0]
        )
    else:
        template = timeline_template(
            MEDIA_TEMPLATE,
            INIT_TEMPLATE,
            timescale=track.timescale,
            durations=durations,
            start_time=first,
        )
    return replace(template, presentation_time_offset=first or None)


def _addressed(rep: Representation, track: PackagedTrack) -> Representation:
    """On-demand: the Representation's one file (BaseURL) and its SegmentBase ranges."""
    if track.media_file is None or track.init_range is None or track.index_range is None:
        return rep
    first = track.segment_info[0].start
    base = SegmentBase(
        timescale=track.timescale,
        presentation_time_offset=first or None,
        index_range=ByteRange(*track.index_range),
        initialization=UrlRange(range=ByteRange(*track.init_range)),
    )
    return replace(rep, base_urls=(BaseUrl(track.media_file),), segment_info=base)


def _protection(
    scheme: str, kid: bytes | None, license_url: str | None
) -> tuple[ContentProtection, ...]:
    if kid is None:
        return ()
    return (mp4_protection(scheme, kid), dashif_clearkey(license_url))


def dashif_clearkey(license_url: str | None) -> ContentProtection:
    """The ClearKey entry as DASH-IF IOP recommends: system ``e2719d58-...``, ``dashif:Laurl``.

    No ``cenc:pssh``: dash.js builds the key request from ``cenc:default_KID`` for this
    system id, and fails ("Error generating key request") when the entry names the W3C
    common system id with a pssh. The init segments keep their W3C common pssh box.
    """
    return ContentProtection(
        scheme_id_uri=f"urn:uuid:{DASHIF_CLEARKEY_SYSTEM_ID}",
        value="ClearKey1.0",
        license_urls=(license_url,) if license_url is not None else (),
    )


def _labelled(aset: AdaptationSet, label: str | None) -> AdaptationSet:
    return replace(aset, labels=(Label(label),)) if label else aset


def build_manifest(packaged: PackagedTitle, *, license_url: str | None = None) -> Manifest:
    """The static MPD model of a packaged title (one Period; numeric AdaptationSet ids).

    Video: one AdaptationSet with every rung. Audio: one AdaptationSet per track (``lang``,
    Role ``main`` for the first, ``dub`` for the others). Text: one per WebVTT sidecar
    (``text/vtt``, Role ``subtitle``, the file as the Representation's BaseURL).
    Every encrypted AdaptationSet carries the mp4protection entry (scheme +
    ``cenc:default_KID``) and the DASH-IF ClearKey entry (:func:`dashif_clearkey`).
    """
    spec = packaged.spec
    scheme = spec.scheme
    sets: list[AdaptationSet] = []
    video = [t for t in packaged.tracks if t.kind == "video"]
    if video:
        sets.append(_video_set(video, spec.fps, _protection(scheme, video[0].kid, license_url)))
    for n, t in enumerate(t for t in packaged.tracks if t.kind == "audio"):
        rep = _addressed(
            audio_representation(
                t.id,
                bandwidth=t.bandwidth,
                codecs=t.codecs or "",
                sampling_rate=t.sample_rate or 48_000,
                channels=t.channels or 2,
            ),
            t,
        )
        aset = adaptation_set(
            "audio",
            [rep],
            id=str(len(sets) + 1),
            lang=t.language,
            segment=_template(t),
            protection=_protection(scheme, t.kid, license_url),
            roles=("main" if n == 0 else "dub",),
        )
        sets.append(_labelled(aset, t.label))
    for t in (t for t in packaged.tracks if t.kind == "text"):
        rep = Representation(
            id=t.id,
            bandwidth=t.bandwidth,
            mime_type="text/vtt",
            base_urls=(BaseUrl(t.segments[0]),),
        )
        aset = adaptation_set(
            "text", [rep], id=str(len(sets) + 1), lang=t.language, roles=("subtitle",)
        )
        sets.append(_labelled(aset, t.label))
    for t in (t for t in packaged.tracks if t.kind == "image"):
        sets.append(_image_set(t, str(len(sets) + 1)))
    if any(t.media_file for t in packaged.tracks):
        return static_manifest(
            sets, duration=spec.duration_s, base_url="./", profiles=ON_DEMAND_PROFILE
        )
    return static_manifest(sets, duration=spec.duration_s, base_url="./")
