"""One OCA: an aiohttp server of title files with range requests and fault injection.

Fast path (no fault applies, no or one valid range): ``web.FileResponse`` (sendfile).
Otherwise the body is streamed by hand so it can be delayed, paced, stalled or cut.
``down`` resets every open connection (a response in flight is cut mid-body) and stops
the listening site (new connections are refused).

Clients: a request may carry the playback token (``X-Nrdp-Playback-Token``, the header the
license server reads). The OCA verifies it with the backend's verifier: a forged or expired
token, or one bound to another title, is 403 ``PlaybackTokenInvalid`` (8150); a request
without one is served (unless the fleet requires tokens). The token's device (``dev``) is
the client: a client plan (:meth:`OcaNode.set_client_plan`) replaces the OCA's plan for
that client's requests; its trace clock starts at the client's first request to this OCA
under that plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import random
import re
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backend.errors import (
    FileNotFound,
    InjectedFault,
    InvalidFaultPlan,
    InvalidToken,
    PathForbidden,
    PlaybackTokenInvalid,
    RangeNotSatisfiable,
    TokenExpired,
)
from fake_backend.http_errors import error_middleware
from fake_backend.limits import ServerLimits
from fake_backend.listener import ConnectionGuard, GuardedSite, runner_kwargs
from fake_backend.oca.faults import FaultPlan
from fake_backend.oca.ranges import ByteRange, Unsatisfiable, parse_range
from mediacore.signed_message import PLAYBACK_TOKEN_HEADER

if TYPE_CHECKING:
    from fake_backend.oca.fleet import Fleet

__all__ = ["FILL_HEADER", "MAX_CLIENT_PLANS", "PLAYBACK_TOKEN_HEADER", "ClientPlan", "OcaNode"]

log = logging.getLogger("fake_backend.oca")
FILL_HEADER = "X-Nrdp-Fill"
MAX_CLIENT_PLANS = 10_000
"""Client plans one OCA keeps at most (a full OCA refuses another with 400)."""
_TITLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".mpd": "application/dash+xml",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".png": "image/png",
}
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": f"Range, X-Request-Id, {PLAYBACK_TOKEN_HEADER}",
    "Access-Control-Expose-Headers": (
        "Content-Length, Content-Range, Accept-Ranges, X-Oca-Id, Server-Timing"
    ),
    "Timing-Allow-Origin": "*",
}
_CHUNK = 64 * 1024


@dataclass
class ClientPlan:
    """The fault plan of one client on one OCA, with its own draws and trace clock."""

    plan: FaultPlan
    rng: random.Random = field(init=False)
    started_at: float | None = None
    """Monotonic time of the client's first request under this plan (the trace clock's 0)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)

    def to_json(self, client: str) -> dict[str, Any]:
        return {"client": client, **self.plan.to_json()}


