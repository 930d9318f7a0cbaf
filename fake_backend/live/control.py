"""Control endpoints for live channels, on the control plane's port and behind whatever
guards that app has (none today: the control plane is a loopback operator API).

``GET  /control/v1/live``                      channels and their state
``POST /control/v1/live/{id}/period``          ``{"in_s": 4}``: a Period boundary (ad break)
``POST /control/v1/live/{id}/late``            ``{"segments": 1, "seconds": 3, "after": 0}``
``POST /control/v1/live/{id}/missing``         ``{"segments": 1, "after": 0}``
``DELETE /control/v1/live/{id}/faults``        late and missing cleared
``POST /control/v1/live/{id}/end``             the event ends at the edge (static MPD)
``PUT  /control/v1/live/clock``                ``{"skew_s": 30}``: the time endpoints lie
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from fake_backend.errors import InvalidFaultPlan, MalformedJson, TitleNotFound
from fake_backend.live.service import Channel, LiveChannels

__all__ = ["add_control_routes"]

_MAX_SEGMENTS = 1000


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        doc = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise MalformedJson("body is not JSON") from None
    if not isinstance(doc, dict):
        raise MalformedJson("body must be a JSON object")
    return doc


def _number(doc: dict[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidFaultPlan(f"{name} must be a number")
    if not lo <= value <= hi:
        raise InvalidFaultPlan(f"{name} must be in [{lo:g}, {hi:g}]")
    return float(value)


class _Routes:
    def __init__(self, live: LiveChannels) -> None:
        self.live = live

    def channel(self, request: web.Request) -> Channel:
        cid = request.match_info["channel_id"]
        ch = self.live.channels.get(cid)
        if ch is None:
            raise TitleNotFound(title_id=cid[:64])
        return ch

    def reply(self, ch: Channel) -> web.Response:
        return web.json_response(ch.describe(self.live.clock()))

    async def list(self, request: web.Request) -> web.Response:
        now = self.live.clock()
        return web.json_response(
            {
                "channels": [c.describe(now) for c in self.live.channels.values()],
                "clock_skew_s": self.live.skew_s,
                "requests": dict(self.live.requests),
            }
        )

    def _segments(self, ch: Channel, doc: dict[str, Any]) -> range:
        count = int(_number(doc, "segments", 1, 1, _MAX_SEGMENTS))
        after = int(_number(doc, "after", 0, 0, _MAX_SEGMENTS))
        first = ch.first_unpublished(self.live.clock()) + after
        return range(first, first + count)

    async def period(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        doc = await _body(request)
        lead = _number(doc, "in_s", 2 * ch.cfg.segment_s, 0, 3600)
        e = ch.e(self.live.clock()) + lead
        g = math.ceil(e / ch.cfg.segment_s - 1e-9)
        if g <= ch.state.periods[-1] or ch.state.ended_at is not None:
            raise InvalidFaultPlan("a new Period must start after the last one, before the end")
        ch.state.periods.append(g)
        return self.reply(ch)

    async def late(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        doc = await _body(request)
        seconds = _number(doc, "seconds", 3.0, 0, 600)
        for g in self._segments(ch, doc):
            ch.state.late[g] = seconds
        return self.reply(ch)

    async def missing(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        ch.state.missing.update(self._segments(ch, await _body(request)))
        return self.reply(ch)

    async def clear(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        ch.state.late.clear()
        ch.state.missing.clear()
        return self.reply(ch)

    async def end(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if ch.state.ended_at is None:
            ch.state.ended_at = max(1, ch.first_unpublished(self.live.clock()))
        return self.reply(ch)

    async def clock(self, request: web.Request) -> web.Response:
        doc = await _body(request)
        self.live.skew_s = _number(doc, "skew_s", 0.0, -86400, 86400)
        return web.json_response({"clock_skew_s": self.live.skew_s})


def add_control_routes(router: web.UrlDispatcher, live: LiveChannels) -> None:
    """Register the live control endpoints (before the control app starts)."""
    r = _Routes(live)
    router.add_get("/control/v1/live", r.list)
    router.add_put("/control/v1/live/clock", r.clock)
    router.add_post("/control/v1/live/{channel_id}/period", r.period)
    router.add_post("/control/v1/live/{channel_id}/late", r.late)
    router.add_post("/control/v1/live/{channel_id}/missing", r.missing)
    router.add_delete("/control/v1/live/{channel_id}/faults", r.clear)
    router.add_post("/control/v1/live/{channel_id}/end", r.end)
