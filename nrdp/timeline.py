"""The presentation timeline of an on-demand MPD: its Periods back to back, each with the
tracks this device plays (pure: values in, values out; no I/O, no clock).

A Period's segments are on the MPD timeline already (``SegmentRef.start`` includes the
Period start and the ``presentationTimeOffset``), but decoded frames carry *media* time
(``tfdt`` / timescale); :func:`media_offset` is what turns one into the other. Tracks are
selected per Period, so the ladder may change at a boundary; a Period the device cannot
play is a typed :class:`~nrdp.errors.NoPlayableTrack` when the timeline is built (before
any media request), never a silent end after the Period before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from drm import find_pssh
from manifest.model import Manifest, Period, Representation
from mediacore.errors import SdkError
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack
from nrdp.scheduler.tracks import TrackCatalog, TrackChoice, catalog_tracks, select_tracks

__all__ = [
    "PeriodPlan",
    "manifest_kids",
    "media_offset",
    "next_period",
    "period_at",
    "period_plans",
    "relative_path",
]

EPSILON = 1e-6


@dataclass(frozen=True)
class PeriodPlan:
    """One Period to play: where it sits on the MPD timeline and its chosen tracks."""

    index: int
    id: str | None
    start: float
    end: float | None
    tracks: tuple[TrackChoice, ...]
    catalog: TrackCatalog = field(default_factory=TrackCatalog)

    @property
    def key(self) -> str:
        """A prefix that keeps representation ids apart between Periods (they may repeat)."""
        return f"p{self.index}"

    def with_tracks(self, tracks: tuple[TrackChoice, ...]) -> PeriodPlan:
        return replace(self, tracks=tracks)


def _one_period(manifest: Manifest, period: Period) -> Manifest:
    return replace(manifest, periods=(period,))


def period_plans(
    manifest: Manifest,
    caps: DeviceCapabilities,
    *,
    max_height: int | None = None,
    language: str | None = None,
) -> tuple[PeriodPlan, ...]:
    """Every Period with the tracks to play; raises for the first one that cannot play."""
    if not manifest.periods:
        raise NoPlayableTrack(track="any", reason="the manifest has no period")
    plans: list[PeriodPlan] = []
    for i, period in enumerate(manifest.periods):
        if period.xlink_href:
            raise NoPlayableTrack(track="any", reason=f"period {i + 1} is an unresolved xlink")
        if period.end_time is not None and period.end_time - period.start_time <= EPSILON:
            continue  # an empty Period (e.g. resolved to zero) plays nothing
        one = _one_period(manifest, period)
        try:
            catalog = catalog_tracks(one, caps)
            audio = catalog.preferred_audio(language)
            tracks = select_tracks(
                one,
                caps,
                max_height=max_height,
                language=language,
                audio_id=audio.info.id if audio is not None else None,
            )
        except NoPlayableTrack as err:
            label = period.id or str(i + 1)
            raise NoPlayableTrack(track=err.track, reason=f"period {label}: {err.reason}") from err
        plans.append(
            PeriodPlan(len(plans), period.id, period.start_time, period.end_time, tracks, catalog)
        )
    if not plans:
        raise NoPlayableTrack(track="any", reason="every period is empty")
    return tuple(plans)


def period_at(periods: Sequence[PeriodPlan], position: float) -> int:
    """Index of the Period that holds ``position`` (before the first: 0; after the last
    Period's end: the last)."""
    found = 0
    for i, p in enumerate(periods):
        if p.start <= position + EPSILON:
            found = i
    return found


def next_period(periods: Sequence[PeriodPlan], current: int) -> int | None:
    """The Period played after ``current``, or ``None`` at the end of the presentation."""
    return current + 1 if current + 1 < len(periods) else None


def media_offset(rep: Representation) -> float:
    """Seconds to add to a decoded frame's media time to put it on the MPD timeline:
    ``Period@start - presentationTimeOffset / timescale``."""
    info = rep.addressing
    pto = getattr(info, "presentation_time_offset", None) or 0
    timescale = getattr(info, "timescale", None) or 1
    return rep.context.period_start - pto / timescale


def manifest_kids(periods: Iterable[PeriodPlan]) -> frozenset[bytes]:
    """Every KID the MPD names for the tracks played (``cenc:default_KID`` and the KIDs of
    version-1 ``pssh`` boxes), so one license request covers key changes ahead of need."""
    kids: set[bytes] = set()
    for period in periods:
        options = (*period.tracks, *(o.choice for o in period.catalog.audio))
        for choice in options:
            for rep in choice.representations:
                for cp in rep.content_protection:
                    if cp.default_kid_bytes:
                        kids.add(cp.default_kid_bytes)
                    if cp.pssh:
                        kids.update(_pssh_kids(cp.pssh))
    return frozenset(kids)


def _pssh_kids(data: bytes) -> tuple[bytes, ...]:
    try:
        boxes = find_pssh(data)
    except SdkError:  # a pssh we cannot read names no KID; the init's tenc still does
        return ()
    return tuple(k for box in boxes for k in box.kids if len(k) == 16)


def relative_path(base: str, url: str) -> str:
    """``url`` relative to the directory of ``base`` when it lies below it (so every
    location can serve it), else ``url`` itself (absolute: one location only)."""
    directory = base[: base.rfind("/") + 1] if "/" in urlsplit(base).path else base + "/"
    if url.startswith(directory):
        return url[len(directory) :]
    return url
