"""What each catalog title is packaged as: ladder, frame rate, scheme, audio tracks, subtitles.

Two built-in catalogs, keyed by the title ids of :mod:`fake_backend.catalog`:

* ``tiny``: three 4 s titles at 240p-480p (one cenc with two audio languages and WebVTT
  subtitles, one cbcs, one clear), packaged in a few seconds for tests;
* ``demo``: eight titles from 30 s to 10 min, a 240p-1080p ladder (the 1080p rung only on
  two 30 s titles, so the first packaging stays well under three minutes on two cores).

:func:`catalog_titles` turns specs into the services' :class:`~fake_backend.catalog.CatalogTitle`
rows (same names, synopses and KIDs as the built-in catalog), so what the Play API advertises
is exactly what the packager writes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from fake_backend.catalog import CatalogTitle, Rendition
from fake_backend.catalog import catalog_titles as base_catalog_titles
from fake_backend.packager.errors import InvalidTitleSpec
from fake_backend.packager.spec import DEMO_LADDER, RungSpec, TitleSpec
from fake_backend.packager.thumbnails import ThumbnailSpec

__all__ = [
    "CATALOG_SPECS",
    "DEMO_SPECS",
    "SCHEMES",
    "TINY_SPECS",
    "AudioTrackSpec",
    "PackageSpec",
    "SubtitleSpec",
    "catalog_specs",
    "catalog_titles",
    "default_kids",
    "spec_for_title",
]

SCHEMES = ("cenc", "cbcs", "clear")
"""``clear`` writes no ContentProtection; the others name the CENC scheme (ISO/IEC 23001-7)."""

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _check_id(track_id: str) -> None:
    if not track_id or not track_id.replace("-", "").replace("_", "").isalnum():
        raise InvalidTitleSpec(f"track id {track_id!r} must be [A-Za-z0-9_-]+", field="id")


@dataclass(frozen=True)
class AudioTrackSpec:
    """One AAC audio track (its own AdaptationSet): id (a directory), BCP-47 language."""

    id: str
    language: str = "en"
    bitrate_kbps: int = 128
    sample_rate: int = 48_000
    channels: int = 2
    label: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not _LANG.match(self.language):
            raise InvalidTitleSpec(f"audio language {self.language!r} is not BCP-47", field="audio")


@dataclass(frozen=True)
class SubtitleSpec:
    """A WebVTT sidecar (``<id>/subtitles.vtt``) in a text AdaptationSet."""

    id: str
    language: str = "en"
    label: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not _LANG.match(self.language):
            raise InvalidTitleSpec(
                f"subtitle language {self.language!r} is not BCP-47", field="subtitles"
            )

    @property
    def path(self) -> str:
        return f"{self.id}/subtitles.vtt"


@dataclass(frozen=True)
class PackageSpec:
    """Everything :func:`~fake_backend.packager.package.package_title` needs about a title.

    KIDs are per track type: every video rung shares the video KID, every audio track the
    audio KID (``CatalogTitle.kid_for``), so a player needs exactly two keys per title.
    """

    title_id: str
    name: str
    duration_s: float
    rungs: tuple[RungSpec, ...]
    fps: int = 24
    segment_duration_s: float = 2.0
    scheme: str = "cenc"
    audio: tuple[AudioTrackSpec, ...] = (AudioTrackSpec("a128"),)
    subtitles: tuple[SubtitleSpec, ...] = ()
    preset: str = "ultrafast"
    first_frame_id: int = 0
    thumbnails: ThumbnailSpec | None = None
    """DASH-IF thumbnail tiles to write with the title (see ``PackageOptions.thumbnails``)."""
    picture: str = "natural"
    """What the video shows (``spec.PICTURES``): photographs by default, like real content."""

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise InvalidTitleSpec(f"scheme {self.scheme!r} not one of {SCHEMES}", field="scheme")
        ids = [r.id for r in self.rungs] + [a.id for a in self.audio]
        ids += [s.id for s in self.subtitles]
        if len(set(ids)) != len(ids):
            raise InvalidTitleSpec(f"track ids repeat: {ids}", field="rungs")
        self.title_spec()  # validates rates, durations and the segment grid

    @property
    def encrypted(self) -> bool:
        return self.scheme != "clear"

    def title_spec(self) -> TitleSpec:
        """The media factory spec: the video ladder plus the first audio track."""
        first = self.audio[0] if self.audio else AudioTrackSpec("audio")
        return TitleSpec(
            title_id=self.title_id,
            duration_s=self.duration_s,
            rungs=self.rungs,
            fps=self.fps,
            segment_duration_s=self.segment_duration_s,
            audio=bool(self.audio),
            audio_bitrate_kbps=first.bitrate_kbps,
            audio_language=first.language,
            audio_sample_rate=first.sample_rate,
            audio_channels=first.channels,
            preset=self.preset,
            audio_id=first.id,
            first_frame_id=self.first_frame_id,
            picture=self.picture,
        )

    def audio_title_spec(self, track: AudioTrackSpec) -> TitleSpec:
        """The factory spec that encodes ``track`` (same timeline and segment grid)."""
        return replace(
            self.title_spec(),
            audio=True,
            audio_id=track.id,
            audio_language=track.language,
            audio_bitrate_kbps=track.bitrate_kbps,
            audio_sample_rate=track.sample_rate,
            audio_channels=track.channels,
        )


def default_kids(title_id: str) -> dict[str, bytes]:
    """The KIDs :mod:`fake_backend.catalog` gives a title id, per track type."""
    return {
        kind: hashlib.sha256(f"nrdp-kid:{title_id}:{kind}".encode()).digest()[:16]
        for kind in ("video", "audio")
    }


_L = {r.id: r for r in DEMO_LADDER}
_LOW = (_L["v240"], _L["v360"])
_TEST = (_L["v240"], _L["v360"], _L["v480"])
_TO_720 = (*_TEST, _L["v720"])
_FULL = DEMO_LADDER

_EN = AudioTrackSpec("a128", "en", label="English")
_ES = AudioTrackSpec("a128-es", "es", label="Español")
_EN_MONO = AudioTrackSpec("a64", "en", bitrate_kbps=64, sample_rate=24_000, channels=1)
_SUBS_EN = (SubtitleSpec("text-en", "en", label="English"),)

TINY_SPECS: tuple[PackageSpec, ...] = (
    PackageSpec(
        "t-ocean",
        "Ocean Deep",
        4.0,
        _TEST,
        fps=24,
        scheme="cenc",
        audio=(_EN, _ES),
        subtitles=_SUBS_EN,
    ),
    PackageSpec("t-heist", "The Long Heist", 4.0, _LOW, fps=24, scheme="cbcs"),
    PackageSpec("t-detect", "Detective Moreau", 4.0, (_L["v240"],), fps=12, scheme="clear"),
)
"""Seconds each, 240p-480p: the test catalog."""

_DEMO_THUMBS = ThumbnailSpec(columns=5, rows=5, interval_s=2.0)
"""Seek-bar previews for the demo: a 160x90 thumbnail every 2 s, 25 per tile."""

DEMO_SPECS: tuple[PackageSpec, ...] = tuple(
    replace(s, thumbnails=_DEMO_THUMBS)
    for s in (
        PackageSpec(
            "t-ocean",
            "Ocean Deep",
            30.0,
            _FULL,
            fps=24,
            scheme="cenc",
            audio=(_EN, _ES),
        ),
        PackageSpec(
            "t-heist",
            "The Long Heist",
            40.0,
            _TO_720,
            fps=24,
            segment_duration_s=4.0,
            scheme="cbcs",
            subtitles=_SUBS_EN,
        ),
        PackageSpec("t-stars", "Between the Stars", 60.0, _TEST, fps=24, scheme="cenc"),
        PackageSpec("t-kitchen", "Kitchen Wars", 90.0, _LOW, fps=25, scheme="cenc"),
        # Animation on twos: 12 fps keeps the second 1080p title cheap to encode.
        PackageSpec("t-dragon", "Dragon School", 30.0, _FULL, fps=12, scheme="clear"),
        PackageSpec(
            "t-detect",
            "Detective Moreau",
            120.0,
            _LOW,
            fps=24,
            segment_duration_s=4.0,
            scheme="cbcs",
        ),
        PackageSpec(
            "t-mount", "Mountain Rescue", 300.0, _LOW, fps=12, scheme="cenc", audio=(_EN_MONO,)
        ),
        PackageSpec(
            "t-robot",
            "Robot Summer",
            600.0,
            (_L["v240"],),
            fps=10,
            segment_duration_s=4.0,
            scheme="cenc",
            audio=(_EN_MONO,),
        ),
    )
)
"""30 s to 10 min, 240p-1080p, cenc/cbcs/clear, two languages, WebVTT, thumbnail tiles: the
demo catalog."""

CATALOG_SPECS: Mapping[str, tuple[PackageSpec, ...]] = {"tiny": TINY_SPECS, "demo": DEMO_SPECS}


def catalog_specs(name: str) -> tuple[PackageSpec, ...]:
    """The specs of a built-in catalog (``tiny`` or ``demo``)."""
    try:
        return CATALOG_SPECS[name]
    except KeyError:
        raise InvalidTitleSpec(
            f"unknown catalog {name!r}; choose one of {sorted(CATALOG_SPECS)}", field="catalog"
        ) from None


def _catalog_rendition(r: RungSpec) -> Rendition:
    return Rendition(r.id, "video", r.bitrate_kbps, r.width, r.height, codecs="avc1.64001f")


def catalog_titles(name: str) -> list[CatalogTitle]:
    """The services' catalog rows for a built-in catalog, matching its package specs.

    Names, synopses, genres and KIDs come from :func:`fake_backend.catalog.catalog_titles`;
    duration, segment duration and the ladder (video rungs and every audio track) from the
    spec. Catalog codecs strings are nominal; the MPD carries the encoder's real ones.
    """
    base = {t.id: t for t in base_catalog_titles("demo")}
    out = []
    for spec in catalog_specs(name):
        rows = tuple(_catalog_rendition(r) for r in spec.rungs) + tuple(
            Rendition(a.id, "audio", a.bitrate_kbps, codecs="mp4a.40.2") for a in spec.audio
        )
        kids = default_kids(spec.title_id)
        title = base.get(spec.title_id) or CatalogTitle(
            id=spec.title_id,
            name=spec.name,
            synopsis="",
            genres=(),
            year=2026,
            duration_s=spec.duration_s,
            maturity="G",
        )
        out.append(
            replace(
                title,
                duration_s=spec.duration_s,
                renditions=rows,
                segment_duration_s=spec.segment_duration_s,
                kids=title.kids or (kids["video"], kids["audio"]),
                scheme=spec.scheme,
            )
        )
    return out


def spec_for_title(
    title: CatalogTitle, specs: Iterable[PackageSpec] = DEMO_SPECS + TINY_SPECS
) -> PackageSpec:
    """The package spec for a services catalog row; the row is authoritative.

    Duration, segment grid and ladder come from ``title`` (what the Play API advertises);
    frame rate, scheme, audio languages, subtitles and preset from the spec with the same id
    (the one whose duration and ladder match the row when several do, e.g. ``t-ocean`` of
    tiny and of demo; else the first whose segment grid fits), else defaults (24 fps, cenc,
    one English track per audio rendition).
    """
    rungs = tuple(
        RungSpec(r.id, r.width, r.height, r.bitrate_kbps)
        for r in title.renditions
        if r.kind == "video"
    )
    audio_rows = [r for r in title.renditions if r.kind == "audio"]
    candidates = [
        s for s in specs if s.title_id == title.id and _grid_fits(s.fps, title.segment_duration_s)
    ]
    exact = [s for s in candidates if s.duration_s == title.duration_s and s.rungs == rungs]
    chosen = exact or candidates
    base = chosen[0] if chosen else None
    fps = base.fps if base is not None else 24
    if not _grid_fits(fps, title.segment_duration_s):
        fps = 25 if _grid_fits(25, title.segment_duration_s) else 30
    known = {a.id: a for a in base.audio} if base is not None else {}
    audio = tuple(
        replace(known[r.id], bitrate_kbps=r.bitrate_kbps)
        if r.id in known
        else AudioTrackSpec(r.id, "en", bitrate_kbps=r.bitrate_kbps)
        for r in audio_rows
    )
    # The row's model has no language field: when the row lists the spec's main track, the
    # spec's other language tracks are packaged too (they share the row's audio KID).
    row_ids = {r.id for r in audio_rows}
    if base is not None and base.audio and base.audio[0].id in row_ids:
        audio += tuple(a for a in base.audio if a.id not in row_ids)
    return PackageSpec(
        title_id=title.id,
        name=title.name,
        duration_s=title.duration_s,
        rungs=rungs,
        fps=fps,
        segment_duration_s=title.segment_duration_s,
        scheme=base.scheme if base is not None else "cenc",
        audio=audio,
        subtitles=base.subtitles if base is not None else (),
        preset=base.preset if base is not None else "ultrafast",
        thumbnails=base.thumbnails if base is not None else None,
        picture=base.picture if base is not None else "natural",
    )


def _grid_fits(fps: int, segment_duration_s: float) -> bool:
    frames = fps * segment_duration_s
    return abs(frames - round(frames)) < 1e-9 and round(frames) >= 1
