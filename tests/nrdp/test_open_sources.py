"""Open DASH sources end to end over 127.0.0.1, on content nobody here made (FFmpeg's dash
muxer through PyAV, served as static files): SegmentTemplate with and without a
SegmentTimeline, two Periods with different ladders and a presentationTimeOffset, ClearKey
keys, MPD BaseURLs as failover locations, and the typed error of every bad source. Every
frame is compared with PyAV's own decode of the rendition it came from."""

from __future__ import annotations

import shutil
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mediacore.boxes import iter_boxes
from mediacore.errors import Category, SdkError
from nrdp.config import DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.errors import ContentKeyMismatch, HttpStatusError, KeysMissing, NoPlayableTrack
from nrdp.events import LicenseAcquired, OcaFailover, SegmentDownloaded
from nrdp.media.sinks import HashSink
from nrdp.source import ClearKey, DashSource
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock
from tests.nrdp.ffmpeg_dash import FPS, LADDER_B, FfmpegDash, make_ffmpeg_dash, two_period_mpd

KID = bytes.fromhex("00112233445566778899aabbccddeeff")
KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
OFFSET = 10.0
XLINK = "http://www.w3.org/1999/xlink"


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("ffmpeg-dash")
    num = make_ffmpeg_dash(root / "num", timeline=False)
    tl = make_ffmpeg_dash(root / "tl", timeline=True)
    a = make_ffmpeg_dash(root / "pa", timeline=True, seed=1)
    b = make_ffmpeg_dash(
        root / "pb", timeline=False, ladder=LADDER_B, frames=36, ts_offset=OFFSET, seed=5
    )
    two_period_mpd(root, a, b, OFFSET)
    enc = make_ffmpeg_dash(root / "enc", timeline=True, ladder=LADDER_B[:1], key=(KID, KEY))
    single = make_ffmpeg_dash(root / "single", timeline=False, ladder=LADDER_B, single_file=True)
    two_period_mpd(root, a, single, 0.0, name="mixed.mpd", b_mpd="segbase.mpd")
    (root / "page.html").write_text("<!doctype html><html><body><p>not a manifest")
    shutil.copytree(root / "num", root / "broken")
    for seg in (root / "broken").glob("chunk-*"):
        seg.unlink()
    return SimpleNamespace(root=root, num=num, tl=tl, a=a, b=b, enc=enc, single=single)


SEEN: list[tuple[str, str | None]] = []
"""(path, Range header) of every request the origin answered in the current test."""


@web.middleware
async def _record(request: web.Request, handler):  # type: ignore[no-untyped-def]
    SEEN.append((request.path, request.headers.get("Range")))
    return await handler(request)


@pytest.fixture
async def origin(content: SimpleNamespace) -> AsyncIterator[str]:
    SEEN.clear()
    app = web.Application(middlewares=[_record])
    app.router.add_static("/", content.root)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield str(srv.make_url("/"))
    await srv.close()


async def play(
    source: DashSource, *, realtime: bool = False
) -> tuple[PlayerState, HashSink, list[object], int, SdkError | None, float]:
    clock = VirtualClock()
    sink, events = HashSink(), []
    async with Device(DeviceConfig("nrdp-open-src-0001", "http://127.0.0.1:9"), clock=clock) as dev:
        player = dev.player(sink=sink, config=PlayerConfig(realtime=realtime))
        player.on_event(events.append)
        try:
            await player.load(source)
            state = await player.wait_until_done(timeout=60)
        finally:
            periods, error = player.periods_played, player.error
            stats = player.stats()
            await player.stop()
    return state, sink, events, periods, error, stats.rebuffer_ratio if realtime else 0.0


def check_frames(sink: HashSink, periods: list[tuple[str, float, FfmpegDash]]) -> None:
    """Every frame once, in order, on the MPD timeline, bit-exact with PyAV's decode."""
    expected_pts = [start + i / FPS for _, start, stream in periods for i in range(stream.frames)]
    got = [round(p * FPS) for p in sink.video_pts]
    assert sink.video_pts == pytest.approx(expected_pts, abs=1e-6), (str(got), sink.rungs[-3:])
    n = 0
    for prefix, _, stream in periods:
        for i in range(stream.frames):
            rung = sink.rungs[n].removeprefix(prefix)
            assert sink.video_digests[n] == stream.reference[rung][i], (n, sink.rungs[n])
            n += 1


