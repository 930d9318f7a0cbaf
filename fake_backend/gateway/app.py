"""The gateway application: the one public entry point (like Zuul).

Routing is in-process: every service contributes :class:`Endpoint` objects and the gateway
registers them behind one pipeline, so a request crosses the same filters whichever service
answers it::

    outer middleware: request id -> [route] -> error rendering -> outbound headers
    per endpoint:     bearer auth -> rate limit (device, else client address)
                      -> body (size limit) -> message integrity -> circuit breaker
                      -> handler -> response signature
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from fake_backend.context import Context
from fake_backend.errors import (
    BodyTooLarge,
    CircuitOpen,
    InvalidToken,
    RateLimited,
    ReplayedMessage,
    ServiceDown,
    ServiceError,
    SignatureInvalid,
    SignatureMissing,
    StaleMessage,
    Unauthenticated,
)
from fake_backend.gateway.api import ApiRequest, Endpoint, Principal, Reply
from fake_backend.gateway.breaker import CircuitBreaker
from fake_backend.gateway.ratelimit import RateLimiter
from fake_backend.http_errors import APP_MS, CORS, error_middleware, request_id_of
from mediacore.signed_message import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    NONCE_RE,
    canonical_request,
    sign_response,
    signature_matches,
    within_skew,
)

__all__ = ["CORS_HEADERS", "Gateway"]

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, X-Request-Id, X-Nrdp-Playback-Token, "
        f"{HEADER_TIMESTAMP}, {HEADER_NONCE}, {HEADER_SIGNATURE}"
    ),
    "Access-Control-Expose-Headers": (
        f"X-Request-Id, Server-Timing, {HEADER_TIMESTAMP}, {HEADER_NONCE}, {HEADER_SIGNATURE}"
    ),
    "Access-Control-Max-Age": "600",
}


class Gateway:
    def __init__(self, ctx: Context, endpoints: Iterable[Endpoint]) -> None:
        self.ctx = ctx
        self.limiter = RateLimiter(
            ctx.config.rate_limit, max_keys=ctx.config.limits.rate_limit_keys
        )
        self.breakers: dict[str, CircuitBreaker] = {}
        self.endpoints = list(endpoints)
        self.app = web.Application(
            middlewares=[self._outbound, error_middleware(ctx.config.body_limit)],
            client_max_size=max(
                [ctx.config.body_limit] + [ep.max_body or 0 for ep in self.endpoints]
            ),
        )
        cors_paths: set[str] = set()
        for ep in self.endpoints:
            self.breakers[ep.name] = CircuitBreaker(ep.name, ctx.config.breaker)
            self.app.router.add_route(ep.method, ep.path, self._pipeline(ep))
            if ep.cors and ep.path not in cors_paths:
                cors_paths.add(ep.path)
                self.app.router.add_route("OPTIONS", ep.path, self._preflight)
        self.app.router.add_get("/health", self._health)

    @property
    def services(self) -> list[str]:
        """The service names behind the gateway (the prefix of each endpoint name)."""
        return sorted({ep.name.partition(".")[0] for ep in self.endpoints})

    def reset_breakers(self) -> None:
        for b in self.breakers.values():
            b.reset()

    def breaker(self, name: str) -> CircuitBreaker:
        """A named breaker for an in-process dependency (created on first use)."""
        if name not in self.breakers:
            self.breakers[name] = CircuitBreaker(name, self.ctx.config.breaker)
        return self.breakers[name]

    # -- outbound filter ------------------------------------------------------------------
    @web.middleware
    async def _outbound(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        t0 = time.perf_counter()
        rid = request_id_of(request)
        resp = await handler(request)
        total = (time.perf_counter() - t0) * 1000
        timing = f"gw;dur={total:.2f}"
        app_ms = request.get(APP_MS)
        if isinstance(app_ms, float):
            timing += f", app;dur={app_ms:.2f}"
        resp.headers["Server-Timing"] = timing
        resp.headers["X-Request-Id"] = rid
        resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if request.get(CORS):
            for k, v in CORS_HEADERS.items():
                resp.headers.setdefault(k, v)
        return resp

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _preflight(self, request: web.Request) -> web.Response:
        request[CORS] = True
        return web.Response(status=204)

    # -- inbound filters --------------------------------------------------------------
    def _authenticate(self, request: web.Request, now: float) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthenticated()
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization must be 'Bearer <access token>'")
        claims = self.ctx.access.verify(token.strip(), now=now)
        sub, dev = claims.get("sub"), claims.get("dev")
        if not isinstance(sub, str) or not isinstance(dev, str):
            raise InvalidToken("token lacks subject or device")
        device = self.ctx.store.device(dev)
        if device is None or device.account_id != sub:
            raise InvalidToken("device is not registered (revoked?)")
        return Principal(sub, dev)

    async def _read_body(self, request: web.Request, limit: int) -> bytes:
        if request.content_length is not None and request.content_length > limit:
            raise BodyTooLarge(limit=limit)
        if not request.body_exists:
            return b""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BodyTooLarge(limit=limit) from None
        if len(body) > limit:
            raise BodyTooLarge(limit=limit)
        return body

    def _verify_signature(
        self, request: web.Request, principal: Principal, body: bytes, now: float
    ) -> tuple[bytes, str]:
        ts_raw = request.headers.get(HEADER_TIMESTAMP, "")
        nonce = request.headers.get(HEADER_NONCE, "")
        sig = request.headers.get(HEADER_SIGNATURE, "")
        if not ts_raw.isascii() or not ts_raw.isdigit() or len(ts_raw) > 12:
            raise SignatureMissing(header=HEADER_TIMESTAMP)
        if not NONCE_RE.fullmatch(nonce):
            raise SignatureMissing(header=HEADER_NONCE)
        if not sig or len(sig) > 128:
            raise SignatureMissing(header=HEADER_SIGNATURE)
        device = self.ctx.store.device(principal.device_id)
        if device is None or device.account_id != principal.account_id:
            raise InvalidToken("device is not registered to this account")
        ts = int(ts_raw)
        canon = canonical_request(request.method, request.raw_path, ts, nonce, body)
        if not signature_matches(device.session_key, canon, sig):
            raise SignatureInvalid()
        if not within_skew(now, ts, self.ctx.config.max_skew_s):
            raise StaleMessage(skew_s=abs(now - ts), max_skew_s=self.ctx.config.max_skew_s)
        if not self.ctx.nonces.check_and_add(device.id, nonce, now):
            raise ReplayedMessage()
        return device.session_key, nonce

    def _pipeline(self, ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        ctx = self.ctx
        breaker = self.breakers[ep.name]
        service = ep.name.partition(".")[0]

        async def handle(request: web.Request) -> web.StreamResponse:
            if ep.cors:
                request[CORS] = True
            now = ctx.clock()
            principal = self._authenticate(request, now) if ep.auth else None
            key = f"dev:{principal.device_id}" if principal else f"ip:{request.remote}"
            wait = self.limiter.take(key, now)
            if wait > 0:
                raise RateLimited(retry_after_s=RateLimiter.retry_after_header(wait))
            body = await self._read_body(request, ep.max_body or ctx.config.body_limit)
            signing: tuple[bytes, str] | None = None
            if ep.signed and principal is not None:
                signing = self._verify_signature(request, principal, body, now)
            if not breaker.allow(now):
                raise CircuitOpen(
                    route=ep.name, retry_after_s=max(1, int(breaker.retry_after(now)))
                )
            t0 = time.perf_counter()
            api = ApiRequest(request, body, request_id_of(request), now, principal)
            try:
                if service in ctx.down_services:  # a dead service: the route itself fails
                    raise ServiceDown(service=service)
                reply: Reply = await ep.handler(api)
            except ServiceError as err:
                if err.status >= 500:
                    breaker.record_failure(ctx.clock())
                else:
                    breaker.record_success()
                raise
            except Exception:
                breaker.record_failure(ctx.clock())
                raise
            breaker.record_success()
            request[APP_MS] = (time.perf_counter() - t0) * 1000
            payload = reply.payload()
            headers = dict(reply.headers)
            if signing is not None:
                key_bytes, nonce = signing
                headers.update(
                    sign_response(
                        key_bytes,
                        reply.status,
                        request.raw_path,
                        payload,
                        timestamp=int(ctx.clock()),
                        nonce=nonce,
                    ).as_dict()
                )
            return web.Response(
                status=reply.status,
                body=payload,
                content_type=reply.content_type,
                headers=headers,
            )

        return handle
