"""DASH-IF content steering: the manifest, the schedule, the selector's reorder, the client,
and playback over the real fake backend whose steering server ranks OCAs by live health."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.context import BackendConfig
from fake_backend.packager.frame_id import read_frame_id
from fake_backend.runner import Backend
from mediacore.errors import Severity
from nrdp.channels.breaker import BreakerState
from nrdp.config import BufferConfig, DeviceConfig, OcaConfig, PlayerConfig
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector, OcaState
from nrdp.delivery.reasons import FailureReason
from nrdp.delivery.steering import (
    DEFAULT_TTL,
    SteeringManifest,
    SteeringSchedule,
    parse_steering_manifest,
    steering_request_url,
)
from nrdp.delivery.steering_client import MAX_BODY, SteeringClient
from nrdp.device import Device
from nrdp.errors import InvalidArgument, MalformedSteeringManifest
from nrdp.events import (
    ErrorEvent,
    OcaFailover,
    RebufferStarted,
    SegmentDownloaded,
    SteeringUpdated,
)
from nrdp.media.sinks import HashSink
from nrdp.playback.play_api import parse_playback_manifest
from nrdp.state import PlayerState
from nrdp.stats import StatsCollector
from nrdp.testing import FakeClock, Fault, MemoryTransport, VirtualClock

URL = "http://steer.test/steering/v1/dash/t-1?client=dev-1"


def manifest_bytes(**doc: object) -> bytes:
    base: dict[str, object] = {"VERSION": 1, "TTL": 10, "PATHWAY-PRIORITY": ["b", "a"]}
    base.update({k.replace("_", "-"): v for k, v in doc.items()})
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


# ---------------------------------------------------------------- manifest


def test_manifest_parses_and_resolves_a_relative_reload_uri() -> None:
    m = parse_steering_manifest(
        manifest_bytes(RELOAD_URI="next?session=7", PATHWAY_PRIORITY=["b", "a", "b", "c"]),
        url=URL,
    )
    assert m == SteeringManifest(
        version=1,
        ttl=10.0,
        reload_uri="http://steer.test/steering/v1/dash/next?session=7",
        pathway_priority=("b", "a", "c"),  # duplicates: the first occurrence counts
    )
    bare = parse_steering_manifest(b'{"VERSION": 1, "PATHWAY-PRIORITY": ["x"]}', url=URL)
    assert bare.ttl is None and bare.reload_uri is None and bare.pathway_priority == ("x",)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"VERSION"',
        manifest_bytes(VERSION=2),
        manifest_bytes(VERSION="1"),
        manifest_bytes(VERSION=True),
        manifest_bytes(VERSION=None),
        manifest_bytes(TTL=0),
        manifest_bytes(TTL=-5),
        manifest_bytes(TTL="10"),
        manifest_bytes(TTL=True),
        b'{"VERSION": 1, "TTL": NaN, "PATHWAY-PRIORITY": ["a"]}',
        manifest_bytes(RELOAD_URI=""),
        manifest_bytes(RELOAD_URI=5),
        manifest_bytes(RELOAD_URI="ftp://steer.test/x"),
        manifest_bytes(PATHWAY_PRIORITY=None),
        manifest_bytes(PATHWAY_PRIORITY=[]),
        manifest_bytes(PATHWAY_PRIORITY="a"),
        manifest_bytes(PATHWAY_PRIORITY=["a", 3]),
        manifest_bytes(PATHWAY_PRIORITY=["a", ""]),
        manifest_bytes(PATHWAY_PRIORITY=[f"p{i}" for i in range(300)]),
        b"\xff\xfe\x00",
    ],
)
def test_malformed_manifests_are_a_typed_recoverable_error(body: bytes) -> None:
    with pytest.raises(MalformedSteeringManifest) as info:
        parse_steering_manifest(body, url=URL)
    err = info.value
    assert err.code == 8210 and err.severity is Severity.RECOVERABLE
    assert "dev-1" not in str(err)  # the query (a client id, a session) is never in messages


KEYS = st.sampled_from(["VERSION", "TTL", "RELOAD-URI", "PATHWAY-PRIORITY", "x"])
SCALARS = st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8)
JSON_DOCS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=12,
).map(lambda doc: json.dumps(doc).encode())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), JSON_DOCS))
def test_any_body_parses_or_is_malformed_never_another_exception(body: bytes) -> None:
    try:
        m = parse_steering_manifest(body, url=URL)
    except MalformedSteeringManifest:
        return
    assert m.version == 1 and m.pathway_priority
    assert len(set(m.pathway_priority)) == len(m.pathway_priority)
    assert m.ttl is None or m.ttl > 0


# ---------------------------------------------------------------- request URL and schedule


def test_request_url_carries_pathways_and_throughputs_and_replaces_old_ones() -> None:
    echoed = URL + "&_DASH_pathway=%22old%22&_DASH_throughput=1"
    url = steering_request_url(echoed, [("a", 2e6), ("b", None), ("c", 5_000_000.7)])
    q = parse_qs(urlsplit(url).query)
    assert q["client"] == ["dev-1"]
    assert q["_DASH_pathway"] == ['"c,a,b"']  # best throughput first, unknown last
    assert q["_DASH_throughput"] == ["5000000,2000000"]
    assert steering_request_url(echoed, []) == URL  # nothing used: no parameters at all


def test_schedule_clamps_ttl_and_follows_reload_uri() -> None:
    s = SteeringSchedule(URL, initial_ttl=0.2, min_ttl=1.0, max_ttl=60.0)
    assert s.start(100.0) == 101.0  # the Play API's ttl, clamped up to min_ttl
    assert s.delay(100.5) == pytest.approx(0.5)
    assert s.request_url() == URL
    m = parse_steering_manifest(manifest_bytes(TTL=3600, RELOAD_URI="/r?s=1"), url=URL)
    assert s.on_manifest(m, 200.0) == 60.0  # clamped down to max_ttl
    assert s.request_url([("a", None)]).startswith("http://steer.test/r?s=1&_DASH_pathway=")
    no_ttl = parse_steering_manifest(b'{"VERSION":1,"PATHWAY-PRIORITY":["a"]}', url=URL)
    assert s.on_manifest(no_ttl, 300.0) == 60.0 and DEFAULT_TTL > 60.0
    assert s.reload_url == URL  # the new manifest names no RELOAD-URI: back to the server
    with pytest.raises(InvalidArgument):
        SteeringSchedule("steer.test/x")
    with pytest.raises(InvalidArgument):
        SteeringSchedule(URL, min_ttl=5.0, max_ttl=1.0)


def test_schedule_failures_back_off_keep_the_manifest_and_410_ends_steering() -> None:
    s = SteeringSchedule(URL, initial_ttl=2.0, min_ttl=1.0, max_ttl=20.0)
    m = parse_steering_manifest(manifest_bytes(TTL=2, RELOAD_URI="/r"), url=URL)
    s.on_manifest(m, 0.0)
    waits = [s.on_failure(float(i)) for i in range(6)]
    assert waits == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]  # ttl x 2^n, at most 8x (then clamp)
    assert s.manifest is m and s.reload_url == "http://steer.test/r"
    assert s.on_failure(10.0, status=429, retry_after=7.0) == 7.0
    assert s.on_failure(10.0, status=429, retry_after=0.1) == 1.0
    s.on_manifest(m, 20.0)
    assert s.failures == 0 and s.on_failure(21.0) == 2.0
    assert s.on_failure(22.0, status=410) is None
    assert s.stopped and s.delay(23.0) is None


# ---------------------------------------------------------------- selector


def fleet() -> list[Oca]:
    return [Oca(id=i, url=f"http://127.0.0.1:{9000 + n}/", rank=n) for n, i in enumerate("abc")]


def test_reprioritize_moves_a_healthy_selector_to_the_new_top_at_the_next_select() -> None:
    sel = OcaSelector(fleet())
    assert sel.select(0.0).id == "a"  # type: ignore[union-attr]
    assert sel.reprioritize(["zz", "c", "a", "c"], 1.0) == ("c", "a")  # unknown ids ignored
    assert sel.priority == ("c", "a", "b")  # unlisted OCAs stay, last, by rank
    assert sel.select(1.0).id == "c"  # type: ignore[union-attr]
    assert sel.select(1.1).id == "c"  # type: ignore[union-attr]  # sticky again
    assert sel.reprioritize(["nothing-known"], 2.0) == ("c", "a")  # no known id: no change
    assert sel.select(2.0).id == "c"  # type: ignore[union-attr]
    # the current OCA is already the best healthy one: no switch
    sel.report_failure("a", FailureReason.CONNECT, 3.0)
    sel.reprioritize(["a", "c", "b"], 3.0)
    assert sel.select(3.0).id == "c"  # type: ignore[union-attr]


def test_reprioritize_keeps_exclusions_and_their_backoff() -> None:
    sel = OcaSelector(fleet(), OcaConfig(base_exclusion=10.0, max_exclusion=80.0))
    assert sel.select(0.0).id == "a"  # type: ignore[union-attr]
    sel.report_failure("a", FailureReason.CONNECT, 0.0)  # a excluded until 10
    sel.reprioritize(["a", "c", "b"], 1.0)
    assert sel.select(1.0).id == "c"  # type: ignore[union-attr]  # steering cannot revive a
    assert sel.is_excluded("a", 5.0) and sel.health("a").strikes == 1
    # after the backoff a is only probed (half-open), never preferred to a healthy OCA
    assert sel.health("a").state is OcaState.EXCLUDED
    assert sel.select(11.0).id == "c"  # type: ignore[union-attr]
    assert sel.health("a").state is OcaState.PROBING


def test_reprioritize_never_moves_a_suspect_oca_mid_object() -> None:
    sel = OcaSelector(fleet(), OcaConfig(suspect_failures_to_exclude=3))
    assert sel.select(0.0).id == "a"  # type: ignore[union-attr]
    sel.report_failure("a", FailureReason.HTTP_STATUS, 0.0, exclude=False)  # a 429: retry a
    sel.reprioritize(["b", "a"], 0.1)
    assert sel.select(0.2).id == "a"  # type: ignore[union-attr]  # the retry stays on a
    sel.report_success("a", 1000, 0.1, 0.3)  # the object is complete
    assert sel.select(0.4).id == "b"  # type: ignore[union-attr]  # the next one moves


async def test_downloader_finishes_a_retried_segment_on_its_oca_then_follows_steering() -> None:
    ocas = [Oca(id=i, url=f"http://{i}.test/t/", rank=n) for n, i in enumerate("ab")]
    files = {f"http://{o}.test/t/seg-{n}.m4s": bytes([n]) * 50_000 for o in "ab" for n in (1, 2)}
    t = MemoryTransport(files, bandwidth_bps=8e6)
    sel = OcaSelector(ocas)
    dl = Downloader(t, sel, clock=t.clock)
    assert (await dl.fetch("seg-1.m4s")).oca_id == "a"
    t.script("http://a.test/*", Fault(status=429))  # throttled: the policy retries a
    task = asyncio.create_task(dl.fetch("seg-2.m4s"))
    async with asyncio.timeout(5):
        while len(t.requests) < 2:
            await asyncio.sleep(0)
    sel.reprioritize(["b", "a"], t.clock.now())  # steering arrives during the backoff
    res = await task
    assert res.oca_id == "a" and res.data == bytes([2]) * 50_000 and not res.failovers
    assert [u for u, _ in t.requests][-2:] == ["http://a.test/t/seg-2.m4s"] * 2
    assert (await dl.fetch("seg-1.m4s")).oca_id == "b"


# ---------------------------------------------------------------- client (memory transport)


def client_with(
    files: dict[str, bytes], sel: OcaSelector, **kw: object
) -> tuple[SteeringClient, MemoryTransport, list[object]]:
    t = MemoryTransport(files, clock=FakeClock(50.0))
    seen: list[object] = []
    c = SteeringClient(
        t,
        sel,
        URL,
        clock=t.clock,
        initial_ttl=5.0,
        on_update=lambda m, order, ttl: seen.append((order, ttl)),
        on_error=seen.append,
        **kw,  # type: ignore[arg-type]
    )
    return c, t, seen


async def test_client_applies_priority_reports_pathways_and_survives_bad_answers() -> None:
    key = URL.split("?", 1)[0]
    sel = OcaSelector(fleet())
    sel.select(0.0)
    sel.report_success("a", 1_000_000, 1.0, 1.0)  # 8 Mbit/s on a
    c, t, seen = client_with({key: manifest_bytes(TTL=4, PATHWAY_PRIORITY=["c", "b"])}, sel)
    m = await c.refresh()
    assert m is not None and seen == [(("c", "b"), 4.0)]
    assert sel.priority == ("c", "b", "a") and sel.select(1.0).id == "c"  # type: ignore[union-attr]
    q = parse_qs(urlsplit(t.requests[-1][0]).query)
    assert q["_DASH_pathway"] == ['"a"'] and q["_DASH_throughput"] == ["8000000"]
    assert q["client"] == ["dev-1"]
    assert await c.refresh() is not None and len(seen) == 1  # same order: no new update
    # a server error, then garbage: the order stays, one error per failing run
    t.script("*", Fault(status=503))
    assert await c.refresh() is None
    t.files[key] = b"<html>oops</html>"
    assert await c.refresh() is None
    assert len(seen) == 2 and getattr(seen[1], "status", None) == 503
    assert c.schedule.failures == 2 and sel.priority[0] == "c"
    t.files[key] = b'{"VERSION":1,"PATHWAY-PRIORITY":["' + b"x" * MAX_BODY + b'"]}'
    assert await c.refresh() is None and isinstance(c.last_error, MalformedSteeringManifest)
    t.files[key] = manifest_bytes(PATHWAY_PRIORITY=["b"])
    assert await c.refresh() is not None and seen[-1] == (("b",), 10.0)
    # 410 Gone: steering is over for the session
    t.script("*", Fault(status=410))
    assert await c.refresh() is None and c.schedule.stopped
    n = len(t.requests)
    assert await c.refresh() is None and len(t.requests) == n


async def test_client_task_polls_on_its_schedule_and_stops_cleanly() -> None:
    key = URL.split("?", 1)[0]
    sel = OcaSelector(fleet())
    slept: list[float] = []
    clock = FakeClock(0.0)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    t = MemoryTransport({key: manifest_bytes(TTL=3)}, clock=clock)
    t.script("*", Fault(refuse=True), Fault(refuse=True))
    errors: list[object] = []
    c = SteeringClient(
        t, sel, URL, clock=clock, initial_ttl=2.0, sleep=sleep, on_error=errors.append
    )
    c.start()
    async with asyncio.timeout(5):
        while len(slept) < 5:
            await asyncio.sleep(0)
    await c.close()
    assert not c.running
    # first one TTL after the Play API, then refused twice (2 s, 4 s), then the manifest's 3 s
    assert slept[:5] == [2.0, 2.0, 4.0, 3.0, 3.0]
    assert len(errors) == 1 and sel.priority[0] == "b"


# ---------------------------------------------------------------- Play API, events, stats


def test_play_api_steering_entry_is_parsed_and_a_bad_one_is_ignored() -> None:
    doc = {
        "playback_id": "pb_1",
        "title_id": "t-1",
        "manifest": {"mpd_url": "http://o/t/manifest.mpd"},
        "license": {"url": "http://l/"},
        "oca_candidates": [{"oca_id": "oca-1", "base_url": "http://o/t/", "rank": 1}],
        "steering": {"server_url": URL, "ttl_s": 10},
    }
    pm = parse_playback_manifest(doc)
    assert pm.steering_url == URL and pm.steering_ttl == 10.0
    for bad in ({"server_url": "nope", "ttl_s": 1}, "x", None):
        assert parse_playback_manifest({**doc, "steering": bad}).steering_url is None
    odd = parse_playback_manifest({**doc, "steering": {"server_url": URL, "ttl_s": "soon"}})
    assert odd.steering_url == URL and odd.steering_ttl is None


def test_steering_event_validates_and_feeds_stats() -> None:
    with pytest.raises(InvalidArgument):
        SteeringUpdated(at=0.0, pathways=["a"], ttl=1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        SteeringUpdated(at=0.0, pathways=("a",), ttl=-1.0)
    stats = StatsCollector()
    assert stats.snapshot(0.0).steering_pathways == ()
    stats.on_event(SteeringUpdated(at=1.0, pathways=("b", "a"), ttl=10.0))
    assert stats.snapshot(2.0).steering_pathways == ("b", "a")
    assert SteeringUpdated(at=1.0, pathways=("b",), ttl=1.0).to_dict()["pathways"] == ("b",)


# ---------------------------------------------------------------- end to end


def device_config(be: Backend, n: int) -> DeviceConfig:
    return DeviceConfig(f"nrdp-steering-device-{n:04d}", be.gateway_url)


async def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_steering_moves_playback_to_the_new_top_oca_without_failover(make_backend, http, nb):
    be = await make_backend(config=BackendConfig(steering_ttl_s=1))
    async with Device(device_config(be, 1)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        buffer = BufferConfig(start=1.0, rebuffer=1.0, target=2.0, max_ahead=2.0)
        player = dev.player(sink=sink, config=PlayerConfig(autoplay=False, buffer=buffer))
        events: list[object] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        assert player.manifest is not None and player.manifest.steering_url is not None
        first = player.manifest.ocas[0].id
        # the first segments come from the Play API's best OCA while paused
        await wait_for(lambda: any(isinstance(e, SegmentDownloaded) for e in events))
        assert {e.oca for e in events if isinstance(e, SegmentDownloaded)} == {first}
        # the fleet now sees errors on that OCA (for another title: our requests are fine),
        # so the steering server ranks it lower; nothing of ours fails
        index = int(first.rsplit("-", 1)[1]) - 1
        await nb.set_faults(http, be, index, error_rate=0.6, paths="t-other/*")

        def moved() -> bool:
            return any(isinstance(e, SteeringUpdated) and e.pathways[0] != first for e in events)

        await wait_for(moved)
        mark = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, SteeringUpdated) and e.pathways[0] != first
        )
        top = events[mark].pathways[0]  # type: ignore[attr-defined]
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        # segments 3 and 4 reach past max_ahead from the paused playhead at 0: they were
        # requested after play(), so after the update (a fetch in flight then may finish
        # on the old OCA: steering never moves a request)
        after = [e for e in events if isinstance(e, SegmentDownloaded) and e.number >= 3]
        assert len(after) >= 4 and {e.oca for e in after} == {top}
        assert all(events.index(e) > mark for e in after)
        assert not [e for e in events if isinstance(e, OcaFailover | RebufferStarted)]
        assert not [e for e in events if isinstance(e, ErrorEvent)]
        assert sink.frame_ids == list(range(nb.FRAMES))
        stats = player.stats()
        assert stats.steering_pathways[0] == top and stats.current_oca == top
        assert stats.stall_count == 0 and stats.oca_failovers == 0
        # the steering requests said which OCA served us (the server echoes them in
        # RELOAD-URI), and kept the server's own parameters
        assert player._session is not None
        steering = player._session.steering
        assert steering is not None
        assert steering.schedule.manifest is not None
        reload_uri = steering.schedule.manifest.reload_uri
        assert reload_uri is not None
        q = parse_qs(urlsplit(reload_uri).query)
        assert q["client"] == [dev.config.device_id] and q["_DASH_pathway"][0].startswith('"')
        assert first in q["_DASH_pathway"][0] or top in q["_DASH_pathway"][0]
        await player.stop()
        assert player._session is None and not steering.running


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("mode", ["refused", "silent"])
async def test_dead_steering_server_never_stalls_playback(make_backend, nb, mode):
    be = await make_backend(config=BackendConfig(steering_ttl_s=1))
    held: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # read the request, answer nothing until the client gives up

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    dead = _refused_url() if mode == "refused" else f"http://127.0.0.1:{port}"
    try:  # on virtual time: a busy machine cannot make a frame late
        async with Device(device_config(be, 2), clock=VirtualClock()) as dev:
            await dev.login(be.demo_email, be.demo_password)
            sink = HashSink(read_frame_id)
            buffer = BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0)
            player = dev.player(sink=sink, config=PlayerConfig(buffer=buffer))
            events: list[object] = []
            player.on_event(events.append)
            real, be.ctx.steering_url = be.ctx.steering_url, dead  # the Play API names it
            try:
                await player.load(nb.TITLE.id)
            finally:
                be.ctx.steering_url = real
            assert player.manifest is not None
            assert (player.manifest.steering_url or "").startswith(dead)
            assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
            # the steering request failed (a non-fatal error), playback did not notice
            await wait_for(lambda: any(isinstance(e, ErrorEvent) for e in events))
            errors = [e for e in events if isinstance(e, ErrorEvent)]
            assert all(not e.fatal and e.error["category"] == "NETWORK" for e in errors)
            assert not [e for e in events if isinstance(e, SteeringUpdated | RebufferStarted)]
            assert not [e for e in events if isinstance(e, OcaFailover)]
            assert sink.frame_ids == list(range(nb.FRAMES))
            stats = player.stats()
            assert stats.stall_count == 0 and stats.steering_pathways == ()
            assert dev.playback.breaker.state is BreakerState.CLOSED
            await player.stop()
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


async def test_steering_can_be_turned_off(make_backend, http, nb):
    be = await make_backend(config=BackendConfig(steering_ttl_s=1))
    async with Device(device_config(be, 3)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        config = PlayerConfig(autoplay=False, oca=OcaConfig(steering=False))
        player = dev.player(config=config)
        events: list[object] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        assert player.manifest is not None and player.manifest.steering_url is not None
        first = player.manifest.ocas[0].id
        await nb.set_faults(http, be, int(first.rsplit("-", 1)[1]) - 1, error_rate=0.6, paths="x/*")
        await asyncio.sleep(2.5)  # more than two steering TTLs
        assert player._session is not None and player._session.steering is None
        assert not [e for e in events if isinstance(e, SteeringUpdated)]
        assert player.engine is not None
        assert player.engine.downloader.selector.steering_order == ()
        await player.stop()
