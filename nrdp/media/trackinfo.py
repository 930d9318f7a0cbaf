"""What an init segment's ``moov`` says about a track's timing: the one fMP4 reader's init
half (:mod:`mediacore.fmp4`), under the names the packet decoder (:mod:`nrdp.media.codecs`)
and the decode-off sample timer (:mod:`nrdp.media.samples`) use. Pure (no PyAV)."""

from __future__ import annotations

from mediacore.fmp4 import (
    TrackDefaults,
    edit_offset,
    handler_of,
    sample_defaults,
    timescale_of,
    track_id_of,
)

SampleDefaults = TrackDefaults
"""The ``trex`` defaults a fragment's ``tfhd``/``trun`` fall back on."""

__all__ = [
    "SampleDefaults",
    "edit_offset",
    "handler_of",
    "sample_defaults",
    "timescale_of",
    "track_id_of",
]
