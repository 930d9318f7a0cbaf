"""The packager: synthetic titles encoded with PyAV into CMAF-style fMP4 ladders.

``encode_title(TitleSpec(...))`` gives an :class:`EncodedTitle` whose renditions hold an init
segment and numbered media segments (every video segment starts with an IDR frame at the
same time in every rung). Each frame carries its number in the picture
(:mod:`fake_backend.packager.frame_id`) so playback tests can prove frame-exact delivery.
Later stages (CENC encryption, MPD writing) build on this output.
"""

from fake_backend.packager.errors import (
    EncodeFailed,
    FrameIdUnreadable,
    InvalidTitleSpec,
    PackagerError,
    SegmentationFailed,
)
from fake_backend.packager.frame_id import draw_frame_id, read_frame_id, require_frame_id, stamp
from fake_backend.packager.media_factory import encode_title
from fake_backend.packager.rendition import EncodedTitle, Rendition, SegmentInfo
from fake_backend.packager.spec import DEMO_LADDER, TEST_LADDER, RungSpec, TitleSpec

__all__ = [
    "DEMO_LADDER",
    "TEST_LADDER",
    "EncodeFailed",
    "EncodedTitle",
    "FrameIdUnreadable",
    "InvalidTitleSpec",
    "PackagerError",
    "Rendition",
    "RungSpec",
    "SegmentInfo",
    "SegmentationFailed",
    "TitleSpec",
    "draw_frame_id",
    "encode_title",
    "read_frame_id",
    "require_frame_id",
    "stamp",
]
