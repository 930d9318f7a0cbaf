"""The ABR simulator's description of a packaged title: every video segment's real size.

``abr.sim`` replays sessions over a *video* (``shared/abr/video/*.json``: the ladder and
``segment_sizes_bytes[rung][segment]``). Written next to a packaged title as ``video.json``
from the bytes actually written (encrypted fragments included), a title can be replayed in
the simulator exactly as the player downloads it. The ladder is the MPD's ``@bandwidth``
of each rung (what the player's ABR sees), lowest first.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from fake_backend.packager.errors import SegmentationFailed
from fake_backend.packager.packaged import PackagedTitle, PackagedTrack

__all__ = ["VIDEO_JSON_NAME", "video_description", "video_json"]

VIDEO_JSON_NAME = "video.json"


def video_description(packaged: PackagedTitle) -> dict[str, Any]:
    """The ``parse_video_json`` object for ``packaged``'s video rungs (sizes in bytes)."""
    rungs = sorted((t for t in packaged.tracks if t.kind == "video"), key=lambda t: t.bandwidth)
    if not rungs:
        raise SegmentationFailed(
            f"{packaged.spec.title_id}: no video rung to describe", rendition="video"
        )
    _check_ladder(packaged, rungs)
    spec = packaged.spec
    count = len(rungs[0].segment_info)
    return {
        "name": f"{spec.title_id} ({spec.name})",
        "bitrates_kbps": [t.bandwidth / 1000 for t in rungs],
        "segment_duration_s": spec.segment_duration_s,
        "num_segments": count,
        "pensieve_played_segments": count,
        "segment_sizes_bytes": [[i.size for i in t.segment_info] for t in rungs],
        "rendition_ids": [t.id for t in rungs],
        "layout": "segment_sizes_bytes[bitrate_index][segment_index]",
    }


def video_json(packaged: PackagedTitle) -> str:
    """:func:`video_description` as the JSON text written to :data:`VIDEO_JSON_NAME`."""
    return json.dumps(video_description(packaged), indent=1) + "\n"


def _check_ladder(packaged: PackagedTitle, rungs: list[PackagedTrack]) -> None:
    """The simulator needs strictly rising bitrates and one segment grid for every rung."""
    title = packaged.spec.title_id
    for low, high in itertools.pairwise(rungs):
        if low.bandwidth >= high.bandwidth:
            raise SegmentationFailed(
                f"{title}: rungs {low.id} and {high.id} peak at the same bandwidth",
                rendition=high.id,
            )
    if len({len(t.segment_info) for t in rungs}) != 1:
        raise SegmentationFailed(
            f"{title}: video rungs differ in segment count", rendition=rungs[0].id
        )
