"""Live channels in the running backend: catalog rows, the OCAs' live routes, the time
endpoints (UTCTiming) and the control endpoints.

OCAs: ``/titles/<channel>/manifest.mpd`` and ``/titles/<channel>/<rep>/live-<n>.m4s`` are
answered here (a middleware in front of the file route, so the usual playback-token check
and the channel's on-demand files such as ``init.mp4`` stay the OCA's); ``/time/v1/xsdate``,
``/iso`` and ``/head`` tell the (skewable) server time. Everything is a function of the
backend's clock, so tests drive it with virtual time.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime as http_date
from typing import Any

from aiohttp import web

from fake_backend.catalog import AUDIO_RUNG, VIDEO_LADDER, CatalogTitle
from fake_backend.content import ContentStore
from fake_backend.errors import FileNotFound
from fake_backend.live.channel import LIVE_GENRE, ChannelConfig, ChannelState, Timing
from fake_backend.live.mpd import channel_mpd
from fake_backend.live.source import load_source
from fake_backend.live.tfdt import retime_segment
from fake_backend.oca.fleet import Fleet
from fake_backend.oca.server import OcaNode
from manifest.isotime import format_datetime

__all__ = ["LIVE_GENRE", "Channel", "LiveChannels", "default_channels"]

_SEGMENT = re.compile(r"([A-Za-z0-9_.-]{1,64})/live-(\d{1,20})\.m4s")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def default_channels(
    segment_s: float = 2.0, time_shift_buffer_s: float = 30.0
) -> tuple[ChannelConfig, ...]:
    """``serve``'s channels: one SegmentTimeline + ``$Time$``, one ``$Number$``."""
    loop = segment_s * max(1, round(12.0 / segment_s))
    tsbd = time_shift_buffer_s
    return (
        ChannelConfig("live-news", "Live: News Desk", "time", segment_s, loop, tsbd),
        ChannelConfig("live-sports", "Live: Sports Arena", "number", segment_s, loop, tsbd),
    )


def channel_title(cfg: ChannelConfig) -> CatalogTitle:
    """The channel's catalog row: what the Play API, license and discovery see."""
    kid = [hashlib.sha256(f"nrdp-kid:{cfg.id}:{k}".encode()).digest()[:16] for k in ("v", "a")]
    return CatalogTitle(
        id=cfg.id,
        name=cfg.name,
        synopsis=f"A {cfg.loop_s:g}-second loop broadcast live ({cfg.addressing} addressing).",
        genres=(LIVE_GENRE,),
        year=2026,
        duration_s=cfg.loop_s,
        maturity="G",
        renditions=(*(r for r in VIDEO_LADDER if r.id in cfg.rungs), AUDIO_RUNG),
        segment_duration_s=cfg.segment_s,
        kids=(kid[0], kid[1]),
    )


class Channel:
    """One channel: config, loaded timing, control state, availabilityStartTime."""

    def __init__(self, cfg: ChannelConfig, ast: float) -> None:
        self.cfg = cfg
        self.ast = ast
        self.state = ChannelState()
        self.timing: Timing | None = None

    def e(self, now: float) -> float:
        return now - self.ast

    def first_unpublished(self, now: float) -> int:
        """The first segment not yet available on the grid: where control faults apply."""
        return max(0, math.floor(self.e(now) / self.cfg.segment_s + 1e-9))

    def describe(self, now: float) -> dict[str, Any]:
        s = self.state
        return {
            "id": self.cfg.id,
            "addressing": self.cfg.addressing,
            "availability_start_time": self.ast,
            "segment_s": self.cfg.segment_s,
            "time_shift_buffer_s": self.cfg.time_shift_buffer_s,
            "edge_segment": self.first_unpublished(now) - 1,
            "periods": list(s.periods),
            "late": {str(k): v for k, v in sorted(s.late.items())},
            "missing": sorted(s.missing),
            "ended_at": s.ended_at,
        }


