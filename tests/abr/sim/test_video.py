"""Video descriptions: the shared Envivio file and malformed variants."""

from __future__ import annotations

import json

import pytest

from abr.errors import VideoFormatError
from abr.sim.video import Video, parse_video, parse_video_json


def test_envivio(envivio: Video) -> None:
    assert envivio.ladder.bitrates_kbps == (300, 750, 1200, 1850, 2850, 4300)
    assert envivio.num_segments == 49 and envivio.played == 48
    assert envivio.sizes[0][0] == 181801  # Pensieve's video_size_0[0]
    assert envivio.rows()[0][0] == 181801 and len(envivio.rows()[0]) == 6


GOOD = {
    "bitrates_kbps": [300, 750],
    "segment_duration_s": 4.0,
    "segment_sizes_bytes": [[10, 20], [30, 40]],
}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"bitrates_kbps": []}, "bitrates_kbps"),
        ({"bitrates_kbps": [750, 300]}, "bitrates_kbps"),
        ({"bitrates_kbps": ["a", 300]}, "bitrates_kbps"),
        ({"segment_duration_s": 0}, "segment_duration_s"),
        ({"segment_duration_s": None}, "segment_duration_s"),
        ({"segment_sizes_bytes": [[10, 20]]}, "segment_sizes_bytes"),
        ({"segment_sizes_bytes": [[10, 20], [30]]}, "segment_sizes_bytes"),
        ({"segment_sizes_bytes": [[10, -1], [30, 40]]}, "segment_sizes_bytes"),
        ({"segment_sizes_bytes": [[10, 2.5], [30, 40]]}, "segment_sizes_bytes"),
        ({"pensieve_played_segments": 3}, "pensieve_played_segments"),
    ],
)
def test_bad_fields_are_named(patch: dict, field: str) -> None:
    with pytest.raises(VideoFormatError) as info:
        parse_video({**GOOD, **patch}, "v.json")
    assert info.value.field == field and info.value.code == 9002


def test_not_json() -> None:
    with pytest.raises(VideoFormatError):
        parse_video_json("{nope", "v.json")
    with pytest.raises(VideoFormatError):
        parse_video_json("[1, 2]", "v.json")
    assert parse_video_json(json.dumps(GOOD)).played == 2
