"""Live channels over real HTTP on 127.0.0.1, on the backend's virtual clock: the dynamic
MPDs ($Time$ and $Number$), segment availability, tokens, the time endpoints, discovery and
the Play API, and every control fault."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from fake_backend.live.channel import ChannelConfig
from fake_backend.live.service import default_channels
from fake_backend.packager import PackagerMaterializer
from fake_backend.runner import Backend
from manifest import parse_mpd
from manifest.model import Manifest
from mediacore.boxes import find_first
from nrdp.live import live_window

TOKEN = "X-Nrdp-Playback-Token"


class VirtualClock:
    def __init__(self) -> None:
        self.t = float(int(time.time()))

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def live(
    tmp_path: Path, http: aiohttp.ClientSession, fb: SimpleNamespace
) -> AsyncIterator[SimpleNamespace]:
    clock = VirtualClock()
    be = Backend(
        tmp_path / "data",
        catalog=[],
        live=default_channels(segment_s=2.0, time_shift_buffer_s=20.0),
        live_start=clock.t - 100.0,
        clock=clock,
        content_scale=0.02,
        ocas=2,
        config=fb.with_control_token(fb.BackendConfig(oca_require_token=True)),
    )
    await be.start()
    try:
        c = await fb.login_as(http, be)
        plays = {}
        for cid in ("live-news", "live-sports"):
            status, doc = await c.play(cid)
            assert status == 200, doc
            plays[cid] = doc.get("data", doc)
        yield SimpleNamespace(be=be, clock=clock, client=c, plays=plays)
    finally:
        await be.close()


async def get(http: aiohttp.ClientSession, url: str, token: str | None) -> tuple[int, bytes, Any]:
    headers = {TOKEN: token} if token else {}
    async with http.get(url, headers=headers) as r:
        return r.status, await r.read(), r.headers


async def mpd(http: aiohttp.ClientSession, lv: SimpleNamespace, cid: str) -> Manifest:
    play = lv.plays[cid]
    status, body, _ = await get(http, play["manifest"]["mpd_url"], play["playback_token"])
    assert status == 200, body[:200]
    return parse_mpd(body, play["manifest"]["mpd_url"])


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


async def seg(http: aiohttp.ClientSession, lv: SimpleNamespace, cid: str, url: str) -> int:
    status, _, _ = await get(http, url, lv.plays[cid]["playback_token"])
    return status


def newest_url(m: Manifest, now: datetime, period: int = -1) -> str:
    rep = m.periods[period].adaptation_sets[0].representations[0]
    assert m.availability_start_time is not None
    edge = (now - m.availability_start_time).total_seconds()
    return next(r.url for r in reversed(list(rep.segments(now))) if r.end <= edge)


async def test_play_api_and_discovery_list_live_channels(live: SimpleNamespace) -> None:
    play = live.plays["live-news"]
    assert play["live"] is True and play["manifest"]["mpd_url"].endswith(
        "/titles/live-news/manifest.mpd"
    )
    status, doc, _ = await live.client.get("/discovery/v1/home")
    assert status == 200
    rows = doc.get("data", doc)["rows"]
    live_row = next(r for r in rows if r["id"] == "live")
    assert {i["id"] for i in live_row["items"]} == {"live-news", "live-sports"}
    assert all(i["live"] for i in live_row["items"])


@pytest.mark.parametrize("cid", ["live-news", "live-sports"])
async def test_dynamic_mpd_follows_the_clock(
    live: SimpleNamespace, http: aiohttp.ClientSession, cid: str
) -> None:
    m1 = await mpd(http, live, cid)
    assert m1.is_dynamic and m1.time_shift_buffer_depth == 20.0 and m1.minimum_update_period == 2.0
    assert m1.availability_start_time == utc(live.clock.t - 100.0)
    sets = m1.periods[0].adaptation_sets
    assert [(a.kind, len(a.representations)) for a in sets] == [("video", 2), ("audio", 1)]
    w1 = live_window(m1, utc(live.clock.t))
    assert w1.edge == 100.0 and w1.now_s == 100.0
    assert w1.dvr_start >= 100.0 - 20.0 - 4.0
    live.clock.t += 7.0
    m2 = await mpd(http, live, cid)
    assert live_window(m2, utc(live.clock.t)).edge == 106.0
    template = m2.periods[0].adaptation_sets[0].representations[0].addressing
    assert (template.timeline is not None) == (cid == "live-news")  # type: ignore[union-attr]


@pytest.mark.parametrize("cid", ["live-news", "live-sports"])
async def test_segments_available_only_inside_the_window(
    live: SimpleNamespace, http: aiohttp.ClientSession, cid: str
) -> None:
    now = utc(live.clock.t)
    m = await mpd(http, live, cid)
    rep = m.periods[0].adaptation_sets[0].representations[0]
    newest = rep.segment_at(99.0, now)
    assert await seg(http, live, cid, newest.url) == 200
    if cid == "live-news":  # the timeline does not list it yet: next $Time$
        step = round(newest.duration * newest.timescale)
        later = newest.url.replace(f"live-{newest.time}.", f"live-{newest.time + step}.")
    else:
        later = newest.url.replace(f"live-{newest.number}.", f"live-{newest.number + 1}.")
    assert await seg(http, live, cid, later) == 404  # not yet available
    live.clock.t += 2.0
    assert await seg(http, live, cid, later) == 200
    live.clock.t += 40.0
    assert await seg(http, live, cid, newest.url) == 404  # left the time-shift window
    assert await seg(http, live, cid, newest.url.replace("live-", "bogus-")) in (403, 404)


async def test_segments_need_the_playback_token(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    m = await mpd(http, live, "live-news")
    url = newest_url(m, utc(live.clock.t))
    assert (await get(http, url, None))[0] == 403
    assert (await get(http, url, live.plays["live-sports"]["playback_token"]))[0] == 403
    assert (await get(http, live.plays["live-news"]["manifest"]["mpd_url"], None))[0] == 403


async def test_time_endpoints_and_clock_skew(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    base = live.plays["live-news"]["manifest"]["mpd_url"].split("/titles/")[0]
    for path in ("/time/v1/xsdate", "/time/v1/iso"):
        status, body, _ = await get(http, base + path, None)
        assert status == 200 and datetime.fromisoformat(
            body.decode().replace("Z", "+00:00")
        ) == utc(live.clock.t)
    async with http.put(live.be.control_url + "/control/v1/live/clock", json={"skew_s": 30}) as r:
        assert r.status == 200
    async with http.head(base + "/time/v1/head") as r:
        assert parsedate_to_datetime(r.headers["Date"]) == utc(live.clock.t + 30)
    m = await mpd(http, live, "live-news")
    assert [(u.value or "").removeprefix(base) for u in m.utc_timings] == [
        "/time/v1/xsdate",
        "/time/v1/head",
    ]
    async with http.put(live.be.control_url + "/control/v1/live/clock", json={"skew_s": "x"}) as r:
        assert r.status == 400


async def control(
    http: aiohttp.ClientSession, lv: SimpleNamespace, path: str, doc: Any = None
) -> Any:
    async with http.post(lv.be.control_url + "/control/v1/live/" + path, json=doc or {}) as r:
        body = await r.json()
        assert r.status == 200, body
        return body


async def test_late_segment_appears_after_its_delay(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    state = await control(http, live, "live-sports/late", {"segments": 1, "seconds": 3})
    assert state["late"] == {"50": 3.0}  # segment index 50: [100, 102)
    url = live.plays["live-sports"]["manifest"]["mpd_url"].replace(
        "manifest.mpd", "v240/live-51.m4s"
    )
    live.clock.t += 2.0  # advertised availability
    assert await seg(http, live, "live-sports", url) == 404
    live.clock.t += 2.9
    assert await seg(http, live, "live-sports", url) == 404
    live.clock.t += 0.1
    assert await seg(http, live, "live-sports", url) == 200


async def test_missing_segment_stays_missing(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    await control(http, live, "live-sports/missing", {"segments": 1, "after": 1})
    base = live.plays["live-sports"]["manifest"]["mpd_url"].replace("manifest.mpd", "")
    live.clock.t += 10.0
    assert [
        await seg(http, live, "live-sports", f"{base}v240/live-{n}.m4s") for n in (51, 52, 53)
    ] == [200, 404, 200]
    async with http.delete(live.be.control_url + "/control/v1/live/live-sports/faults") as r:
        assert r.status == 200
    assert await seg(http, live, "live-sports", f"{base}v240/live-52.m4s") == 200


@pytest.mark.parametrize("cid", ["live-news", "live-sports"])
async def test_ad_break_period_boundary(
    live: SimpleNamespace, http: aiohttp.ClientSession, cid: str
) -> None:
    state = await control(http, live, f"{cid}/period", {"in_s": 3})
    assert state["periods"] == [0, 52]  # ceil((100 + 3) / 2)
    live.clock.t += 10.0
    m = await mpd(http, live, cid)
    assert [(p.id, p.start_time) for p in m.periods] == [("p0", 0.0), ("p1", 104.0)]
    now = utc(live.clock.t)
    before = list(m.periods[0].adaptation_sets[0].representations[0].segments(now))
    after = list(m.periods[1].adaptation_sets[0].representations[0].segments(now))
    assert before[-1].end == 104.0 and after[0].start == 104.0
    assert after[0].time == before[-1].time + round(
        2.0 * before[-1].timescale
    )  # media time runs on
    assert live_window(m, now).edge == 110.0
    assert await seg(http, live, cid, after[0].url) == 200


async def test_end_of_event_turns_the_mpd_static(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    state = await control(http, live, "live-news/end")
    assert state["ended_at"] == 50
    live.clock.t += 6.0
    m = await mpd(http, live, "live-news")
    assert (
        not m.is_dynamic
        and m.media_presentation_duration == 100.0
        and m.minimum_update_period is None
    )
    rep = m.periods[0].adaptation_sets[0].representations[0]
    assert list(rep.segments())[-1].end == 100.0
    url = rep.segment_at(99.0).url
    assert await seg(http, live, "live-news", url) == 200
    assert await seg(http, live, "live-news", url.replace("live-98000", "live-100000")) == 404


async def test_control_errors(live: SimpleNamespace, http: aiohttp.ClientSession) -> None:
    async with http.post(live.be.control_url + "/control/v1/live/nope/end") as r:
        assert r.status == 404
    async with http.post(
        live.be.control_url + "/control/v1/live/live-news/late", json={"segments": 0}
    ) as r:
        assert r.status == 400
    async with http.get(live.be.control_url + "/control/v1/live") as r:
        doc = await r.json()
    assert {c["id"] for c in doc["channels"]} == {"live-news", "live-sports"}


async def test_encoded_channel_serves_encrypted_fragments_retimed(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Real packaged (CENC) media: each served fragment's tfdt is the MPD's $Time$, loop
    after loop; the init is the protected on-demand one."""
    cfg = ChannelConfig(
        "live-enc", "enc", "time", segment_s=1.0, loop_s=4.0, time_shift_buffer_s=10.0
    )
    async with Backend(
        tmp_path / "enc", catalog=[], live=(cfg,), materializer=PackagerMaterializer(), ocas=1
    ) as be:
        url = be.oca_urls[0] + "/titles/live-enc/manifest.mpd"
        async with http.get(url) as r:
            m = parse_mpd(await r.read(), url)
        now = datetime.now(UTC)
        assert m.availability_start_time is not None
        edge = (now - m.availability_start_time).total_seconds()
        for aset in m.periods[0].adaptation_sets:
            rep = aset.representations[0]
            refs = [x for x in rep.segments(now) if x.end <= edge][-6:]
            assert len(refs) >= 5  # more than one 4-segment loop
            init = rep.init_segment()
            assert init is not None
            async with http.get(init.url) as r:
                assert r.status == 200 and find_first(await r.read(), "moov/pssh") is not None
            for ref in refs:
                async with http.get(ref.url) as r:
                    assert r.status == 200
                    data = await r.read()
                tfdt = find_first(data, "moof/traf/tfdt")
                assert tfdt is not None and find_first(data, "moof/traf/senc") is not None
                version, _ = tfdt.full_header()
                f = tfdt.fields(4)
                assert (f.u64() if version == 1 else f.u32()) == ref.time


async def test_a_downed_oca_serves_no_live_content(
    live: SimpleNamespace, http: aiohttp.ClientSession
) -> None:
    play = live.plays["live-news"]
    oca = next(
        c for c in play["oca_candidates"] if play["manifest"]["mpd_url"].startswith(c["base_url"])
    )
    async with http.post(f"{live.be.control_url}/control/v1/ocas/{oca['oca_id']}/down") as r:
        assert r.status == 200
    with pytest.raises(aiohttp.ClientError):
        await get(http, play["manifest"]["mpd_url"], play["playback_token"])
