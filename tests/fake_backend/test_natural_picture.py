"""Natural-image demo content: photographs with cuts, motion and grain, frame ids intact.

Real encodes with PyAV: the natural picture must make segment sizes vary the way camera
footage does (the gradients barely do), while every frame of every rung still carries a
readable frame id, in order.
"""

from __future__ import annotations

import io
import itertools
import statistics
from dataclasses import replace

import av
import numpy as np
import pytest

from fake_backend.packager import TEST_LADDER, TitleSpec, encode_title, read_frame_id
from fake_backend.packager.natural import (
    SCENES_PER_CYCLE,
    NaturalPicture,
    available_photos,
    scene_plan,
    title_picture,
)
from fake_backend.packager.picture import SyntheticPicture
from fake_backend.packager.spec import RungSpec

SPEC = TitleSpec(
    "t-natural", duration_s=16.0, rungs=TEST_LADDER[:2], fps=12, segment_duration_s=2.0
)


def _cv(sizes: list[int]) -> float:
    return statistics.pstdev(sizes) / statistics.mean(sizes)


@pytest.fixture(scope="module")
def natural_and_gradient() -> tuple[object, object]:
    return encode_title(SPEC), encode_title(replace(SPEC, picture="gradient"))


def test_photos_ship_inside_installed_packages() -> None:
    photos = available_photos()
    assert len(photos) >= 2
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in photos)


def test_frames_are_deterministic_and_carry_their_id_at_any_size() -> None:
    for width, height in ((1920, 1080), (426, 240), (64, 36)):
        a, b = NaturalPicture(width, height), NaturalPicture(width, height)
        for n in (0, 1, 97, 4321, 1 << 19):
            frame = a.render(n)
            assert np.array_equal(frame.buffer, b.render(n).buffer)
            assert read_frame_id(frame.y) == n


def test_the_plan_cuts_between_photos_and_repeats_each_cycle() -> None:
    plan = scene_plan(24, seed=3, photos=12)
    assert len(plan) == SCENES_PER_CYCLE
    assert all(2 * 24 <= s.frames <= 7 * 24 for s in plan)
    assert all(a.photo != b.photo for a, b in itertools.pairwise(plan))
    assert [s.first_frame for s in plan[1:]] == [s.first_frame + s.frames for s in plan[:-1]]
    picture = NaturalPicture(128, 72, fps=24, seed=3)
    cycle = plan[-1].first_frame + plan[-1].frames
    assert picture.scene_at(5) == picture.scene_at(5 + cycle)


def test_a_cut_changes_the_picture_far_more_than_motion_within_a_shot() -> None:
    picture = NaturalPicture(256, 144, fps=24, seed=11)
    cut = picture.scene_at(0).frames
    band = 144 // 8

    def diff(a: int, b: int) -> float:
        ya = picture.render(a).y[band:].astype(np.int16)
        return float(np.abs(ya - picture.render(b).y[band:]).mean())

    assert diff(cut - 1, cut) > 3 * diff(cut - 2, cut - 1)


def test_title_picture_follows_the_spec() -> None:
    assert isinstance(title_picture(SPEC), NaturalPicture)
    assert isinstance(title_picture(replace(SPEC, picture="gradient")), SyntheticPicture)
    other = title_picture(replace(SPEC, title_id="t-other"), 128, 72)
    assert not np.array_equal(title_picture(SPEC, 128, 72).render(0).y, other.render(0).y)


def test_natural_segment_sizes_vary_like_real_video(natural_and_gradient) -> None:
    natural, gradient = natural_and_gradient
    for nat, grad in zip(natural.video, gradient.video, strict=True):
        nat_cv = _cv([i.size for i in nat.segment_info])
        grad_cv = _cv([i.size for i in grad.segment_info])
        assert nat_cv > 0.08, nat.id
        assert nat_cv > 2 * grad_cv, nat.id
        # VBR within the rung's budget: the average stays near the ladder's bitrate.
        assert 0.6 * nat.target_bitrate < nat.average_bandwidth < 1.4 * nat.target_bitrate


def test_every_natural_frame_of_every_rung_reads_its_id_in_order(natural_and_gradient) -> None:
    natural, _ = natural_and_gradient
    for r in natural.video:
        with av.open(io.BytesIO(r.init + b"".join(r.segments))) as c:
            ids = [read_frame_id(f) for f in c.decode(video=0)]
        assert ids == list(range(SPEC.frame_count)), r.id


def test_a_small_rung_at_a_low_bitrate_still_reads_every_id() -> None:
    spec = TitleSpec("t-grain", 6.0, (RungSpec("v144", 256, 144, 120),), fps=12, audio=False)
    (r,) = encode_title(spec).video
    with av.open(io.BytesIO(r.init + b"".join(r.segments))) as c:
        assert [read_frame_id(f) for f in c.decode(video=0)] == list(range(spec.frame_count))


def test_frames_are_the_same_when_the_plate_cache_evicts(monkeypatch) -> None:
    from fake_backend.packager import natural

    picture = NaturalPicture(192, 108, fps=12, seed=5)
    cuts = [s.first_frame for s in scene_plan(12, 5, len(available_photos()))[:4]]
    wanted = [picture.render(n).buffer.copy() for n in cuts]
    monkeypatch.setattr(natural, "PLATE_CACHE_BYTES", 1)
    natural._plates.clear()
    again = [picture.render(n).buffer for n in reversed(cuts)]
    assert len(natural._plates) == 1
    assert all(np.array_equal(a, b) for a, b in zip(wanted, reversed(again), strict=True))
