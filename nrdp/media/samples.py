"""Sample times of one fMP4 fragment from its boxes alone, without decoding (``decode=False``).

A load test (``PlayerConfig(decode=False)``) still downloads, decrypts and presents on
schedule, but must not pay for PyAV: the frames of a segment and their presentation times
come from the fragment's sample table and the init's track, read by the one fMP4 reader
(:mod:`mediacore.fmp4`) as the decoder reads them, so a table that claims more samples or
bytes than the segment holds is refused before any work proportional to it. Bad boxes raise
:class:`~mediacore.boxes.MalformedBox` (a ContainerError); a fragment with no sample is
:class:`~nrdp.errors.DemuxFailed`, as when decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediacore.fmp4 import read_fragments, read_init
from nrdp.errors import DemuxFailed

__all__ = ["SampleTime", "segment_samples"]


@dataclass(frozen=True, slots=True)
class SampleTime:
    """One sample's presentation slot (seconds); stands in for a decoded frame."""

    pts: float
    duration: float


def segment_samples(init: bytes, segment: bytes, *, kind: str, number: int) -> list[SampleTime]:
    """The samples of ``segment`` in presentation order (what decoding it would give).

    Blocking and proportional to the segment's size: call it off the event loop
    (:meth:`nrdp.media.pipeline.MediaPipeline.sample_times`)."""
    tracks = {t.track_id: t for t in read_init(init)}
    defaults = {tid: t.defaults for tid, t in tracks.items()}
    only = next(iter(tracks.values())) if len(tracks) == 1 else None
    if only is not None:
        defaults[0] = only.defaults  # a fragment naming another id still has one track
    samples: list[SampleTime] = []
    for table in read_fragments(segment, defaults):
        info = tracks.get(table.track_id) or only
        if info is None:
            continue
        scale = float(info.timescale)
        t = table.decode_time - info.edit_offset
        for duration, cto in zip(table.durations, table.composition_offsets, strict=True):
            samples.append(SampleTime(pts=(t + cto) / scale, duration=duration / scale))
            t += duration
    if not samples:
        raise DemuxFailed(track=kind, reason="segment holds no samples", segment=number)
    samples.sort(key=lambda s: s.pts)
    return samples
