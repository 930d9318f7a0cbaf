"""The control plane (its own port): OCA fault control, placement view, chaos, service
faults, breakers and the experiment report. Operators and tests talk to it; players never
do (steering is on the gateway), and every endpoint but ``GET /health`` requires the
control token (``X-Nrdp-Control-Token``), which only the local user can read from
``endpoints.json``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fake_backend.context import Context, ServiceFault, ServiceFaults
from fake_backend.errors import (
    InvalidFaultPlan,
    InvalidToken,
    MalformedJson,
    OcaNotFound,
    RouteNotFound,
    Unauthenticated,
)
from fake_backend.experiments.allocation import qoe_report
from fake_backend.http_errors import error_middleware
from fake_backend.oca.chaos import Chaos
from fake_backend.oca.faults import FaultPlan
from fake_backend.oca.fleet import Fleet
from fake_backend.oca.server import OcaNode
from fake_backend.steering.service import Steering

__all__ = ["CONTROL_TOKEN_HEADER", "ControlPlane", "token_middleware"]

CONTROL_TOKEN_HEADER = "X-Nrdp-Control-Token"
_OPEN_PATHS = frozenset({"/health"})


def token_middleware(token: str | None) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Refuse every request without the control token (401 8110 missing, 8111 wrong);
    ``None``: no token required (``BackendConfig(control_require_token=False)``)."""

    @web.middleware
    async def mw(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if token is not None and request.path not in _OPEN_PATHS:
            got = request.headers.get(CONTROL_TOKEN_HEADER)
            if not got:
                raise Unauthenticated(f"the control plane needs the {CONTROL_TOKEN_HEADER} header")
            if not hmac.compare_digest(got.encode("utf-8", "replace"), token.encode()):
                raise InvalidToken("wrong control token")
        return await handler(request)

    return mw


def _client(request: web.Request) -> str | None:
    """The ``?client=DEVICE_ID`` a fault request is scoped to (None: the whole OCA)."""
    if "client" not in request.query:
        return None
    client = request.query["client"]
    if not 1 <= len(client) <= 128 or not client.isprintable():
        raise InvalidFaultPlan("client must be 1..128 printable characters (a device id)")
    return client


def _client_doc(node: OcaNode, client: str) -> dict[str, Any]:
    """The plan that applies to ``client`` on ``node``: its own (``scope: client``) or the
    OCA's (``scope: oca``)."""
    entry = node.client_plans.get(client)
    plan = entry.plan if entry is not None else node.plan
    return {"client": client, "scope": "client" if entry else "oca", **plan.to_json()}


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise MalformedJson("body is not JSON") from None


class ControlPlane:
    def __init__(
        self,
        ctx: Context,
        fleet: Fleet,
        steering: Steering,
        chaos: Chaos,
        token: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.fleet = fleet
        self.steering = steering
        self.chaos = chaos
        app = web.Application(
            middlewares=[error_middleware(4 << 20), token_middleware(token)],
            client_max_size=4 << 20,
        )
        r = app.router
        r.add_get("/health", self.health)
        r.add_get("/control/v1/ocas", self.list_ocas)
        r.add_get("/control/v1/ocas/{oca_id}", self.oca)
        r.add_get("/control/v1/ocas/{oca_id}/faults", self.get_faults)
        r.add_put("/control/v1/ocas/{oca_id}/faults", self.put_faults)
        r.add_delete("/control/v1/ocas/{oca_id}/faults", self.clear_faults)
        r.add_post("/control/v1/ocas/{oca_id}/down", self.down)
        r.add_post("/control/v1/ocas/{oca_id}/up", self.up)
        r.add_put("/control/v1/services/{name}/faults", self.put_service_fault)
        r.add_get("/control/v1/services", self.list_services)
        r.add_post("/control/v1/services/{name}/down", self.service_down)
        r.add_post("/control/v1/services/{name}/up", self.service_up)
        r.add_get("/control/v1/chaos", self.get_chaos)
        r.add_post("/control/v1/chaos/start", self.start_chaos)
        r.add_post("/control/v1/chaos/stop", self.stop_chaos)
        r.add_get("/control/v1/breakers", self.breakers)
        r.add_post("/control/v1/breakers/reset", self.reset_breakers)
        r.add_get("/experiments/v1/report", self.report)
        self.app = app
        self.breaker_snapshot: Any = lambda: []
        self.breaker_reset: Any = lambda: None
        self.gateway_services: Any = lambda: []

    def _node(self, request: web.Request) -> OcaNode:
        oca_id = request.match_info["oca_id"]
        node = self.fleet.node(oca_id)
        if node is None:
            raise OcaNotFound(oca_id=oca_id[:64])
        return node

    def _describe(self, node: OcaNode) -> dict[str, Any]:
        return {
            "oca_id": node.id,
            "url": node.url,
            "up": node.up,
            "active": node.active,
            "faults": node.plan.to_json(),
            "client_plans": len(node.client_plans),
            "holdings": node.holdings()["titles"],
            "stats": dict(node.stats),
        }

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def list_ocas(self, request: web.Request) -> web.Response:
        return web.json_response({"ocas": [self._describe(n) for n in self.fleet.nodes]})

    async def oca(self, request: web.Request) -> web.Response:
        return web.json_response(self._describe(self._node(request)))

    async def get_faults(self, request: web.Request) -> web.Response:
        node = self._node(request)
        client = _client(request)
        if client is not None:
            return web.json_response(_client_doc(node, client))
        return web.json_response(node.plan.to_json())

    async def put_faults(self, request: web.Request) -> web.Response:
        """The OCA's plan, or with ``?client=DEVICE_ID`` that client's plan only (its trace
        clock starts at the client's first request to this OCA)."""
        node = self._node(request)
        client = _client(request)
        plan = FaultPlan.from_json(await _json_body(request))
        if client is not None:
            node.set_client_plan(client, plan)
            return web.json_response(_client_doc(node, client))
        node.set_plan(plan)
        if plan.down and node.up:
            await node.go_down()
        elif not plan.down and not node.up:
            await node.go_up()
        return web.json_response(plan.to_json())

    async def clear_faults(self, request: web.Request) -> web.Response:
        """With ``?client=``: that client's plan only; else every plan (OCA's and clients'),
        and the OCA comes up."""
        node = self._node(request)
        client = _client(request)
        if client is not None:
            node.clear_client_plan(client)
            return web.json_response(_client_doc(node, client))
        node.clear_plans()
        if not node.up:
            await node.go_up()
        return web.json_response(node.plan.to_json())

    async def down(self, request: web.Request) -> web.Response:
        node = self._node(request)
        await node.go_down()
        return web.json_response({"oca_id": node.id, "up": node.up})

    async def up(self, request: web.Request) -> web.Response:
        node = self._node(request)
        await node.go_up()
        return web.json_response({"oca_id": node.id, "up": node.up})

    async def put_service_fault(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ServiceFaults.NAMES:
            raise RouteNotFound(path=request.path)
        fault = ServiceFault.from_json(await _json_body(request))
        self.ctx.faults.set(name, fault)
        return web.json_response({"service": name, **fault.__dict__})

    def _gateway_service(self, request: web.Request) -> str:
        name = request.match_info["name"]
        if name not in self.gateway_services():
            raise RouteNotFound(path=request.path[:200])
        return name

    def _service_state(self, name: str) -> dict[str, Any]:
        return {"service": name, "up": name not in self.ctx.down_services}

    async def list_services(self, request: web.Request) -> web.Response:
        services = [self._service_state(n) for n in self.gateway_services()]
        faults = {n: self.ctx.faults.get(n).__dict__ for n in ServiceFaults.NAMES}
        return web.json_response({"services": services, "faults": faults})

    async def service_down(self, request: web.Request) -> web.Response:
        """Every route of the service answers 503 ``ServiceDown`` until it is brought up."""
        name = self._gateway_service(request)
        self.ctx.down_services.add(name)
        return web.json_response(self._service_state(name))

    async def service_up(self, request: web.Request) -> web.Response:
        name = self._gateway_service(request)
        self.ctx.down_services.discard(name)
        return web.json_response(self._service_state(name))

    async def get_chaos(self, request: web.Request) -> web.Response:
        return web.json_response(self.chaos.to_json())

    async def start_chaos(self, request: web.Request) -> web.Response:
        doc = await _json_body(request)
        interval = doc.get("interval_s", self.chaos.interval_s) if isinstance(doc, dict) else None
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise InvalidFaultPlan("interval_s must be a positive number")
        self.chaos.interval_s = float(interval)
        seed = doc.get("seed") if isinstance(doc, dict) else None
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise InvalidFaultPlan("seed must be an integer")
            self.chaos.reseed(seed)
        self.chaos.start()
        return web.json_response(self.chaos.to_json())

    async def stop_chaos(self, request: web.Request) -> web.Response:
        """Stop chaos and bring back the OCAs it took down (``taken_down``: still down)."""
        await self.chaos.stop()
        return web.json_response(self.chaos.to_json())

    async def breakers(self, request: web.Request) -> web.Response:
        return web.json_response({"breakers": self.breaker_snapshot()})

    async def reset_breakers(self, request: web.Request) -> web.Response:
        """Close every gateway breaker now instead of waiting out its reset timeout."""
        self.breaker_reset()
        return web.json_response({"breakers": self.breaker_snapshot()})

    async def report(self, request: web.Request) -> web.Response:
        exp = self.ctx.config.experiment
        return web.json_response(qoe_report(exp, self.ctx.store.session_summaries(exp.id)))