class LiveChannels:
    """The backend's live channels (``clock``: the backend's POSIX-seconds clock)."""

    def __init__(
        self,
        configs: Sequence[ChannelConfig],
        clock: Callable[[], float],
        *,
        availability_start: float | None = None,
    ) -> None:
        self.clock = clock
        self.skew_s = 0.0
        """Added to what the time endpoints say (a UTCTiming server that is off)."""
        self.requests = {"mpd": 0, "segments": 0, "not_available": 0, "time": 0}
        start = availability_start
        self.channels = {
            c.id: Channel(
                c, start if start is not None else math.floor(clock() - c.time_shift_buffer_s)
            )
            for c in configs
        }

    def titles(self) -> list[CatalogTitle]:
        return [channel_title(c.cfg) for c in self.channels.values()]

    def load(self, origin: ContentStore) -> None:
        """Read each channel's loop from its packaged files (blocking; after ``ensure``)."""
        for ch in self.channels.values():
            ch.timing = Timing(
                ch.cfg, load_source(origin.title_dir(ch.cfg.id), channel_title(ch.cfg))
            )

    # -- OCAs ---------------------------------------------------------------------------
    def attach_ocas(self, fleet: Fleet) -> None:
        """Add the live routes to every OCA (before the fleet starts)."""
        for node in fleet.nodes:
            node.app.middlewares.append(self._middleware(node))
            for name in ("xsdate", "iso"):
                node.app.router.add_get(f"/time/v1/{name}", self._time_text)
            node.app.router.add_route("GET", "/time/v1/head", self._time_head)
            node.app.router.add_route("HEAD", "/time/v1/head", self._time_head)

    def server_time(self) -> datetime:
        return datetime.fromtimestamp(self.clock() + self.skew_s, UTC)

    async def _time_text(self, request: web.Request) -> web.Response:
        self.requests["time"] += 1
        return web.Response(
            text=format_datetime(self.server_time()),
            content_type="text/plain",
            headers={"Cache-Control": "no-store"},
        )

    async def _time_head(self, request: web.Request) -> web.Response:
        self.requests["time"] += 1
        return web.Response(
            headers={
                "Date": http_date(self.server_time(), usegmt=True),
                "Cache-Control": "no-store",
            }
        )

    def _middleware(self, node: OcaNode) -> Any:
        @web.middleware
        async def live(request: web.Request, handler: Handler) -> web.StreamResponse:
            tid = request.match_info.get("title_id")
            ch = self.channels.get(tid) if tid else None
            rel = request.match_info.get("path", "")
            if ch is None or not node.up or request.method not in ("GET", "HEAD"):
                return await handler(request)
            if rel == "manifest.mpd":
                node.client_of(request, ch.cfg.id)
                return self._mpd(request, node, ch)
            m = _SEGMENT.fullmatch(rel)
            if m is None:
                return await handler(request)
            node.client_of(request, ch.cfg.id)
            return await self._segment(node, ch, m.group(1), int(m.group(2)))

        return live

    def _mpd(self, request: web.Request, node: OcaNode, ch: Channel) -> web.Response:
        assert ch.timing is not None
        self.requests["mpd"] += 1
        now = self.clock()
        body = channel_mpd(
            ch.timing,
            ch.state,
            now=datetime.fromtimestamp(now, UTC),
            e=ch.e(now),
            ast=datetime.fromtimestamp(ch.ast, UTC),
            utc_base=node.url,
        )
        return web.Response(
            body=body, content_type="application/dash+xml", headers={"Cache-Control": "no-cache"}
        )

    async def _segment(self, node: OcaNode, ch: Channel, rep_id: str, value: int) -> web.Response:
        assert ch.timing is not None
        timing = ch.timing
        track = timing.source.track(rep_id)
        g = None
        if track is not None:
            g = value - 1 if ch.cfg.addressing == "number" else timing.index_of_time(track, value)
        shown = f"{ch.cfg.id}/{rep_id}/live-{value}.m4s"
        if track is None or g is None or g < 0:
            raise FileNotFound(path=shown)
        now_e = ch.e(self.clock())
        hit = timing.lookup(track, g, ch.state)
        gone = timing.end_s(track, g) + ch.cfg.time_shift_buffer_s + 2 * ch.cfg.segment_s
        s = ch.state
        if (
            now_e < hit.available_at
            or now_e >= gone
            or g in s.missing
            or (s.ended_at is not None and g >= s.ended_at)
        ):
            self.requests["not_available"] += 1
            raise FileNotFound(path=shown)
        path = node.file_path(ch.cfg.id, hit.source_path)
        if not path.is_file():
            await node.fleet.fill(node, ch.cfg.id, hit.source_path)
        data = await asyncio.to_thread(path.read_bytes)
        self.requests["segments"] += 1
        node.stats["requests"] += 1
        node.stats["bytes"] += len(data)
        return web.Response(
            body=retime_segment(data, hit.shift),
            content_type="video/iso.segment",
            headers={"Cache-Control": "public, max-age=60"},
        )
