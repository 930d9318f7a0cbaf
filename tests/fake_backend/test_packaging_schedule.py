"""Packaging on both cores and in the background: the split encode gives the very bytes of a
one-process encode; a backend started with ``ready_first`` serves its first title at once and
packages (and places) the others afterwards; a stale ``.tmp-*`` directory is removed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace

import aiohttp

from fake_backend.background import remove_stale_tmp
from fake_backend.packager import TEST_LADDER, PackagerMaterializer, TitleSpec, encode_title
from fake_backend.packager.catalog_specs import TINY_SPECS
from fake_backend.packager.package import package_title
from fake_backend.packager.parallel import encode_parallel, prepare_parallel, rung_groups
from fake_backend.packager.thumbnails import ThumbnailSpec
from fake_backend.runner import Backend


def test_rung_groups_balance_pixels_and_keep_ladder_order():
    groups = rung_groups(TEST_LADDER, 2)
    assert [[r.id for r in g] for g in groups] == [["v480"], ["v240", "v360"]]
    assert rung_groups(TEST_LADDER, 1) == [TEST_LADDER]
    assert len(rung_groups(TEST_LADDER[:1], 4)) == 1


def test_split_encode_gives_the_same_bytes_as_one_process():
    spec = TitleSpec("split", 2.0, TEST_LADDER, fps=12)
    one = encode_title(spec)
    two = encode_parallel(spec, 2)
    assert two.spec == spec
    assert [r.id for r in two.video] == [r.id for r in one.video]
    for a, b in zip(one.renditions, two.renditions, strict=True):
        assert (a.id, a.init, a.segments) == (b.id, b.init, b.segments)


def test_prepared_title_packages_the_same_files_as_one_process(tmp_path):
    """Video groups, both audio languages, tiles and poster as pool jobs: same bytes."""
    spec = replace(TINY_SPECS[0], thumbnails=ThumbnailSpec(columns=2, rows=1, interval_s=2.0))
    assert len(spec.audio) == 2
    steps: list[str] = []
    prepared = prepare_parallel(spec, 2, on_step=steps.append)
    assert sorted(steps) == sorted(
        ["video v480", "video v240+v360", "thumbnails", "audio a128", "audio a128-es", "poster"]
    )
    no_poster = prepare_parallel(spec, 2, poster=False)
    assert no_poster.poster is None and no_poster.extra_audio is not None
    kids = {"video": b"v" * 16, "audio": b"a" * 16}
    keys = {b"v" * 16: b"1" * 16, b"a" * 16: b"2" * 16}
    one = package_title(spec, tmp_path / "one", keys=keys, kids=kids)
    two = package_title(spec, tmp_path / "two", keys=keys, kids=kids, prepared=prepared)
    assert one.files == two.files
    assert any(f.endswith(".jpg") for f in one.files) and "poster.png" in one.files
    for rel in one.files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel


def test_stale_tmp_dirs_go_and_live_ones_stay(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".tmp-t-a-{dead.pid}").mkdir()
    (tmp_path / f".tmp-t-b-{os.getpid()}").mkdir()
    remove_stale_tmp(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".tmp-t-b-{os.getpid()}"]


async def test_ready_first_serves_at_once_and_packages_the_rest_in_the_background(tmp_path):
    events: list[tuple[str, bool]] = []
    be = Backend(
        tmp_path / "d",
        catalog="tiny",
        ocas=1,
        materializer=PackagerMaterializer(posters=False),
        ready_first=["t-ocean", "t-heist"],  # the smallest title in the background
        on_background=lambda tid, ok: events.append((tid, ok)),
    )
    async with be:
        origin = tmp_path / "d" / "titles"
        assert (origin / "t-ocean" / ".complete").exists()
        assert (origin / "t-heist" / ".complete").exists()
        assert be.background is not None
        async with aiohttp.ClientSession() as http, http.get(be.gateway_url + "/health") as r:
            assert r.status == 200
        # at low priority on a busy machine it may take a while: a generous bound
        done = await asyncio.to_thread(be.background.done.wait, 240)
        assert done, be.background.failed
        assert events == [("t-detect", True)]
        assert (origin / "t-detect" / ".complete").exists()
        assert be.fleet.holders("t-detect"), "a title packaged in the background is placed"
