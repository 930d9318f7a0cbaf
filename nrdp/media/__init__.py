"""Media: decrypt and decode segments off the loop, and hand frames to a sink."""

from nrdp.media.decoder import DecodedSegment, decode_segment, iter_segment
from nrdp.media.pipeline import ClearInit, MediaPipeline
from nrdp.media.sinks import AudioFrame, HashSink, NullSink, Sink, VideoFrame

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
