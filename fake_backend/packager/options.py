"""How to write a packaged title beyond the default live-profile SegmentTemplate layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fake_backend.packager.thumbnails import ThumbnailSpec

__all__ = ["PackageOptions"]


@dataclass(frozen=True)
class PackageOptions:
    """Optional output shapes of :func:`~fake_backend.packager.package.package_title`.

    ``on_demand``: the DASH on-demand profile (one file per representation, ``SegmentBase``
    with ``indexRange`` and an ``Initialization@range``, a ``sidx``) instead of numbered
    segment files. ``media_time_offset_s``: every fragment's decode time starts this much
    later (the MPD gets ``presentationTimeOffset``; for Periods cut out of a longer stream).
    ``rotation``: key rotation, kind (``video``/``audio``) -> the KIDs used in turn, a new
    one every ``crypto_period_segments`` segments (each fragment names its KID in a
    ``seig`` sample group; the init's ``tenc`` and the MPD's ``default_KID`` carry the
    first; the init's pssh lists them all). Every KID needs a content key.
    ``thumbnails``: a DASH-IF thumbnail tile track (JPEG grids, ``contentType="image"``).
    """

    on_demand: bool = False
    media_time_offset_s: float = 0.0
    rotation: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)
    crypto_period_segments: int = 1
    thumbnails: ThumbnailSpec | None = None

    def __post_init__(self) -> None:
        if self.crypto_period_segments < 1:
            raise ValueError("crypto_period_segments must be >= 1")
        if self.media_time_offset_s < 0:
            raise ValueError("media_time_offset_s cannot be negative")
        for kind, kids in self.rotation.items():
            if not kids or any(len(k) != 16 for k in kids):
                raise ValueError(f"rotation[{kind!r}] needs one or more 16-byte KIDs")
