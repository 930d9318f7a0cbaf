"""A throughput trace on the serving OCA, in real time: the video quality follows it down and
back up, and with a flat 2x-the-lowest-rung link there is no stall after startup.

The OCA paces every response by its fault plan's ``trace`` (``[[t_s, kbps], ...]`` from when
the plan is set, looping), the control-plane path ``apps/headless`` uses for ``--trace``.
The title is longer than the suite's 4 s one (12 one-second segments), encoded once here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fake_backend.catalog import CatalogTitle, short_title
from fake_backend.packager import EncodedTitle, encode_title, package_title, spec_for_title
from fake_backend.packager.frame_id import read_frame_id
from fake_backend.runner import Backend
from nrdp.config import AbrConfig, BufferConfig, DeviceConfig, LoadErrorConfig, PlayerConfig
from nrdp.device import Device
from nrdp.events import QualityChanged, SegmentDownloaded
from nrdp.media.sinks import HashSink
from nrdp.scheduler.buffer import TrackKind
from nrdp.state import PlayerState

FPS = 10
TITLE = short_title("t-trace", (b"\x33" * 16, b"\x44" * 16), duration_s=12.0)
FRAMES = int(TITLE.duration_s * FPS)
SPEC = replace(spec_for_title(TITLE, ()), fps=FPS)
LOWEST_KBPS = min(r.bitrate_kbps for r in TITLE.renditions if r.kind == "video")
CONFIG = PlayerConfig(
    buffer=BufferConfig(start=1.0, rebuffer=1.0, target=3.0, max_ahead=4.0),
    # rate-based over the last 2 samples: follows a link change within a segment or two (the
    # default EWMA pair weighs samples by transfer time and recovers over tens of seconds)
    abr=AbrConfig(algorithm="rb", params={"window": 2}),
    # a download abandoned as too slow for its rung excludes that rung for a while (60 s by
    # default): keep that shorter than the test so the rung can come back
    load_error=LoadErrorConfig(track_exclusion=1.5),
)


class _Materializer:
    def __init__(self, encoded: EncodedTitle) -> None:
        self.encoded = encoded

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        kids = {"video": title.kid_for("video"), "audio": title.kid_for("audio")}
        package_title(SPEC, dest, keys=keys, kids=kids, encoded=self.encoded, poster=False)


@pytest.fixture(scope="module")
def encoded_long() -> EncodedTitle:
    return encode_title(SPEC.title_spec())


@pytest.fixture
async def trace_backend(tmp_path: Path, encoded_long: EncodedTitle) -> AsyncIterator[Backend]:
    be = Backend(tmp_path / "b", materializer=_Materializer(encoded_long), ocas=1, catalog=[TITLE])
    await be.start()
    try:
        yield be
    finally:
        await be.close()


async def _play(be: Backend, http: Any, plan: dict[str, Any], n: int) -> tuple[Any, list[Any]]:
    async with http.put(be.control_urls[0] + "/faults", json=plan, headers=be.control_headers) as r:
        assert r.status == 200, await r.text()
    async with Device(DeviceConfig(f"nrdp-trace-device-{n:04d}", be.gateway_url)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        events: list[Any] = []
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=CONFIG)
        player.on_event(events.append)
        await player.load(TITLE.id)
        state = await player.wait_until_done(timeout=40)
        assert state is PlayerState.ENDED, player.stats().last_error
        assert sink.frame_ids == [i for i in sink.frame_ids if i is not None]
        assert sink.frame_ids == sorted(set(sink.frame_ids))  # in order, never twice
        stats = player.stats()
        await player.stop()
    return stats, events


def _video_rungs(events: list[Any]) -> list[int]:
    return [
        e.rung for e in events if isinstance(e, SegmentDownloaded) and e.track is TrackKind.VIDEO
    ]


def _runs(seq: list[int]) -> list[int]:
    """The sequence with repeats collapsed: [1, 1, 0, 0, 1] -> [1, 0, 1]."""
    out: list[int] = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


async def test_quality_follows_a_trace_down_and_back_up(trace_backend, http):
    # fast (8x the top rung), below the top rung for 2.5 s, then fast again for good
    trace = [[0.0, 6000.0], [2.5, 450.0], [5.0, 6000.0], [60.0, 6000.0]]
    stats, events = await _play(trace_backend, http, {"trace": trace}, 1)
    runs = _runs(_video_rungs(events))
    top = max(runs)
    assert top >= 1, runs
    # up to the top rung, down below it when the link slowed, back up when it recovered
    first_top = runs.index(top)
    later = runs[first_top + 1 :]
    assert later and min(later) < top, runs
    assert top in later[later.index(min(later)) :], runs
    switches = [e for e in events if isinstance(e, QualityChanged) and e.track is TrackKind.VIDEO]
    assert len(switches) >= 3 and stats.switch_count >= 2


async def test_twice_the_lowest_rung_never_stalls_after_startup(trace_backend, http):
    stats, events = await _play(trace_backend, http, {"bandwidth_kbps": 2 * LOWEST_KBPS}, 2)
    assert stats.startup_time is not None
    assert stats.stall_count == 0 and stats.stall_time == 0.0, stats
    assert stats.presented_frames + stats.dropped_frames == FRAMES
    assert _video_rungs(events) and stats.bytes_downloaded > 0
