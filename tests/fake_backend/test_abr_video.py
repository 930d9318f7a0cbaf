"""``video.json``: the ABR simulator's description of a packaged title, from real sizes.

A title is packaged (real encode, real CENC) and its ``video.json`` is read back with the
simulator's own parser: every size must be the byte size of the segment file the player
downloads, and the ladder the ``@bandwidth`` the MPD advertises.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from abr.sim.video import parse_video_json
from fake_backend.packager import EncodedTitle, encode_title
from fake_backend.packager.abr_video import VIDEO_JSON_NAME, video_description
from fake_backend.packager.catalog_specs import TINY_SPECS, default_kids
from fake_backend.packager.errors import SegmentationFailed
from fake_backend.packager.package import MPD_NAME, PackagedTitle, package_title
from manifest import parse_mpd

SPEC = TINY_SPECS[0]  # cenc, 240p-480p, two audio languages


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[PackagedTitle, EncodedTitle]:
    kids = default_kids(SPEC.title_id)
    keys = {k: hashlib.sha256(k).digest()[:16] for k in kids.values()}
    root = tmp_path_factory.mktemp("abr-video") / SPEC.title_id
    encoded = encode_title(SPEC.title_spec())
    title = package_title(SPEC, root, keys=keys, kids=kids, poster=False, encoded=encoded)
    return title, encoded


def test_video_json_round_trips_through_the_simulator_parser(packaged) -> None:
    title, _ = packaged
    path = title.root / VIDEO_JSON_NAME
    assert VIDEO_JSON_NAME in title.files
    video = parse_video_json(path.read_text(), str(path))
    assert len(video.sizes) == len(SPEC.rungs)
    assert video.ladder.segment_duration_s == SPEC.segment_duration_s
    assert video.num_segments == video.played == SPEC.title_spec().segment_count
    assert json.loads(path.read_text()) == video_description(title)


def test_sizes_are_the_written_encrypted_segment_files(packaged) -> None:
    title, encoded = packaged
    obj = json.loads((title.root / VIDEO_JSON_NAME).read_text())
    for rid, row in zip(obj["rendition_ids"], obj["segment_sizes_bytes"], strict=True):
        files = [title.root / rid / f"seg-{k}.m4s" for k in range(1, len(row) + 1)]
        assert row == [f.stat().st_size for f in files]
        # Protection adds senc/saiz/saio: each written fragment outgrows the clear one.
        clear = [i.size for i in encoded.rendition(rid).segment_info]
        assert all(w > c for w, c in zip(row, clear, strict=True))


def test_the_ladder_is_the_mpd_bandwidth_lowest_first(packaged) -> None:
    title, _ = packaged
    video = parse_video_json((title.root / VIDEO_JSON_NAME).read_text())
    mpd = parse_mpd(title.mpd_path.read_bytes(), f"http://oca.test/{MPD_NAME}")
    advertised = sorted(
        rep.bandwidth
        for aset in mpd.periods[0].adaptation_sets
        if aset.kind == "video"
        for rep in aset.representations
    )
    assert advertised == [round(b * 1000) for b in video.ladder.bitrates_kbps]


def test_a_ladder_that_does_not_rise_is_a_typed_error(packaged) -> None:
    title, _ = packaged
    low, high = [t for t in title.tracks if t.kind == "video"][:2]
    flat = replace(high, bandwidth=low.bandwidth)
    tracks = tuple(flat if t.id == high.id else t for t in title.tracks)
    with pytest.raises(SegmentationFailed) as info:
        video_description(replace(title, tracks=tracks))
    assert info.value.code == 8003 and info.value.rendition == high.id
    audio_only = replace(title, tracks=tuple(t for t in title.tracks if t.kind != "video"))
    with pytest.raises(SegmentationFailed):
        video_description(audio_only)
