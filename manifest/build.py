"""Constructors for building a Manifest without parsing (the fake backend's packager).

Each helper returns plain model values; :func:`static_manifest` links the result so that
segment addressing works at once and ``write_mpd`` can serialise it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from manifest.link import link
from manifest.model import (
    MP4PROTECTION_SCHEME,
    AdaptationSet,
    BaseUrl,
    ContentProtection,
    Descriptor,
    Manifest,
    Period,
    Representation,
    SegmentTemplate,
    SegmentTimeline,
)
from manifest.protection import CLEARKEY_SYSTEM_ID, canonical_uuid

__all__ = [
    "adaptation_set",
    "audio_representation",
    "clearkey_protection",
    "mp4_protection",
    "number_template",
    "static_manifest",
    "text_representation",
    "timeline_template",
    "video_representation",
]

AUDIO_CHANNELS_SCHEME = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
ROLE_SCHEME = "urn:mpeg:dash:role:2011"
LIVE_PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"


def _kid_text(kid: str | bytes) -> str:
    text = kid.hex() if isinstance(kid, bytes) else kid
    canon = canonical_uuid(text)
    if canon is None:
        raise ValueError(f"not a 16-byte key id: {text!r}")
    return canon


def mp4_protection(scheme: str, default_kid: str | bytes) -> ContentProtection:
    """The ``urn:mpeg:dash:mp4protection:2011`` entry: scheme (cenc/cens/cbc1/cbcs) + KID."""
    if scheme not in ("cenc", "cens", "cbc1", "cbcs"):
        raise ValueError(f"unknown protection scheme {scheme!r}")
    return ContentProtection(
        scheme_id_uri=MP4PROTECTION_SCHEME, value=scheme, default_kid=_kid_text(default_kid)
    )


def clearkey_protection(
    license_url: str, *, default_kid: str | bytes | None = None, pssh: bytes | None = None
) -> ContentProtection:
    """The ClearKey system entry with its license server URL (written as ``dashif:Laurl``)."""
    return ContentProtection(
        scheme_id_uri=f"urn:uuid:{CLEARKEY_SYSTEM_ID}",
        value="ClearKey1.0",
        default_kid=_kid_text(default_kid) if default_kid is not None else None,
        pssh=pssh,
        license_urls=(license_url,),
    )


def number_template(
    media: str,
    initialization: str,
    *,
    timescale: int,
    duration: int,
    start_number: int = 1,
) -> SegmentTemplate:
    """``$Number$`` addressing with a constant segment duration (in ``timescale`` ticks)."""
    return SegmentTemplate(
        media=media,
        initialization=initialization,
        timescale=timescale,
        duration=duration,
        start_number=start_number,
    )


def timeline_template(
    media: str,
    initialization: str,
    *,
    timescale: int,
    durations: Sequence[int],
    start_time: int = 0,
    start_number: int = 1,
) -> SegmentTemplate:
    """SegmentTimeline addressing from per-segment durations (equal runs become ``@r``)."""
    entries: list[tuple[int | None, int, int]] = []
    for d in durations:
        if entries and entries[-1][1] == d:
            t, _, r = entries[-1]
            entries[-1] = (t, d, r + 1)
        else:
            entries.append((start_time if not entries else None, d, 0))
    return SegmentTemplate(
        media=media,
        initialization=initialization,
        timescale=timescale,
        start_number=start_number,
        timeline=SegmentTimeline.from_entries(entries),
    )


def video_representation(
    id: str,
    *,
    bandwidth: int,
    codecs: str,
    width: int,
    height: int,
    frame_rate: str | None = None,
    sar: str | None = "1:1",
    segment: SegmentTemplate | None = None,
) -> Representation:
    return Representation(
        id=id,
        bandwidth=bandwidth,
        codecs=codecs,
        mime_type="video/mp4",
        width=width,
        height=height,
        frame_rate=frame_rate,
        sar=sar,
        segment_info=segment,
    )


def audio_representation(
    id: str,
    *,
    bandwidth: int,
    codecs: str,
    sampling_rate: int,
    channels: int = 2,
    segment: SegmentTemplate | None = None,
) -> Representation:
    return Representation(
        id=id,
        bandwidth=bandwidth,
        codecs=codecs,
        mime_type="audio/mp4",
        audio_sampling_rate=str(sampling_rate),
        audio_channels=(Descriptor(AUDIO_CHANNELS_SCHEME, str(channels)),),
        segment_info=segment,
    )


def text_representation(
    id: str,
    *,
    bandwidth: int,
    codecs: str = "wvtt",
    mime_type: str = "application/mp4",
    segment: SegmentTemplate | None = None,
) -> Representation:
    return Representation(
        id=id, bandwidth=bandwidth, codecs=codecs, mime_type=mime_type, segment_info=segment
    )


def adaptation_set(
    content_type: str,
    representations: Iterable[Representation],
    *,
    id: str | None = None,
    mime_type: str | None = None,
    lang: str | None = None,
    segment: SegmentTemplate | None = None,
    protection: Iterable[ContentProtection] = (),
    roles: Iterable[str] = (),
) -> AdaptationSet:
    reps = tuple(representations)
    if mime_type is None and reps and all(r.mime_type == reps[0].mime_type for r in reps):
        mime_type = reps[0].mime_type
    return AdaptationSet(
        id=id,
        content_type=content_type,
        mime_type=mime_type,
        lang=lang,
        segment_info=segment,
        content_protection=tuple(protection),
        representations=reps,
        roles=tuple(Descriptor(ROLE_SCHEME, r) for r in roles),
        segment_alignment="true",
    )


def static_manifest(
    adaptation_sets: Iterable[AdaptationSet],
    *,
    duration: float,
    url: str = "",
    base_url: str | None = None,
    min_buffer_time: float = 2.0,
    profiles: str = LIVE_PROFILE,
    period_id: str = "0",
) -> Manifest:
    """A linked one-Period static MPD: the packager's usual output."""
    period = Period(id=period_id, start=0.0, adaptation_sets=tuple(adaptation_sets))
    return link(
        Manifest(
            url=url,
            type="static",
            profiles=profiles,
            min_buffer_time=min_buffer_time,
            media_presentation_duration=duration,
            base_urls=(BaseUrl(base_url),) if base_url else (),
            periods=(period,),
        )
    )
