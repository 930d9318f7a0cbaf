"""Buffer-derived request deadlines (issue 17 #2): a response that trickles just above the
progress rule's byte rate, and so passes it, still cannot take longer than the track's
buffer can afford; it trips, fails over to the healthy OCA and resumes by Range before
the buffer runs dry.

The engine runs on virtual time against a real local OCA (two locations on 127.0.0.1);
the trickle is paced on the same virtual clock, so a busy machine changes nothing.
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import AsyncIterator, Mapping

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import abr.registry
from fake_backend.packager.frame_id import read_frame_id
from manifest import parse_mpd
from nrdp.channels.http import Channel
from nrdp.config import BufferConfig, DeviceCapabilities, PlaybackChannelConfig, PlayerConfig
from nrdp.delivery.deadlines import (
    STARTUP_BUDGETS,
    BufferDeadlineRule,
    Drain,
    StartupBudgets,
    media_deadline,
)
from nrdp.delivery.downloader import Downloader, SegmentResponse
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.progress import ProgressRule
from nrdp.errors import InvalidArgument, ThroughputTooLow
from nrdp.events import RebufferStarted
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink
from nrdp.scheduler.decisions import buffer_drain
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.tracks import select_tracks
from nrdp.state import PlayerEvent, PlayerState
from nrdp.testing import MemoryTransport, VirtualClock

# -- pure ------------------------------------------------------------------------------------


def test_playing_the_deadline_is_the_buffer_less_a_margin_with_a_floor():
    rule = BufferDeadlineRule(margin_s=0.5, floor_s=2.0, waiting_s=10.0)
    assert media_deadline(6.0, Drain.PLAYING, rule) == pytest.approx(5.5)
    assert media_deadline(2.2, Drain.PLAYING, rule) == 2.0  # a tiny buffer: the floor
    assert media_deadline(0.0, Drain.PLAYING, rule) == 2.0  # never an instant trip
    assert media_deadline(0.0, Drain.WAITING, rule) == 10.0  # startup/stall: fixed budget
    assert media_deadline(30.0, Drain.IDLE, rule) is None  # paused: nothing runs dry


def test_drain_follows_the_state_the_clock_and_the_hold():
    def drain(state: PlayerState, realtime: bool = True, holding: bool = False) -> Drain:
        return buffer_drain(state, realtime=realtime, holding=holding)

    assert drain(PlayerState.PLAYING) is Drain.PLAYING
    assert drain(PlayerState.PLAYING, holding=True) is Drain.WAITING  # a Period boundary
    for waiting in (PlayerState.LOADING, PlayerState.BUFFERING, PlayerState.SEEKING):
        assert drain(waiting) is Drain.WAITING
    assert drain(PlayerState.PAUSED) is Drain.IDLE
    assert drain(PlayerState.PLAYING, realtime=False) is Drain.IDLE  # as fast as possible


def test_rules_and_budgets_refuse_nonsense():
    with pytest.raises(InvalidArgument):
        BufferDeadlineRule(floor_s=0.0)
    with pytest.raises(InvalidArgument):
        BufferDeadlineRule(margin_s=-1.0)
    with pytest.raises(InvalidArgument):
        StartupBudgets(mpd_s=0.0)
    assert STARTUP_BUDGETS.mpd_s > 0 and STARTUP_BUDGETS.index_s > 0


# -- the downloader (in memory, fake clock) -----------------------------------------------------

BODY = bytes(range(256)) * 1000  # 256000 bytes: 2 s at 1 Mbit/s


async def test_a_missed_deadline_fails_over_and_resumes_on_the_next_location():
    t = MemoryTransport({"http://a/t/s": BODY, "http://b/t/s": BODY}, bandwidth_bps=1_024_000)
    sel = OcaSelector([Oca("a", "http://a/t/", rank=0), Oca("b", "http://b/t/", rank=1)])
    res = await Downloader(t, sel, clock=t.clock).fetch("s", deadline_s=1.0)
    assert res.data == BODY and res.oca_id == "b"
    first = res.attempts[0]
    assert first.error == "ThroughputTooLow" and 0 < first.received < len(BODY)
    assert res.attempts[-1].resumed_from == first.received
    assert t.clock.now() < 2.5  # 1 s on a, then the rest: not 2 s and then some


async def test_with_nowhere_else_to_go_a_missed_deadline_reads_on_instead_of_failing():
    t = MemoryTransport({"http://a/t/s": BODY}, bandwidth_bps=1_024_000)
    sel = OcaSelector([Oca("a", "http://a/t/", rank=0)])
    res = await Downloader(t, sel, clock=t.clock).fetch("s", deadline_s=1.0)
    assert res.data == BODY and [a.error for a in res.attempts] == ["ThroughputTooLow", None]
    # the window rule still ends a real trickle: it raises, the deadline does not
    slow = MemoryTransport({"http://a/t/s": BODY}, bandwidth_bps=64.0, chunk=64)
    dl = Downloader(slow, OcaSelector([Oca("a", "http://a/t/")]), clock=slow.clock)
    with pytest.raises(ThroughputTooLow) as info:
        await dl.fetch("s", deadline_s=1.0)
    assert info.value.rule == "window"


# -- the engine on virtual time against a real local OCA ---------------------------------------


class _Trickled:
    """A response whose body reaches the reader at ``bytes_per_s`` of virtual time."""

    PIECE = 256

    def __init__(self, inner: SegmentResponse, clock: VirtualClock, bytes_per_s: float) -> None:
        self.inner, self.clock, self.rate = inner, clock, bytes_per_s
        self.pending = b""

    @property
    def status(self) -> int:
        return self.inner.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.inner.headers

    @property
    def content_length(self) -> int | None:
        return self.inner.content_length

    async def read_chunk(self, timeout: float, size: int = 65536) -> bytes:
        if not self.pending:
            self.pending = await self.inner.read_chunk(10.0)
            if not self.pending:
                return b""
        piece = self.pending[: self.PIECE]
        takes = len(piece) / self.rate
        if takes > timeout:
            await self.clock.sleep(timeout)
            raise TimeoutError("trickle")
        await self.clock.sleep(takes)
        self.pending = self.pending[len(piece) :]
        return piece


class TricklingChannel:
    """The playback channel, with the responses of URLs matching ``glob`` trickled."""

    def __init__(self, inner: Channel, clock: VirtualClock, glob: str, bytes_per_s: float):
        self.inner, self.clock, self.glob, self.rate = inner, clock, glob, bytes_per_s
        self.trickled: list[str] = []

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[SegmentResponse]:
        async with self.inner.stream(method, url, headers=headers) as resp:
            if fnmatch.fnmatchcase(url, self.glob):
                self.trickled.append(url)
                yield _Trickled(resp, self.clock, self.rate)
            else:
                yield resp


@pytest.fixture
async def two_locations(make_backend, nb):
    """The clear test title served from two locations, /a/ and /b/, on one local server."""
    be = await make_backend(encrypted=False, ocas=1)
    root = be.origin.file_path(nb.TITLE.id, "manifest.mpd").parent

    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(root / request.match_info["path"])

    app = web.Application()
    app.router.add_get("/{oca:[ab]}/{path:.+}", serve)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv, root
    await srv.close()


LAST_AUDIO = "*/a/a*/seg-4.m4s"
"""The last audio segment from the first location: requested while playing, with about
the buffer target ahead (audio: no rung, so only the progress rule judges its speed)."""


async def test_a_trickle_above_the_byte_rate_fails_over_before_the_buffer_runs_dry(
    two_locations, nb
):
    srv, root = two_locations
    clock = VirtualClock()
    size = max(p.stat().st_size for p in root.glob("a*/seg-4.m4s"))
    rate = size / 8.0  # the whole segment takes 8 s: far longer than the 3 s buffer lasts
    # the progress rule asks for less than that rate: the trickle passes it every window
    rule = ProgressRule(window_s=2.0, min_bytes=max(1, int(rate * 2.0 * 0.75)))
    base = str(srv.make_url("/"))
    manifest = parse_mpd((root / "manifest.mpd").read_bytes(), base + "a/manifest.mpd")
    cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=3.0, max_ahead=4.0))
    sink, events, failovers = HashSink(read_frame_id), [], []  # type: ignore[var-annotated]
    async with Channel(PlaybackChannelConfig()) as ch:
        channel = TricklingChannel(ch, clock, LAST_AUDIO, rate)
        selector = OcaSelector([Oca("a", base + "a/", rank=0), Oca("b", base + "b/", rank=1)])
        downloader = Downloader(
            channel,
            selector,
            clock=clock,
            progress=rule,
            stall_timeout=3.0,
            on_failover=lambda *a: failovers.append(a),
        )
        pipe = MediaPipeline()
        engine = PlaybackEngine(
            tracks=select_tracks(manifest, DeviceCapabilities()),
            downloader=downloader,
            pipeline=pipe,
            abr=abr.registry.create("throughput"),
            sink=sink,
            config=cfg,
            clock=clock,
            emit=events.append,
            duration=manifest.media_presentation_duration,
        )
        engine.process(PlayerEvent.LOAD)
        engine.reset_for(0.0)
        engine.process(PlayerEvent.LOADED)
        try:
            await engine.run()
        finally:
            pipe.close()
    assert channel.trickled, "the trickled segment was never asked of the first location"
    assert engine.state.state is PlayerState.ENDED
    assert sink.frame_ids == list(range(nb.FRAMES))
    assert failovers and failovers[0][:2] == ("a", "b") and failovers[0][2] == "slow"
    # without the deadline the 8 s trickle outlasts the buffer: a stall of about 5 s
    assert not [e for e in events if isinstance(e, RebufferStarted)]
    assert clock.now() < nb.TITLE.duration_s + 1.0
