"""Multi-Period titles: several packaged parts played back to back from one static MPD.

Each part is an ordinary packaged title in ``<dest>/p<n>/`` (its own ``manifest.mpd``
still plays alone); the title's ``<dest>/manifest.mpd`` has one Period per part, with
``BaseURL p<n>/``, ``start`` = the sum of the earlier parts' durations and the part's own
ladder, keys and layout. A part packaged with a media time offset gives its Period a
``presentationTimeOffset`` (a Period cut out of a longer stream, as after an ad break).
Frame ids run on across Periods when each part's spec starts where the last ended
(``PackageSpec.first_frame_id``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from fake_backend.packager.catalog_specs import PackageSpec
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package import (
    DEFAULT_OPTIONS,
    MPD_NAME,
    PackagedTitle,
    build_manifest,
    package_title,
)
from fake_backend.packager.rendition import EncodedTitle
from manifest.model import BaseUrl, Manifest
from manifest.writer import write_mpd

__all__ = ["MultiPeriodTitle", "PeriodPart", "build_multi_period_manifest", "package_periods"]


@dataclass(frozen=True)
class PeriodPart:
    """One Period: what to package (``kids`` as in ``package_title``; empty when clear)."""

    spec: PackageSpec
    kids: Mapping[str, bytes] = field(default_factory=dict)
    options: PackageOptions = DEFAULT_OPTIONS
    encoded: EncodedTitle | None = None


@dataclass(frozen=True)
class MultiPeriodTitle:
    root: Path
    periods: tuple[PackagedTitle, ...]
    mpd: str = MPD_NAME

    @property
    def mpd_path(self) -> Path:
        return self.root / self.mpd

    @property
    def duration_s(self) -> float:
        return sum(p.spec.duration_s for p in self.periods)


def _period_dir(index: int) -> str:
    return f"p{index + 1}"


def build_multi_period_manifest(
    parts: Sequence[PackagedTitle], *, license_url: str | None = None
) -> Manifest:
    """One Period per packaged part (ids ``p1``, ``p2`` ...), back to back."""
    if not parts:
        raise ValueError("a multi-Period title needs at least one part")
    periods = []
    start = 0.0
    profiles: dict[str, None] = {}
    for i, part in enumerate(parts):
        single = build_manifest(part, license_url=license_url)
        profiles.update(dict.fromkeys((single.profiles or "").split(",")))
        (period,) = single.periods
        periods.append(
            replace(
                period,
                id=_period_dir(i),
                start=start,
                duration=part.spec.duration_s,
                base_urls=(BaseUrl(_period_dir(i) + "/"),),
            )
        )
        start += part.spec.duration_s
    first = build_manifest(parts[0], license_url=license_url)
    return replace(
        first,
        periods=tuple(periods),
        media_presentation_duration=start,
        profiles=",".join(p for p in profiles if p),
    )


def package_periods(
    parts: Sequence[PeriodPart],
    dest: Path | str,
    *,
    keys: Mapping[bytes, bytes] | None = None,
    license_url: str | None = None,
) -> MultiPeriodTitle:
    """Package every part into ``dest/p<n>/`` and write the multi-Period ``manifest.mpd``."""
    root = Path(dest)
    packaged = tuple(
        package_title(
            part.spec,
            root / _period_dir(i),
            keys=keys,
            kids=part.kids,
            license_url=license_url,
            poster=False,
            encoded=part.encoded,
            options=part.options,
        )
        for i, part in enumerate(parts)
    )
    manifest = build_multi_period_manifest(packaged, license_url=license_url)
    (root / MPD_NAME).write_bytes(write_mpd(manifest))
    return MultiPeriodTitle(root=root, periods=packaged)