@pytest.mark.parametrize(
    ("name", "mpd"),
    [
        ("num", "manifest.mpd"),  # SegmentTemplate $Number$ + @duration
        ("tl", "manifest.mpd"),  # SegmentTemplate + SegmentTimeline
        ("single", "manifest.mpd"),  # SegmentList with mediaRange, one file per rendition
        ("single", "segbase.mpd"),  # SegmentBase: ranged init, sidx request, ranged media
    ],
)
async def test_ffmpeg_dash_plays_every_frame_once_in_order(content, origin, name, mpd) -> None:
    stream = getattr(content, name)
    source = DashSource(f"{origin}{name}/{mpd}")
    state, sink, events, periods, error, _ = await play(source)
    assert error is None and state is PlayerState.ENDED and periods == 1
    check_frames(sink, [("", 0.0, stream)])
    assert not [e for e in events if isinstance(e, LicenseAcquired)]  # clear: no license
    media = [(p, r) for p, r in SEEN if p.endswith(".mp4")]
    if name == "single":  # init, index and media: every request ranged
        assert media and all(r is not None for _, r in media)
    if mpd == "segbase.mpd":
        data = (stream.dir / "manifest-stream0.mp4").read_bytes()
        sidx = next(b for b in iter_boxes(data) if b.type == "sidx")
        index = f"bytes={sidx.offset}-{sidx.offset + sidx.size - 1}"
        assert ("/single/manifest-stream0.mp4", index) in media


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/num/"


async def test_mpd_base_urls_are_failover_locations(content, origin) -> None:
    text = (content.root / "num" / "manifest.mpd").read_text()
    bases = (
        f'<BaseURL serviceLocation="dead" dvb:priority="1">{_refused_url()}</BaseURL>'
        f'<BaseURL serviceLocation="live" dvb:priority="2">{origin}num/</BaseURL>'
    )
    text = text.replace("<Period", bases + "<Period", 1).replace(
        "<MPD ", '<MPD xmlns:dvb="urn:dvb:dash:dash-extensions:2014-1" ', 1
    )
    (content.root / "num" / "failover.mpd").write_text(text)
    state, sink, events, _, error, _ = await play(DashSource(f"{origin}num/failover.mpd"))
    assert error is None and state is PlayerState.ENDED
    check_frames(sink, [("", 0.0, content.num)])
    failovers = [e for e in events if isinstance(e, OcaFailover)]
    assert failovers and failovers[0].from_oca == "dead" and failovers[0].to_oca == "live"
    served = {e.oca for e in events if isinstance(e, SegmentDownloaded)}
    assert served == {"live"}


async def test_two_periods_play_back_to_back_with_new_ladder_and_offset(content, origin) -> None:
    source = DashSource(f"{origin}two.mpd")
    state, sink, events, periods, error, rebuffer = await play(source, realtime=True)
    assert error is None and state is PlayerState.ENDED
    assert periods == 2  # never a silent end after Period 1
    check_frames(sink, [("", 0.0, content.a), ("p1/", content.a.frames / FPS, content.b)])
    assert rebuffer == 0.0  # on virtual time: the boundary is no stall
    reps = {e.representation for e in events if isinstance(e, SegmentDownloaded)}
    assert reps <= {"0", "1", "2"}  # representation ids repeat across Periods


async def test_start_and_seek_across_periods(content, origin) -> None:
    clock, sink = VirtualClock(), HashSink()
    async with Device(DeviceConfig("nrdp-open-src-0003", "http://127.0.0.1:9"), clock=clock) as dev:
        player = dev.player(sink=sink, config=PlayerConfig(realtime=False, autoplay=False))
        p2 = content.a.frames / FPS
        await player.load(DashSource(f"{origin}two.mpd"), start=p2 + 0.5)  # inside Period 2
        await player.seek(1.0)  # back into Period 1, then play through both
        player.play()
        assert await player.wait_until_done(timeout=60) is PlayerState.ENDED
        assert player.periods_played == 2
        await player.stop()
    first = round(1.0 * FPS)
    assert sink.video_pts[0] == pytest.approx(1.0)
    assert len(sink.video_pts) == content.a.frames - first + content.b.frames
    assert sink.video_digests[0] == content.a.reference[sink.rungs[0]][first]
    assert sink.video_pts == sorted(sink.video_pts)


async def test_an_xlink_period_is_resolved_over_the_playback_channel(content, origin) -> None:
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    ET.register_namespace("", ns["m"])
    ET.register_namespace("xlink", XLINK)
    doc = ET.parse(content.root / "two.mpd")
    mpd = doc.getroot()
    second = mpd.findall("m:Period", ns)[1]
    ET.ElementTree(second).write(content.root / "period-two.xml", encoding="utf-8")
    remote = ET.Element(f"{{{ns['m']}}}Period")
    remote.set(f"{{{XLINK}}}href", "period-two.xml")
    remote.set(f"{{{XLINK}}}actuate", "onLoad")
    mpd.remove(second)
    mpd.append(remote)
    doc.write(content.root / "xlink.mpd", xml_declaration=True, encoding="utf-8")
    state, sink, _, periods, error, _ = await play(DashSource(f"{origin}xlink.mpd"))
    assert error is None and state is PlayerState.ENDED and periods == 2
    check_frames(sink, [("", 0.0, content.a), ("p1/", content.a.frames / FPS, content.b)])
    assert ("/period-two.xml", None) in SEEN


