"""Media: decrypt and decode segments off the loop, and hand frames to a sink.

The names load lazily (PEP 562), so the pure modules here (``samples``, ``trackinfo``) can
be imported without PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nrdp._lazy import attach

if TYPE_CHECKING:
    from nrdp.media.decoder import DecodedSegment, decode_segment, iter_segment
    from nrdp.media.pipeline import ClearInit, MediaPipeline
    from nrdp.media.sinks import AudioFrame, HashSink, NullSink, Sink, VideoFrame

_WHERE = {
    "DecodedSegment": "nrdp.media.decoder",
    "decode_segment": "nrdp.media.decoder",
    "iter_segment": "nrdp.media.decoder",
    "ClearInit": "nrdp.media.pipeline",
    "MediaPipeline": "nrdp.media.pipeline",
    "AudioFrame": "nrdp.media.sinks",
    "HashSink": "nrdp.media.sinks",
    "NullSink": "nrdp.media.sinks",
    "Sink": "nrdp.media.sinks",
    "VideoFrame": "nrdp.media.sinks",
}

__all__ = [
    "AudioFrame",
    "ClearInit",
    "DecodedSegment",
    "HashSink",
    "MediaPipeline",
    "NullSink",
    "Sink",
    "VideoFrame",
    "decode_segment",
    "iter_segment",
]

if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__
    __getattr__, __dir__ = attach(__name__, _WHERE)
