"""Configurable CORS for the gateway's JSON endpoints, the license service and the OCAs.

A browser page (a web player, the contest's Shaka/dash.js pages) can only call the backend
when each response names the page's origin in ``Access-Control-Allow-Origin`` and each
non-simple request's ``OPTIONS`` preflight is answered. ``serve --cors-origin ORIGIN``
(repeatable; ``*`` allows any origin) turns this on for every route of the app it is
installed on; with no origin configured the apps keep their own defaults (the license
endpoint and the OCAs answer ``*``, every other JSON endpoint sends no CORS header).

Headers are set in ``on_response_prepare`` so they also reach streamed OCA bodies and
error responses rendered by the error middleware; the preflight is answered by the
outermost middleware, before authentication and rate limiting (a browser's preflight
carries no credentials), and only for paths the app routes (else the usual 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

__all__ = ["CorsPolicy", "install_cors"]

_EXPOSE = (
    "Content-Length, Content-Range, Accept-Ranges, X-Oca-Id, X-Request-Id, Server-Timing, "
    "X-Nrdp-Timestamp, X-Nrdp-Nonce, X-Nrdp-Signature"
)
_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
_CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Timing-Allow-Origin",
)
_OWN_PREFLIGHT = (
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Timing-Allow-Origin",
)
"""On a preflight this module answered, only these are (re)set by the response hook."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class CorsPolicy:
    """The origins a browser page may call from; empty = leave the app's defaults alone."""

    origins: tuple[str, ...] = ()
    max_age_s: int = 600

    @classmethod
    def of(cls, origins: Iterable[str]) -> CorsPolicy:
        return cls(tuple(o.rstrip("/") for o in origins if o))

    @property
    def enabled(self) -> bool:
        return bool(self.origins)

    def allow(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request's ``Origin``, or None."""
        if "*" in self.origins:
            return "*"
        if origin is not None and origin.rstrip("/") in self.origins:
            return origin
        return None


def install_cors(app: web.Application, policy: CorsPolicy) -> None:
    """Add the preflight middleware (outermost) and the response-header hook to ``app``;
    call before the app is frozen (before its ``AppRunner.setup``)."""
    if not policy.enabled:
        return

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return await handler(request)
        exc = request.match_info.http_exception
        if exc is not None and exc.status != 405:
            return await handler(request)
        resp = web.Response(status=204)
        allowed = policy.allow(request.headers.get("Origin"))
        if allowed is not None:
            requested = request.headers.get("Access-Control-Request-Headers", "")
            resp.headers["Access-Control-Allow-Methods"] = _METHODS
            if requested:
                resp.headers["Access-Control-Allow-Headers"] = requested
            resp.headers["Access-Control-Max-Age"] = str(policy.max_age_s)
        return resp

    async def add_headers(request: web.Request, resp: web.StreamResponse) -> None:
        ours = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        for name in _OWN_PREFLIGHT if ours else _CORS_HEADERS:
            resp.headers.popall(name, None)
        allowed = policy.allow(request.headers.get("Origin"))
        if allowed is None:
            return
        resp.headers["Access-Control-Allow-Origin"] = allowed
        resp.headers["Access-Control-Expose-Headers"] = _EXPOSE
        resp.headers["Timing-Allow-Origin"] = allowed
        if allowed != "*":
            resp.headers.add("Vary", "Origin")

    app.middlewares.insert(0, preflight)
    app.on_response_prepare.append(add_headers)
