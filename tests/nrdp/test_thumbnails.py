"""Seek-bar thumbnails: the pure tile/cell arithmetic on hand-written MPDs, then
``Player.thumbnail_at`` on a packaged title served over 127.0.0.1 — the cell's pixels carry
the frame id of the thumbnail's time — and ``None`` for a title without thumbnails."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import nrdp
from fake_backend.catalog import short_title
from fake_backend.packager import EncodedTitle, package_title, read_frame_id, spec_for_title
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.thumbnails import ThumbnailSpec
from manifest import parse_mpd
from mediacore.errors import Category, SdkError
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.media.sinks import NullSink
from nrdp.source import DashSource
from nrdp.testing import VirtualClock
from nrdp.thumbnails import pick_track, tile_for, tile_tracks, track_at

FPS = 10
SPEC = replace(
    spec_for_title(short_title("t-real", (b"\x11" * 16, b"\x22" * 16)), ()),
    fps=FPS,
    picture="gradient",
    scheme="clear",
)


def _mpd(reps: str, duration: str = "PT25S") -> str:
    return f"""<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"
     profiles="urn:mpeg:dash:profile:isoff-live:2011"
     mediaPresentationDuration="{duration}" minBufferTime="PT2S">
  <Period id="p0" start="PT0S">
    <AdaptationSet contentType="image" mimeType="image/jpeg">
      <SegmentTemplate media="$RepresentationID$/tile-$Number$.jpg" duration="10" startNumber="1"/>
      {reps}
    </AdaptationSet>
  </Period>
