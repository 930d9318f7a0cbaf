"""The public steering endpoints (served on the gateway's port, not the control plane's).

Players fetch DASH content steering here; the RELOAD-URI is built from the configured
public URL (``Context.steering_url``), never from the request's Host header (a client
must not be able to point another client's reloads elsewhere through a proxy or cache).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web

from fake_backend.context import Context
from fake_backend.errors import InvalidField, TitleNotFound
from fake_backend.steering.service import Steering

__all__ = ["dash_url", "steering_routes"]

MAX_CLIENT_LEN = 128
ECHOED = ("_DASH_pathway", "_DASH_throughput")
"""Query parameters of the request carried into RELOAD-URI (the only part echoed)."""


def dash_url(base_url: str, title_id: str, client: str) -> str:
    """The steering URL of ``title_id`` for ``client`` under the public ``base_url``."""
    path = f"/steering/v1/dash/{quote(title_id, safe='')}"
    return f"{base_url}{path}?client={quote(client, safe='')}"


def _client(request: web.Request) -> str:
    client = request.query.get("client", request.remote or "anonymous")
    if not 1 <= len(client) <= MAX_CLIENT_LEN or not client.isprintable():
        raise InvalidField(f"1..{MAX_CLIENT_LEN} printable characters", field="client")
    return client


def steering_routes(ctx: Context, steering: Steering) -> list[web.RouteDef]:
    """``GET /steering/v1/dash/{title_id}`` and ``GET /steering/v1/rank/{title_id}``."""

    def known(request: web.Request) -> str:
        title_id = request.match_info["title_id"]
        if ctx.store.title(title_id) is None:
            raise TitleNotFound(title_id=title_id[:64])
        return title_id

    async def dash(request: web.Request) -> web.Response:
        title_id, client = known(request), _client(request)
        reload_uri = dash_url(ctx.steering_url, title_id, client)
        echo = [(k, v) for k in ECHOED for v in request.query.getall(k, [])[:1]]
        if echo:  # the pathway/throughput the client reported (DASH-IF steering state)
            reload_uri += "&" + urlencode(echo)
        return web.json_response(steering.dash_steering(title_id, client, reload_uri))

    async def rank(request: web.Request) -> web.Response:
        title_id = request.match_info["title_id"]
        ranked = steering.rank(title_id, _client(request))
        return web.json_response(
            {"title_id": title_id, "candidates": [r.to_dict() for r in ranked]}
        )

    return [
        web.get("/steering/v1/dash/{title_id}", dash),
        web.get("/steering/v1/rank/{title_id}", rank),
    ]