class OcaNode:
    def __init__(
        self,
        oca_id: str,
        root: Path,
        fleet: Fleet,
        host: str,
        ssl_context: ssl.SSLContext | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.id = oca_id
        self.guard = ConnectionGuard(limits or ServerLimits())
        self.ssl_context = ssl_context
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._root_resolved = root.resolve()
        self.fleet = fleet
        self.host = host
        self.port = 0
        self.up = False
        self.plan = FaultPlan()
        self.plan_set_at = time.monotonic()
        self._rng = random.Random(0)
        self.client_plans: dict[str, ClientPlan] = {}
        self.active = 0
        self.stats: dict[str, int] = {
            "requests": 0,
            "bytes": 0,
            "injected_errors": 0,
            "resets": 0,
            "fills_peer": 0,
            "fills_origin": 0,
            "token_refusals": 0,
        }
        self.app = web.Application(middlewares=[error_middleware(0)])
        self.app.router.add_route("GET", "/titles/{title_id}/{path:.+}", self._serve)
        self.app.router.add_route("HEAD", "/titles/{title_id}/{path:.+}", self._serve)
        self.app.router.add_route("OPTIONS", "/titles/{title_id}/{path:.+}", self._preflight)
        self.app.router.add_get("/oca/v1/holdings", self._holdings)
        self.app.router.add_get("/health", self._health)
        self.app.on_response_prepare.append(self._add_headers)
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=1.0,
            **runner_kwargs(self.guard.limits),
        )
        self._site: GuardedSite | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    # -- lifecycle --------------------------------------------------------------------
    async def start(self, port: int = 0) -> None:
        await self._runner.setup()
        await self._start_site(port)

    async def _start_site(self, port: int) -> None:
        site = GuardedSite(
            self._runner,
            self.host,
            port,
            reuse_address=True,
            ssl_context=self.ssl_context,
            guard=self.guard,
        )
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        else:
            self.port = port
        self._site = site
        self.up = True

    async def go_down(self) -> None:
        """A killed OCA: every open connection is reset at once (responses in flight are
        cut mid-body, as when a server dies) and new connections are refused."""
        self.up = False
        server = self._runner.server
        if server is not None:
            for handler in server.connections:
                transport = handler.transport
                if transport is not None:
                    transport.abort()
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()

    async def go_up(self) -> None:
        if self._site is None:
            await self._start_site(self.port)
        self.up = True

    async def close(self) -> None:
        self.up = False
        await self._runner.cleanup()

    def set_plan(self, plan: FaultPlan) -> None:
        """The OCA's own plan (every request without a client plan)."""
        self.plan = plan
        self.plan_set_at = time.monotonic()
        self._rng = random.Random(plan.seed)

    def set_client_plan(self, client: str, plan: FaultPlan) -> ClientPlan:
        """``plan`` for ``client``'s requests only (replaces its plan; its clock restarts).

        ``down`` refuses connections before any request names its client, so it is per OCA.
        """
        if plan.down:
            raise InvalidFaultPlan("down is per OCA, not per client")
        if client not in self.client_plans and len(self.client_plans) >= MAX_CLIENT_PLANS:
            raise InvalidFaultPlan(f"an OCA keeps at most {MAX_CLIENT_PLANS} client plans")
        entry = self.client_plans[client] = ClientPlan(plan)
        return entry

    def clear_client_plan(self, client: str) -> None:
        self.client_plans.pop(client, None)

    def clear_plans(self) -> None:
        """Healthy for everyone: the OCA's plan and every client plan cleared."""
        self.set_plan(FaultPlan())
        self.client_plans.clear()

    # -- content ------------------------------------------------------------------------
    def _is_fill(self, request: web.Request) -> bool:
        """A cache fill from a peer OCA (it knows the fleet's secret), not a client."""
        got = request.headers.get(FILL_HEADER)
        return got is not None and hmac.compare_digest(got, self.fleet.fill_secret)

    def file_path(self, title_id: str, rel: str) -> Path:
        return self.root / title_id / rel

    def has_file(self, title_id: str, rel: str) -> bool:
        return (self.root / title_id / rel).is_file()

    def resolve(self, title_id: str, rel: str) -> Path:
        """The file under this OCA's root, or PathForbidden for anything that could escape."""
        shown = f"{title_id}/{rel}"[:200].encode("utf-8", "backslashreplace").decode()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            raise PathForbidden(path=shown) from None
        if not _TITLE_ID.fullmatch(title_id):
            raise PathForbidden(path=shown)
        parts = rel.split("/")
        for p in parts:
            if p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p:
                raise PathForbidden(path=shown)
        path = (self.root / title_id / rel).resolve()
        if not path.is_relative_to(self._root_resolved):
            raise PathForbidden(path=shown)
        return path

    def holdings(self) -> dict[str, Any]:
        titles = {}
        for tdir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            held = sum(1 for f in tdir.rglob("*") if f.is_file() and not f.name.startswith("."))
            total = self.fleet.origin_file_count(tdir.name)
            titles[tdir.name] = {"files": held, "total": total, "complete": held >= total > 0}
        return {"oca_id": self.id, "up": self.up, "titles": titles, "stats": dict(self.stats)}

    # -- handlers -----------------------------------------------------------------------
    async def _add_headers(self, request: web.Request, resp: web.StreamResponse) -> None:
        for k, v in _CORS.items():
            resp.headers.setdefault(k, v)
        resp.headers["X-Oca-Id"] = self.id

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Access-Control-Max-Age": "600"})

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "oca_id": self.id})

    async def _holdings(self, request: web.Request) -> web.Response:
        return web.json_response(self.holdings())

    @staticmethod
    def _reset(request: web.Request) -> None:
        transport = request.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        if not self.up:
            self._reset(request)
            return web.Response(status=503)
        self.stats["requests"] += 1
        self.active += 1
        try:
            return await self._serve_file(request)
        finally:
            self.active -= 1

    def client_of(self, request: web.Request, title_id: str) -> str | None:
        """The device the request's playback token was issued to (None: no token, or no
        verifier to check one); 403 ``PlaybackTokenInvalid`` for a bad token."""
        token = request.headers.get(PLAYBACK_TOKEN_HEADER)
        verify = self.fleet.token_verifier
        if not token:
            if self.fleet.require_token and not self._is_fill(request):
                self.stats["token_refusals"] += 1
                raise PlaybackTokenInvalid(f"missing {PLAYBACK_TOKEN_HEADER} header")
            return None
        if verify is None:
            return None
        try:
            claims = verify(token)
        except TokenExpired:
            self.stats["token_refusals"] += 1
            raise PlaybackTokenInvalid("playback token expired") from None
        except InvalidToken:
            self.stats["token_refusals"] += 1
            raise PlaybackTokenInvalid("playback token is not genuine") from None
        if claims.get("tid") != title_id:
            self.stats["token_refusals"] += 1
            raise PlaybackTokenInvalid("playback token is bound to another title")
        dev = claims.get("dev")
        return dev if isinstance(dev, str) and dev else None

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        title_id = request.match_info["title_id"]
        rel = request.match_info["path"]
        path = self.resolve(title_id, rel)
        client = self.client_of(request, title_id)
        entry = self.client_plans.get(client) if client is not None else None
        if entry is not None:
            plan, rng = entry.plan, entry.rng
            if entry.started_at is None:
                entry.started_at = time.monotonic()
            clock_zero = entry.started_at
        else:
            plan, rng, clock_zero = self.plan, self._rng, self.plan_set_at
        applies = not plan.is_healthy and plan.applies_to(f"{title_id}/{rel}")
        if applies:
            if plan.latency_ms:
                await asyncio.sleep(plan.latency_ms / 1000)
            if plan.reset_rate and rng.random() < plan.reset_rate:
                self.stats["resets"] += 1
                self._reset(request)
                return web.Response(status=503)
            if plan.error_rate and rng.random() < plan.error_rate:
                self.stats["injected_errors"] += 1
                raise InjectedFault(status=plan.error_status)
        if not path.is_file():
            if self._is_fill(request):
                raise FileNotFound(path=f"{title_id}/{rel}"[:200])
            await self.fleet.fill(self, title_id, rel)
        size = path.stat().st_size
        range_header = request.headers.get("Range")
        try:
            br = parse_range(range_header, size)
        except Unsatisfiable:
            raise RangeNotSatisfiable(range_header=range_header or "", size=size) from None
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        }
        fast = not (applies and plan.shapes_body)
        if fast and (br is not None or range_header is None):
            self.stats["bytes"] += size if br is None else br.length
            return web.FileResponse(path, headers=headers)
        return await self._stream(
            request, path, size, br, plan if applies else FaultPlan(), headers, clock_zero
        )

    async def _stream(
        self,
        request: web.Request,
        path: Path,
        size: int,
        br: ByteRange | None,
        plan: FaultPlan,
        headers: dict[str, str],
        clock_zero: float,
    ) -> web.StreamResponse:
        start, length = (br.start, br.length) if br is not None else (0, size)
        resp = web.StreamResponse(status=206 if br is not None else 200, headers=headers)
        resp.content_length = length
        if br is not None:
            resp.headers["Content-Range"] = br.content_range(size)
        await resp.prepare(request)
        if request.method == "HEAD":
            return resp
        if plan.ttfb_ms:
            await asyncio.sleep(plan.ttfb_ms / 1000)
        loop = asyncio.get_running_loop()
        sent = 0
        stalled = False
        next_t = loop.time()
        with path.open("rb") as f:
            f.seek(start)
            while sent < length:
                if plan.truncate_after_bytes is not None and sent >= plan.truncate_after_bytes:
                    transport = request.transport
                    if transport is not None:
                        transport.close()
                    return resp
                if (
                    plan.stall_after_bytes is not None
                    and not stalled
                    and sent >= plan.stall_after_bytes
                ):
                    stalled = True
                    await self._stall(request, plan.stall_ms / 1000)
                    next_t = loop.time()
                rate = plan.rate_bytes_per_s(time.monotonic() - clock_zero)
                floor = 1 if plan.trickle_bps is not None else 1024  # a trickle: bytes, not KiB
                n = _CHUNK if rate is None else int(min(_CHUNK, max(floor, rate * 0.05)))
                n = min(n, length - sent)
                for limit in (
                    plan.truncate_after_bytes,
                    None if stalled else plan.stall_after_bytes,
                ):
                    if limit is not None and limit > sent:
                        n = min(n, limit - sent)
                data = f.read(n)
                if not data:
                    break
                await resp.write(data)
                sent += len(data)
                self.stats["bytes"] += len(data)
                if rate is not None:
                    next_t = max(next_t, loop.time() - 0.2) + len(data) / rate
                    delay = next_t - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
        await resp.write_eof()
        return resp

    @staticmethod
    async def _stall(request: web.Request, seconds: float) -> None:
        """Hold the connection silent; give up early if the client went away."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            await asyncio.sleep(min(0.05, max(0.0, end - loop.time())))
