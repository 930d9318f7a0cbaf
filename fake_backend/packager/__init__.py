"""The packager: synthetic titles encoded with PyAV into CMAF-style fMP4 ladders.

``encode_title(TitleSpec(...))`` gives an :class:`EncodedTitle` whose renditions hold an init
segment and numbered media segments (every video segment starts with an IDR frame at the
same time in every rung). Each frame carries its number in the picture
(:mod:`fake_backend.packager.frame_id`) so playback tests can prove frame-exact delivery.
:func:`package_title` adds the rest of the pipeline: CENC/cbcs encryption with ``drm``, a
DASH MPD with ClearKey signalling, WebVTT sidecars and a poster;
:class:`PackagerMaterializer` plugs it into the origin (``fake_backend.content``).
:class:`PackageOptions` adds the on-demand profile, media time offsets, key rotation and
thumbnail tiles; :func:`package_periods` writes multi-Period titles.
"""

from fake_backend.packager.catalog_specs import (
    DEMO_SPECS,
    TINY_SPECS,
    AudioTrackSpec,
    PackageSpec,
    SubtitleSpec,
    catalog_specs,
    catalog_titles,
    spec_for_title,
)
from fake_backend.packager.errors import (
    EncodeFailed,
    FrameIdUnreadable,
    InvalidTitleSpec,
    PackagerError,
    SegmentationFailed,
)
from fake_backend.packager.frame_id import draw_frame_id, read_frame_id, require_frame_id, stamp
from fake_backend.packager.materializer import PackagerMaterializer
from fake_backend.packager.media_factory import encode_title
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package import (
    PackagedTitle,
    PackagedTrack,
    build_manifest,
    package_title,
)
from fake_backend.packager.package_errors import MissingContentKey
from fake_backend.packager.periods import MultiPeriodTitle, PeriodPart, package_periods
from fake_backend.packager.rendition import EncodedTitle, Rendition, SegmentInfo
from fake_backend.packager.spec import DEMO_LADDER, TEST_LADDER, RungSpec, TitleSpec
from fake_backend.packager.thumbnails import ThumbnailSpec

__all__ = [
    "DEMO_LADDER",
    "DEMO_SPECS",
    "TEST_LADDER",
    "TINY_SPECS",
    "AudioTrackSpec",
    "EncodeFailed",
    "EncodedTitle",
    "FrameIdUnreadable",
    "InvalidTitleSpec",
    "MissingContentKey",
    "MultiPeriodTitle",
    "PackageOptions",
    "PackageSpec",
    "PackagedTitle",
    "PackagedTrack",
    "PackagerError",
    "PackagerMaterializer",
    "PeriodPart",
    "Rendition",
    "RungSpec",
    "SegmentInfo",
    "SegmentationFailed",
    "SubtitleSpec",
    "ThumbnailSpec",
    "TitleSpec",
    "build_manifest",
    "catalog_specs",
    "catalog_titles",
    "draw_frame_id",
    "encode_title",
    "package_periods",
    "package_title",
    "read_frame_id",
    "require_frame_id",
    "spec_for_title",
    "stamp",
]