</MPD>"""


def _rep(rid: str, w: int, h: int, grid: str) -> str:
    return f"""<Representation id="{rid}" bandwidth="10000" width="{w}" height="{h}">
        <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="{grid}"/>
      </Representation>"""


def test_tile_for_picks_image_and_cell() -> None:
    m = parse_mpd(_mpd(_rep("t", 800, 180, "5x2")).encode(), "http://cdn.test/a/x.mpd")
    (track,) = tile_tracks(m.periods[0])
    assert (track.columns, track.rows, track.cell_width, track.cell_height) == (5, 2, 160, 90)
    cases = {  # 10 s a tile, 1 s a cell
        0.0: ("t/tile-1.jpg", (0, 0), 0.0),
        3.5: ("t/tile-1.jpg", (480, 0), 3.0),
        7.99: ("t/tile-1.jpg", (320, 90), 7.0),
        12.2: ("t/tile-2.jpg", (320, 0), 12.0),
        24.9: ("t/tile-3.jpg", (640, 0), 24.0),  # the end cuts the last tile short: same grid
    }
    for t, (path, (x, y), start) in cases.items():
        cell = tile_for(t, track)
        assert (cell.path, cell.rect, cell.start, cell.duration) == (
            path,
            (x, y, 160, 90),
            pytest.approx(start),
            pytest.approx(1.0),
        ), t
        assert cell.url == "http://cdn.test/a/" + path


def test_pick_track_takes_largest_cells_within_the_limit() -> None:
    reps = (
        _rep("small", 800, 180, "5x2") + _rep("big", 1600, 360, "5x2") + _rep("odd", 10, 10, "0x1")
    )
    m = parse_mpd(_mpd(reps).encode(), "http://cdn.test/x.mpd")
    tracks = tile_tracks(m.periods[0])
    assert [t.rep.id for t in tracks] == ["small", "big"]  # a 0-column grid is not a track
    assert pick_track(tracks, 480, 270).rep.id == "big"  # type: ignore[union-attr]
    assert pick_track(tracks, 200, 100).rep.id == "small"  # type: ignore[union-attr]
    assert pick_track(tracks, 50, 50).rep.id == "small"  # type: ignore[union-attr]  # first
    assert pick_track([], 480, 270) is None


@pytest.fixture(scope="module")
def titles(tmp_path_factory: pytest.TempPathFactory, encoded_title: EncodedTitle) -> Path:
    root = tmp_path_factory.mktemp("thumbs")
    thumbs = ThumbnailSpec(columns=2, rows=2, interval_s=0.5)  # 4 s: 2 tiles of 4 cells
    opts = PackageOptions(thumbnails=thumbs)
    package_title(SPEC, root / "with", encoded=encoded_title, poster=False, options=opts)
    package_title(SPEC, root / "without", encoded=encoded_title, poster=False)
    shutil.copytree(root / "with", root / "lost")
    (root / "lost" / "thumbs" / "tile-2.jpg").unlink()
    return root


@pytest.fixture
async def origin(titles: Path) -> AsyncIterator[SimpleNamespace]:
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler):
        seen.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[record])
    app.router.add_static("/", titles)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield SimpleNamespace(url=str(srv.make_url("/")), seen=seen)
    await srv.close()


async def _thumbnails(url: str, times: list[float]) -> list[nrdp.Thumbnail | SdkError | None]:
    dev_cfg = DeviceConfig("nrdp-thumbs-0001", "http://127.0.0.1:9")
    async with Device(dev_cfg, clock=VirtualClock()) as dev:
        player = dev.player(sink=NullSink(), config=PlayerConfig(realtime=False))
        assert await player.thumbnail_at(1.0) is None  # nothing loaded
        try:
            await player.load(DashSource(url))
            got: list[nrdp.Thumbnail | SdkError | None] = []
            for t in times:
                try:
                    got.append(await player.thumbnail_at(t))
                except SdkError as err:
                    got.append(err)
            return got
        finally:
            await player.stop()


def _cell_frame_id(thumb: nrdp.Thumbnail) -> int | None:
    with av.open(io.BytesIO(thumb.data), "r") as c:
        frame = next(c.decode(video=0))
    x, y, w, h = thumb.rect
    luma = frame.to_ndarray(format="gray")
    return read_frame_id(np.ascontiguousarray(luma[y : y + h, x : x + w], dtype=np.uint8))


async def test_thumbnail_at_returns_the_cell_showing_the_frame_at_t(origin) -> None:
    mpd = f"{origin.url}with/manifest.mpd"
    times = [0.2, 1.7, 0.6, 2.6, 3.9]
    got = await _thumbnails(mpd, times)
    assert all(isinstance(g, nrdp.Thumbnail) for g in got)
    thumbs = [g for g in got if isinstance(g, nrdp.Thumbnail)]
    assert [t.rect for t in thumbs] == [
        (0, 0, 160, 90),
        (160, 90, 160, 90),
        (160, 0, 160, 90),
        (160, 0, 160, 90),
        (160, 90, 160, 90),
    ]
    for t, thumb in zip(times, thumbs, strict=True):
        assert thumb.mime == "image/jpeg" and thumb.duration == pytest.approx(0.5)
        assert thumb.start <= t < thumb.start + thumb.duration
        assert _cell_frame_id(thumb) == round(thumb.start * FPS), t
    tiles = [p for p in origin.seen if p.endswith(".jpg")]
    assert sorted(tiles) == ["/with/thumbs/tile-1.jpg", "/with/thumbs/tile-2.jpg"]  # LRU


async def test_title_without_thumbnails_gives_none(origin) -> None:
    mpd = f"{origin.url}without/manifest.mpd"
    assert await _thumbnails(mpd, [0.5, 3.0]) == [None, None]
    assert not [p for p in origin.seen if p.endswith(".jpg")]


async def test_a_tile_no_location_serves_is_a_typed_network_error(origin) -> None:
    first, second = await _thumbnails(f"{origin.url}lost/manifest.mpd", [0.7, 2.6])
    assert isinstance(first, nrdp.Thumbnail) and first.rect == (160, 0, 160, 90)
    assert isinstance(second, SdkError) and second.category is Category.NETWORK


def test_thumbnails_follow_the_period_at_t() -> None:
    text = _mpd(_rep("t", 800, 180, "5x2"))
    text = text.replace(
        '<Period id="p0" start="PT0S">',
        '<Period id="p0" start="PT0S" duration="PT5S"><AdaptationSet contentType="video" '
        'mimeType="video/mp4"><Representation id="v" bandwidth="1" width="2" height="2">'
        '<SegmentTemplate media="v-$Number$.m4s" duration="1"/></Representation>'
        '</AdaptationSet></Period>\n  <Period id="p1" start="PT5S">',
    )
    m = parse_mpd(text.replace("PT25S", "PT30S").encode(), "http://cdn.test/x.mpd")
    assert tile_tracks(m.periods[0]) == [] and track_at(m, 4.9, (480, 270)) is None
    track = track_at(m, 8.5, (480, 270))
    assert track is not None and track.rep.id == "t"
    cell = tile_for(8.5, track)  # 3.5 s into Period 2
    assert (cell.path, cell.rect, cell.start) == ("t/tile-1.jpg", (480, 0, 160, 90), 8.0)
