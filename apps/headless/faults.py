"""Fault control over the backend's control-plane HTTP endpoints (docs/backend.md).

The app never touches backend objects to inject faults: it speaks the same HTTP API an
operator or a CI job would (``PUT /control/v1/ocas/{id}/faults`` and friends). A plan may
be scoped to one client (``?client=DEVICE_ID``): the OCA knows the client by the playback
token the SDK sends with every OCA request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp

from abr.sim import Trace, parse_trace
from apps.headless.backend import UsageError

__all__ = [
    "PLAN_FIELDS",
    "SERVICES",
    "ControlClient",
    "ControlError",
    "load_trace",
    "trace_points",
]

PLAN_FIELDS = frozenset(
    {
        "latency_ms",
        "ttfb_ms",
        "bandwidth_kbps",
        "trace",
        "error_rate",
        "error_status",
        "reset_rate",
        "stall_after_bytes",
        "stall_ms",
        "truncate_after_bytes",
        "down",
        "paths",
        "seed",
        "trickle_bps",
    }
)
SERVICES = ("recommendations", "search", "steering", "artwork")


class ControlError(Exception):
    """The control plane refused a request or could not be reached."""


def load_trace(path: Path, fmt: str | None = None) -> Trace:
    """Parse a throughput trace file with ``abr.sim.traces`` (format guessed when None):
    one column of millisecond timestamps is Mahimahi, two columns ``time_s kbps``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read trace {path}: {exc}") from None
    if fmt is None:
        first = next((ln.split() for ln in text.splitlines() if ln.strip()), [])
        fmt = "mahimahi" if len(first) == 1 else "kbps"
    return parse_trace(text, path.stem, fmt)


def trace_points(trace: Trace) -> list[list[float]]:
    """The OCA fault plan's ``[[time_s, kbps], ...]`` (a rate holds from its time on).

    ``abr`` traces hold sample i on ``(t[i-1], t[i]]``; the OCA holds a point's rate from
    its time until the next point, so sample i is sent at ``t[i-1]`` (times from 0).
    """
    t0 = trace.times_s[0]
    pts = [[trace.times_s[i - 1] - t0, trace.kbps[i]] for i in range(1, len(trace.times_s))]
    return pts[:100_000]


class ControlClient:
    """A small aiohttp client for OCA fault plans, service faults and the experiment report."""

    def __init__(
        self, control_url: str | None, oca_ids: tuple[str, ...] = (), token: str | None = None
    ) -> None:
        self.control_url = control_url.rstrip("/") if control_url else None
        self.oca_ids = oca_ids
        token = token or os.environ.get("NRDP_CONTROL_TOKEN")  # with --control URL alone
        self._headers = {"X-Nrdp-Control-Token": token} if token else {}
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ControlClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        if self.control_url is None:
            raise ControlError(
                "no control plane URL: give --endpoints FILE (or --control URL) for faults"
            )
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=10), headers=self._headers
            )
        url = self.control_url + path
        try:
            async with self._http.request(method, url, json=body, params=params) as resp:
                doc = await resp.json(content_type=None)
                if resp.status >= 400:
                    err = doc.get("error", {}) if isinstance(doc, dict) else {}
                    raise ControlError(
                        f"{method} {path}: HTTP {resp.status} {err.get('name', '')} "
                        f"{err.get('message', '')}".rstrip()
                    )
                return doc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ControlError(f"{method} {path}: {type(exc).__name__}: {exc}") from None

    async def ocas(self) -> list[dict[str, Any]]:
        doc = await self._call("GET", "/control/v1/ocas")
        return list(doc.get("ocas", []))

    async def all_oca_ids(self) -> tuple[str, ...]:
        if not self.oca_ids:
            self.oca_ids = tuple(o["oca_id"] for o in await self.ocas())
        return self.oca_ids

    async def set_plan(
        self, oca_id: str, plan: dict[str, Any], client: str | None = None
    ) -> dict[str, Any]:
        """The OCA's plan, or with ``client`` (a device id) that client's plan only."""
        unknown = set(plan) - PLAN_FIELDS
        if unknown:
            raise ControlError(f"unknown fault fields {sorted(unknown)}")
        params = {"client": client} if client is not None else None
        return dict(await self._call("PUT", f"/control/v1/ocas/{oca_id}/faults", plan, params))

    async def clear(self, oca_id: str, client: str | None = None) -> None:
        """Every plan of the OCA (and bring it up), or with ``client`` that client's only."""
        params = {"client": client} if client is not None else None
        await self._call("DELETE", f"/control/v1/ocas/{oca_id}/faults", params=params)

    async def service_fault(self, name: str, error_rate: float, latency_ms: float) -> None:
        body = {"error_rate": error_rate, "latency_ms": latency_ms}
        await self._call("PUT", f"/control/v1/services/{name}/faults", body)

    async def services(self) -> list[dict[str, Any]]:
        """The gateway services the control plane can take down, each with ``up``."""
        doc = await self._call("GET", "/control/v1/services")
        return list(doc.get("services", []))

    async def service_down(self, name: str) -> None:
        """Take a whole gateway service down: every route of it answers 503 (8162)."""
        await self._call("POST", f"/control/v1/services/{name}/down", {})

    async def service_up(self, name: str) -> None:
        await self._call("POST", f"/control/v1/services/{name}/up", {})

    async def live(self, channel: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """A live channel control (docs/live.md): ``period``, ``late``, ``missing``,
        ``clear`` (late and missing), ``end``, or ``clock`` (skew the time endpoints)."""
        if action == "clock":
            return dict(await self._call("PUT", "/control/v1/live/clock", body))
        if action == "clear":
            return dict(await self._call("DELETE", f"/control/v1/live/{channel}/faults"))
        return dict(await self._call("POST", f"/control/v1/live/{channel}/{action}", body))

    async def reset_all(self) -> None:
        """Every OCA healthy and up, every service fault off, discovery up, chaos stopped."""
        for oca_id in await self.all_oca_ids():
            await self.clear(oca_id)
        for name in SERVICES:
            await self.service_fault(name, 0.0, 0.0)
        await self.service_up("discovery")
        await self._call("POST", "/control/v1/chaos/stop", {})

    async def reset_breakers(self) -> list[dict[str, Any]]:
        """Close every gateway breaker (``POST /control/v1/breakers/reset``), so one
        scenario's 5xx burst does not fail the next one fast."""
        doc = await self._call("POST", "/control/v1/breakers/reset", {})
        return list(doc.get("breakers", []))

    async def apply_trace(
        self, trace: Trace, oca_ids: tuple[str, ...] | None = None, client: str | None = None
    ) -> None:
        """Pace the OCAs (default: all) by ``trace``, for every client or only ``client``
        (whose trace clock then starts at its first request to each OCA)."""
        points = trace_points(trace)
        for oca_id in oca_ids or await self.all_oca_ids():
            await self.set_plan(oca_id, {"trace": points}, client)

    async def start_chaos(self, seed: int | None = None, interval_s: float = 5.0) -> dict[str, Any]:
        """Start the backend's chaos (OCAs down and up at random), reseeded with ``seed``."""
        body: dict[str, Any] = {"interval_s": interval_s}
        if seed is not None:
            body["seed"] = seed
        return dict(await self._call("POST", "/control/v1/chaos/start", body))

    async def stop_chaos(self) -> dict[str, Any]:
        """Stop chaos; the backend brings back what it took down (``taken_down``: still down)."""
        return dict(await self._call("POST", "/control/v1/chaos/stop", {}))

    async def experiment_report(self) -> dict[str, Any]:
        return dict(await self._call("GET", "/experiments/v1/report"))
