"""The tiny and demo package specs, and their mapping to the services' catalog rows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fake_backend.catalog import CatalogTitle
from fake_backend.catalog import catalog_titles as base_titles
from fake_backend.packager import InvalidTitleSpec
from fake_backend.packager.catalog_specs import (
    DEMO_SPECS,
    TINY_SPECS,
    AudioTrackSpec,
    PackageSpec,
    SubtitleSpec,
    catalog_specs,
    catalog_titles,
    default_kids,
    spec_for_title,
)
from fake_backend.packager.spec import TEST_LADDER


def _heights(spec: PackageSpec) -> list[int]:
    return [r.height for r in spec.rungs]


def test_tiny_catalog_builds_in_seconds():
    assert 2 <= len(TINY_SPECS) <= 3
    for s in TINY_SPECS:
        assert s.duration_s <= 10
        assert min(_heights(s)) >= 240 and max(_heights(s)) <= 480
    assert {s.scheme for s in TINY_SPECS} == {"cenc", "cbcs", "clear"}
    frames = sum(s.title_spec().frame_count * len(s.rungs) for s in TINY_SPECS)
    assert frames < 600  # a few seconds of x264 at <= 480p


def test_demo_catalog_covers_the_brief():
    assert len(DEMO_SPECS) >= 8
    assert len({s.title_id for s in DEMO_SPECS}) == len(DEMO_SPECS)
    for s in DEMO_SPECS:
        assert 30 <= s.duration_s <= 600
        assert s.segment_duration_s in (2.0, 4.0)
        assert s.fps <= 25
        assert all(a.id and a.language for a in s.audio) and s.audio
        assert all(a.bitrate_kbps > 0 for a in s.audio)
        assert min(_heights(s)) == 240
    full = [s for s in DEMO_SPECS if max(_heights(s)) == 1080]
    assert full and all(len(s.rungs) >= 5 for s in full)
    # The 1080p rung is expensive: only on short titles, so first packaging stays quick.
    assert len(full) <= 2 and all(s.duration_s <= 30 for s in full)
    assert {s.scheme for s in DEMO_SPECS} == {"cenc", "cbcs", "clear"}
    assert any(len({a.language for a in s.audio}) >= 2 for s in DEMO_SPECS)
    assert any(s.subtitles for s in DEMO_SPECS)
    assert max(s.duration_s for s in DEMO_SPECS) == 600


def test_demo_catalog_encode_cost_budget():
    """A cost model fitted to a measured first packaging (ms per frame per rung, picture
    rendering included, ultrafast, 2 cores shared with other jobs: 139 s in all): the whole
    demo catalog must stay within the 3-minute first-packaging budget."""
    ms_per_frame = {240: 1.5, 360: 3.0, 480: 4.0, 720: 15.0, 1080: 25.0}
    total = 0.0
    for s in DEMO_SPECS:
        per_frame = sum(ms_per_frame[h] for h in _heights(s))
        total += s.title_spec().frame_count * per_frame / 1000
        total += 0.022 * s.duration_s * len(s.audio)  # AAC encode
    assert total < 170, total


def test_catalog_specs_lookup():
    assert catalog_specs("tiny") == TINY_SPECS
    assert catalog_specs("demo") == DEMO_SPECS
    with pytest.raises(InvalidTitleSpec):
        catalog_specs("huge")


@pytest.mark.parametrize("name", ["tiny", "demo"])
def test_catalog_titles_match_specs_and_base_catalog(name):
    base = {t.id: t for t in base_titles("demo")}
    rows = catalog_titles(name)
    specs = catalog_specs(name)
    assert [r.id for r in rows] == [s.title_id for s in specs]
    for row, spec in zip(rows, specs, strict=True):
        assert row.name == base[row.id].name and row.synopsis == base[row.id].synopsis
        assert row.kids == base[row.id].kids
        assert row.kid_for("video") == default_kids(row.id)["video"]
        assert row.kid_for("audio") == default_kids(row.id)["audio"]
        assert row.duration_s == spec.duration_s
        assert row.segment_duration_s == spec.segment_duration_s
        assert row.segment_count == spec.title_spec().segment_count
        video = [r for r in row.renditions if r.kind == "video"]
        assert [(r.id, r.width, r.height, r.bitrate_kbps) for r in video] == [
            (r.id, r.width, r.height, r.bitrate_kbps) for r in spec.rungs
        ]
        audio = [r.id for r in row.renditions if r.kind == "audio"]
        assert audio == [a.id for a in spec.audio]
        assert row.max_height == max(_heights(spec))
        # Round trip: the row gives back the same spec, also among both catalogs' specs.
        assert spec_for_title(row, specs) == spec
        assert spec_for_title(row) == spec


def test_spec_for_title_takes_the_ladder_from_the_row():
    row = base_titles("demo")[0]  # t-ocean: 12 s, five rungs, one audio rendition "a128"
    spec = spec_for_title(row)
    assert spec.duration_s == row.duration_s
    assert [r.id for r in spec.rungs] == [r.id for r in row.renditions if r.kind == "video"]
    demo = {s.title_id: s for s in DEMO_SPECS}["t-ocean"]
    assert spec.scheme == demo.scheme and spec.fps == demo.fps
    # the row lists the main track; the Spanish dub comes from the spec
    assert [a.language for a in spec.audio] == ["en", "es"]
    assert spec.thumbnails is not None and spec.thumbnails == demo.thumbnails


def test_demo_titles_carry_thumbnail_tiles_and_tiny_ones_do_not():
    assert all(s.thumbnails is not None and s.thumbnails.grid == "5x5" for s in DEMO_SPECS)
    assert all(s.thumbnails is None for s in TINY_SPECS)


def test_spec_for_unknown_title_uses_defaults():
    row = replace(base_titles("demo")[0], id="t-new", segment_duration_s=1.0)
    spec = spec_for_title(row)
    assert spec.scheme == "cenc" and spec.fps == 24 and spec.subtitles == ()
    assert [a.id for a in spec.audio] == ["a128"]


def test_spec_for_title_fixes_a_grid_the_spec_fps_cannot_cut():
    row = replace(base_titles("demo")[0], segment_duration_s=0.2)  # 4.8 frames at 24 fps
    spec = spec_for_title(row)
    assert spec.fps == 25 and spec.title_spec().frames_per_segment == 5


def test_spec_audio_ids_that_do_not_match_the_row_are_not_doubled():
    row = CatalogTitle(
        "t-mount", "M", "", (), 2024, 30.0, "PG", segment_duration_s=2.0, kids=(b"1" * 16,)
    )
    spec = spec_for_title(row)  # the demo spec's track is "a64"; the row has "a128"
    assert [a.id for a in spec.audio] == ["a128"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: PackageSpec("t", "T", 4.0, TEST_LADDER, scheme="cens"),
        lambda: PackageSpec("t", "T", 4.0, TEST_LADDER, audio=(AudioTrackSpec("v240"),)),
        lambda: PackageSpec("t", "T", 4.0, TEST_LADDER, fps=24, segment_duration_s=0.3),
        lambda: AudioTrackSpec("a", language="English"),
        lambda: AudioTrackSpec("a/b"),
        lambda: SubtitleSpec("s", language="EN_us"),
    ],
)
def test_invalid_specs_are_typed_errors(make):
    with pytest.raises(InvalidTitleSpec) as err:
        make()
    assert err.value.code == 8001 and err.value.field


def test_audio_title_spec_keeps_the_grid():
    spec = {s.title_id: s for s in DEMO_SPECS}["t-ocean"]
    es = spec.audio_title_spec(spec.audio[1])
    assert es.audio_id == "a128-es" and es.audio_language == "es"
    assert es.segment_count == spec.title_spec().segment_count