async def test_a_segment_base_period_after_a_template_period(content, origin) -> None:
    state, sink, _, periods, error, rebuffer = await play(
        DashSource(f"{origin}mixed.mpd"), realtime=True
    )
    assert error is None and state is PlayerState.ENDED and periods == 2 and rebuffer == 0.0
    start = content.a.frames / FPS
    check_frames(sink, [("", 0.0, content.a), ("p1/", start, content.single)])
    ranged = [r for p, r in SEEN if p.startswith("/single/")]
    assert ranged and all(r is not None for r in ranged)  # sidx, init and media: all ranged


async def test_clearkey_keys_decrypt_ffmpeg_cenc(content, origin) -> None:
    source = DashSource(f"{origin}enc/manifest.mpd", drm=ClearKey(keys={KID.hex(): KEY.hex()}))
    state, sink, _, _, error, _ = await play(source)
    assert error is None and state is PlayerState.ENDED
    check_frames(sink, [("", 0.0, content.enc)])


@pytest.mark.parametrize(
    ("path", "drm", "expected"),
    [
        ("missing/manifest.mpd", None, HttpStatusError),
        ("page.html", None, SdkError),
        ("broken/manifest.mpd", None, SdkError),
        ("enc/manifest.mpd", None, KeysMissing),
        ("enc/manifest.mpd", ClearKey(keys={KID: bytes(16)}), ContentKeyMismatch),
    ],
    ids=["404-mpd", "html", "segments-404", "no-key", "wrong-key"],
)
async def test_bad_sources_fail_typed(origin, path, drm, expected) -> None:
    source = DashSource(f"{origin}{path}", drm=drm)
    clock = VirtualClock()
    async with Device(DeviceConfig("nrdp-open-src-0002", "http://127.0.0.1:9"), clock=clock) as dev:
        player = dev.player(sink=HashSink(), config=PlayerConfig(realtime=False))
        try:
            await player.load(source)
            state = await player.wait_until_done(timeout=60)
            assert state is PlayerState.ERROR
        except SdkError:
            pass
        error = player.error
        await player.stop()
    assert isinstance(error, expected), repr(error)
    if path == "page.html":
        assert error.category is Category.MANIFEST
    if path.startswith("broken"):
        assert error.category is Category.NETWORK


async def test_unsupported_codec_is_typed_before_any_media_request(content, origin) -> None:
    text = (content.root / "num" / "manifest.mpd").read_text()
    (content.root / "num" / "hevc.mpd").write_text(text.replace('codecs="avc1', 'codecs="dvh1'))
    source = DashSource(f"{origin}num/hevc.mpd")
    with pytest.raises(NoPlayableTrack):
        await play(source)


def test_module_content_is_third_party(content) -> None:
    assert (content.num.dir / "init-stream0.m4s").exists()
    assert Path(content.root / "two.mpd").read_text().count("<Period") == 2


class _RequestsAtFrames(HashSink):
    """Notes how many requests the origin had answered when each video frame arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.seen_at: list[int] = []

    def on_video(self, frame) -> None:  # type: ignore[no-untyped-def]
        super().on_video(frame)
        self.seen_at.append(len(SEEN))


async def test_next_period_init_and_first_segments_are_fetched_before_the_boundary(
    content, origin
) -> None:
    clock, sink = VirtualClock(), _RequestsAtFrames()
    async with Device(DeviceConfig("nrdp-open-src-0009", "http://127.0.0.1:9"), clock=clock) as dev:
        player = dev.player(sink=sink, config=PlayerConfig(realtime=True))
        await player.load(DashSource(f"{origin}two.mpd"))
        assert await player.wait_until_done(timeout=60) is PlayerState.ENDED
        await player.stop()
    paths = [p for p, _ in SEEN]
    first_b = [i for i, p in enumerate(paths) if p.startswith("/pb/")]
    b_inits = [i for i in first_b if "init" in paths[i]]
    b_media = [i for i in first_b if "chunk" in paths[i]]
    last_a_frame = sink.seen_at[content.a.frames - 1]  # requests answered by then
    assert b_inits and b_media
    assert b_inits[0] < last_a_frame and b_media[0] < last_a_frame
    assert len(sink.video_pts) == content.a.frames + content.b.frames
