"""Telemetry ingest: batches of playback events, appended in one SQLite transaction.

A batch is ``{"events": [{"type": str, "ts": number, "playback_id": str?, "data": {}?}]}``,
at most 500 events; each event is validated before any is stored (all or nothing). Events
carrying a playback id are recorded with that playback's experiment cell.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fake_backend.context import Context
from fake_backend.errors import InvalidField
from fake_backend.gateway.api import ApiRequest, Endpoint, Reply, query_int

__all__ = ["MAX_BATCH", "MAX_BODY", "TelemetryService"]

MAX_BATCH = 500
MAX_BODY = 1 << 20
_TYPE = re.compile(r"[a-z][a-z0-9_.]{0,63}")


def _validate(events: object) -> list[dict[str, Any]]:
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_BATCH:
        raise InvalidField(f"must be a list of 1..{MAX_BATCH} events", field="events")
    out = []
    for i, ev in enumerate(events):
        where = f"events[{i}]"
        if not isinstance(ev, dict):
            raise InvalidField("must be an object", field=where)
        t = ev.get("type")
        if not isinstance(t, str) or not _TYPE.fullmatch(t):
            raise InvalidField("must match [a-z][a-z0-9_.]{0,63}", field=f"{where}.type")
        ts = ev.get("ts")
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not 0 <= ts < 1e11:
            raise InvalidField("must be a Unix time in seconds", field=f"{where}.ts")
        pid = ev.get("playback_id")
        if pid is not None and (not isinstance(pid, str) or len(pid) > 64):
            raise InvalidField("must be a string of at most 64 chars", field=f"{where}.playback_id")
        data = ev.get("data", {})
        if not isinstance(data, dict) or len(json.dumps(data)) > 8192:
            raise InvalidField("must be an object of at most 8 KiB", field=f"{where}.data")
        out.append({"type": t, "ts": float(ts), "playback_id": pid, "data": data})
    return out


class TelemetryService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "POST",
                "/telemetry/v1/events",
                self.ingest,
                "telemetry.ingest",
                max_body=MAX_BODY,
            ),
            Endpoint("GET", "/telemetry/v1/events", self.query, "telemetry.query"),
        ]

    async def ingest(self, req: ApiRequest) -> Reply:
        events = _validate(req.json().get("events"))
        n = self.ctx.store.add_events(
            req.caller.account_id, req.caller.device_id, events, now=req.now
        )
        return Reply(status=202, data={"accepted": n})

    async def query(self, req: ApiRequest) -> Reply:
        limit = query_int(req, "limit", 100, lo=1, hi=1000)
        events = self.ctx.store.events(
            req.caller.account_id,
            playback_id=req.query("playback_id"),
            type_=req.query("type"),
            limit=limit,
        )
        return Reply(data={"events": events})
