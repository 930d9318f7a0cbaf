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
import hmac
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backend.errors import (
    FileNotFound,
    InjectedFault,
    InvalidToken,
    PlaybackTokenInvalid,
    RangeNotSatisfiable,
    TokenExpired,
)
from fake_backend.http_errors import error_middleware
from fake_backend.limits import ServerLimits
from fake_backend.listener import ConnectionGuard, GuardedSite, runner_kwargs
from fake_backend.oca.body import reset_connection, stream_file
from fake_backend.oca.content import TitleFiles, content_type
from fake_backend.oca.faults import FaultPlan
from fake_backend.oca.plans import MAX_CLIENT_PLANS, ClientPlan, PlanBook
from fake_backend.oca.ranges import Unsatisfiable, parse_range
from mediacore.signed_message import PLAYBACK_TOKEN_HEADER

if TYPE_CHECKING:
    from fake_backend.oca.fleet import Fleet

__all__ = ["FILL_HEADER", "MAX_CLIENT_PLANS", "PLAYBACK_TOKEN_HEADER", "ClientPlan", "OcaNode"]

log = logging.getLogger("fake_backend.oca")
FILL_HEADER = "X-Nrdp-Fill"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": f"Range, X-Request-Id, {PLAYBACK_TOKEN_HEADER}",
    "Access-Control-Expose-Headers": (
        "Content-Length, Content-Range, Accept-Ranges, X-Oca-Id, Server-Timing"
    ),
    "Timing-Allow-Origin": "*",
}


class OcaNode:
    """One OCA's server: its routes, token check and lifecycle; the files it holds are
    :class:`TitleFiles`, its fault plans a :class:`PlanBook`, a shaped body
    :func:`stream_file`."""

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
        self.files = TitleFiles(root)
        self.root = root
        self.fleet = fleet
        self.host = host
        self.port = 0
        self.up = False
        self.plans = PlanBook()
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

    @property
    def plan(self) -> FaultPlan:
        """The OCA's own plan (every request without a client plan)."""
        return self.plans.plan

    @property
    def client_plans(self) -> dict[str, ClientPlan]:
        return self.plans.client_plans

    def set_plan(self, plan: FaultPlan) -> None:
        self.plans.set_plan(plan)

    def set_client_plan(self, client: str, plan: FaultPlan) -> ClientPlan:
        return self.plans.set_client_plan(client, plan)

    def clear_client_plan(self, client: str) -> None:
        self.plans.clear_client_plan(client)

    def clear_plans(self) -> None:
        self.plans.clear_plans()

    # -- content ------------------------------------------------------------------------
    def _is_fill(self, request: web.Request) -> bool:
        """A cache fill from a peer OCA (it knows the fleet's secret), not a client."""
        got = request.headers.get(FILL_HEADER)
        return got is not None and hmac.compare_digest(got, self.fleet.fill_secret)

    def file_path(self, title_id: str, rel: str) -> Path:
        return self.files.file_path(title_id, rel)

    def has_file(self, title_id: str, rel: str) -> bool:
        return self.files.has_file(title_id, rel)

    def resolve(self, title_id: str, rel: str) -> Path:
        return self.files.resolve(title_id, rel)

    def holdings(self) -> dict[str, Any]:
        titles = self.files.titles(self.fleet.origin_file_count)
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

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        if not self.up:
            reset_connection(request)
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
        plan, rng, clock_zero = self.plans.for_client(client)
        applies = not plan.is_healthy and plan.applies_to(f"{title_id}/{rel}")
        if applies:
            if plan.latency_ms:
                await asyncio.sleep(plan.latency_ms / 1000)
            if plan.reset_rate and rng.random() < plan.reset_rate:
                self.stats["resets"] += 1
                reset_connection(request)
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
            "Content-Type": content_type(path),
        }
        fast = not (applies and plan.shapes_body)
        if fast and (br is not None or range_header is None):
            self.stats["bytes"] += size if br is None else br.length
            return web.FileResponse(path, headers=headers)
        shaped = plan if applies else FaultPlan()
        return await stream_file(request, path, size, br, shaped, headers, clock_zero, self.stats)
