"""The catalog model and the built-in catalogs (``demo`` and ``tiny``).

A :class:`CatalogTitle` is what the titles table holds: metadata shown by discovery, the
rendition ladder (the Play API filters it by plan) and the KIDs. Content keys are not part
of the model: the store keeps them server-side and only the license service reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "AUDIO_RUNG",
    "CATALOGS",
    "VIDEO_LADDER",
    "CatalogTitle",
    "Rendition",
    "catalog_titles",
    "derive_keys",
    "short_title",
]


@dataclass(frozen=True)
class Rendition:
    """One rung of a title's ladder; ``id`` is its directory on the origin and the OCAs."""

    id: str
    kind: str  # "video" | "audio"
    bitrate_kbps: int
    width: int = 0
    height: int = 0
    codecs: str = "avc1.64001f"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "bitrate_kbps": self.bitrate_kbps,
            "width": self.width,
            "height": self.height,
            "codecs": self.codecs,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Rendition:
        return cls(
            id=str(d["id"]),
            kind=str(d["kind"]),
            bitrate_kbps=int(d["bitrate_kbps"]),  # type: ignore[call-overload]
            width=int(d.get("width", 0)),  # type: ignore[call-overload]
            height=int(d.get("height", 0)),  # type: ignore[call-overload]
            codecs=str(d.get("codecs", "")),
        )


VIDEO_LADDER: tuple[Rendition, ...] = (
    Rendition("v240", "video", 300, 426, 240, "avc1.64001e"),
    Rendition("v360", "video", 700, 640, 360, "avc1.64001e"),
    Rendition("v480", "video", 1200, 854, 480, "avc1.64001f"),
    Rendition("v720", "video", 2500, 1280, 720, "avc1.64001f"),
    Rendition("v1080", "video", 4500, 1920, 1080, "avc1.640028"),
)
AUDIO_RUNG = Rendition("a128", "audio", 128, codecs="mp4a.40.2")


@dataclass(frozen=True)
class CatalogTitle:
    """A title's metadata, ladder and KIDs (one KID for video, one for audio)."""

    id: str
    name: str
    synopsis: str
    genres: tuple[str, ...]
    year: int
    duration_s: float
    maturity: str
    renditions: tuple[Rendition, ...] = field(default=(*VIDEO_LADDER, AUDIO_RUNG))
    segment_duration_s: float = 2.0
    kids: tuple[bytes, ...] = ()
    scheme: str = "cenc"
    """CENC scheme of the packaged media (cenc, cens, cbc1, cbcs) or ``clear``."""

    @property
    def max_height(self) -> int:
        return max((r.height for r in self.renditions if r.kind == "video"), default=0)

    @property
    def segment_count(self) -> int:
        # A short last segment is still a segment.
        return max(1, math.ceil(self.duration_s / self.segment_duration_s - 1e-9))

    def kid_for(self, kind: str) -> bytes:
        return self.kids[0] if kind == "video" or len(self.kids) < 2 else self.kids[1]

    def public_dict(self) -> dict[str, object]:
        """What discovery shows: never keys."""
        return {
            "id": self.id,
            "name": self.name,
            "synopsis": self.synopsis,
            "genres": list(self.genres),
            "year": self.year,
            "duration_s": self.duration_s,
            "maturity": self.maturity,
            "max_height": self.max_height,
        }


def _kid(title_id: str, kind: str) -> bytes:
    return hashlib.sha256(f"nrdp-kid:{title_id}:{kind}".encode()).digest()[:16]


def derive_keys(secret: bytes, title: CatalogTitle) -> dict[bytes, bytes]:
    """Per-install content keys: HMAC of the data dir's secret, so no key is hard-coded."""
    return {
        kid: hmac.new(secret, b"nrdp-content-key:" + kid, hashlib.sha256).digest()[:16]
        for kid in title.kids
    }


_DEMO = [
    (
        "t-ocean",
        "Ocean Deep",
        "A marine biologist maps the trenches of the Pacific.",
        ("documentary", "nature"),
        2021,
        "PG",
    ),
    (
        "t-heist",
        "The Long Heist",
        "Five thieves plan one impossible robbery in Lisbon.",
        ("thriller", "crime"),
        2019,
        "16+",
    ),
    (
        "t-stars",
        "Between the Stars",
        "A cargo pilot finds a derelict ship near Jupiter.",
        ("sci-fi", "drama"),
        2023,
        "13+",
    ),
    (
        "t-kitchen",
        "Kitchen Wars",
        "Rival chefs compete for a Michelin star.",
        ("reality", "food"),
        2022,
        "PG",
    ),
    (
        "t-dragon",
        "Dragon School",
        "A young dragon learns to fly at a school for misfits.",
        ("animation", "family"),
        2020,
        "G",
    ),
    (
        "t-detect",
        "Detective Moreau",
        "A retired detective is pulled back into one last case.",
        ("crime", "drama"),
        2018,
        "16+",
    ),
    (
        "t-mount",
        "Mountain Rescue",
        "Volunteers save climbers in the Alps.",
        ("documentary", "adventure"),
        2024,
        "PG",
    ),
    (
        "t-robot",
        "Robot Summer",
        "Two kids build a robot to win the science fair.",
        ("family", "sci-fi"),
        2022,
        "G",
    ),
]
_TINY = [_DEMO[0], _DEMO[1], _DEMO[5]]


def _make(
    rows: Sequence[tuple[str, str, str, tuple[str, ...], int, str]], duration_s: float
) -> list[CatalogTitle]:
    return [
        CatalogTitle(
            id=tid,
            name=name,
            synopsis=syn,
            genres=genres,
            year=year,
            duration_s=duration_s,
            maturity=mat,
            kids=(_kid(tid, "video"), _kid(tid, "audio")),
        )
        for tid, name, syn, genres, year, mat in rows
    ]


CATALOGS = {"demo": (_DEMO, 12.0), "tiny": (_TINY, 8.0)}


def short_title(
    title_id: str,
    kids: tuple[bytes, bytes],
    *,
    rungs: Sequence[str] = ("v240", "v360"),
    duration_s: float = 4.0,
    segment_duration_s: float = 1.0,
) -> CatalogTitle:
    """A few seconds on rungs of the standard ladder plus audio: the title tests and
    benchmarks package for themselves (small enough to encode in about a second)."""
    ladder = {r.id: r for r in VIDEO_LADDER}
    return CatalogTitle(
        id=title_id,
        name=title_id,
        synopsis="A short title for tests and benchmarks.",
        genres=("test",),
        year=2026,
        duration_s=duration_s,
        maturity="G",
        renditions=(*(ladder[r] for r in rungs), AUDIO_RUNG),
        segment_duration_s=segment_duration_s,
        kids=kids,
    )


def catalog_titles(name: str) -> list[CatalogTitle]:
    """The titles of a built-in catalog (``demo``: 8 titles, ``tiny``: 3 short titles)."""
    try:
        rows, duration = CATALOGS[name]
    except KeyError:
        raise ValueError(f"unknown catalog {name!r}; choose one of {sorted(CATALOGS)}") from None
    return _make(rows, duration)
