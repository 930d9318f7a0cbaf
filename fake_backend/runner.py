"""Start the whole backend in one process: ``async with Backend(data_dir) as be: ...``.

Ports (``port_base`` 0 = every port ephemeral): gateway ``P``, control plane ``P+1``, OCAs
``P+2 .. P+1+N``. Each runs its own aiohttp ``AppRunner``/``TCPSite``. The gateway routes to
auth, discovery, play API, license and telemetry in-process (see gateway/app.py); the
control plane carries steering, OCA fault control, chaos and the experiment report.
On start the backend writes ``<data_dir>/endpoints.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import shutil
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from fake_backend.auth.service import AuthService
from fake_backend.background import BackgroundPackaging, remove_stale_tmp
from fake_backend.catalog import CatalogTitle, catalog_titles, derive_keys
from fake_backend.content import ContentStore, Materializer, SyntheticMaterializer
from fake_backend.context import BackendConfig, Context
from fake_backend.control import CONTROL_TOKEN_HEADER, ControlPlane
from fake_backend.cors import CorsPolicy, install_cors
from fake_backend.discovery.service import DiscoveryService
from fake_backend.gateway.app import Gateway
from fake_backend.gateway.breaker import CircuitBreaker
from fake_backend.license.service import LicenseService
from fake_backend.listener import AcceptErrorLog, ConnectionGuard, GuardedSite, runner_kwargs
from fake_backend.live.channel import ChannelConfig
from fake_backend.live.control import add_control_routes
from fake_backend.live.service import LiveChannels
from fake_backend.oca.chaos import Chaos
from fake_backend.oca.fleet import Fleet
from fake_backend.play_api.service import PlayApiService
from fake_backend.steering.routes import steering_routes
from fake_backend.steering.service import Steering
from fake_backend.store import Store
from fake_backend.telemetry.service import TelemetryService
from fake_backend.tls import TlsFiles, client_context, ensure_certificate, server_context

__all__ = ["DEMO_EMAIL", "Backend"]

log = logging.getLogger("fake_backend")
DEMO_EMAIL = "demo@example.com"
DEMO_PLAN = "standard"


def _media(
    catalog: str | Sequence[CatalogTitle],
    materializer: Materializer | None,
    content_scale: float | None,
) -> tuple[list[CatalogTitle], Materializer]:
    """The catalog rows and what writes their files.

    A player cannot decode synthetic bytes (it used to fail late, with a misleading
    ``AllOcasFailed``), so they are only used when asked for (``content_scale``) or for a
    hand-made catalog without a materializer (its titles have no packager spec). A
    built-in catalog otherwise gets the packager's rows and real H.264/AAC titles, like
    ``serve --media encoded`` (the demo catalog takes minutes to package on first start;
    later starts reuse the data dir's files).
    """
    if materializer is None and content_scale is None and isinstance(catalog, str):
        from fake_backend.packager import PackagerMaterializer
        from fake_backend.packager import catalog_titles as encoded_titles

        return encoded_titles(catalog), PackagerMaterializer()
    rows = catalog_titles(catalog) if isinstance(catalog, str) else list(catalog)
    scale = _SYNTHETIC_SCALE if content_scale is None else content_scale
    return rows, materializer or SyntheticMaterializer(scale)


_SYNTHETIC_SCALE = 0.25
"""Synthetic segment size (x bitrate x duration) when none is given."""


class Backend:
    """The fake backend stack; an async context manager that cleans up everything it opened."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        ocas: int = 3,
        host: str = "127.0.0.1",
        port_base: int = 0,
        catalog: str | Sequence[CatalogTitle] = "demo",
        materializer: Materializer | None = None,
        content_scale: float | None = None,
        config: BackendConfig | None = None,
        chaos_seed: int | None = None,
        chaos_interval_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        reset: bool = False,
        tls: bool = False,
        live: Sequence[ChannelConfig] = (),
        live_start: float | None = None,
        ready_first: Sequence[str] | None = None,
        on_background: Callable[[str, bool], None] | None = None,
    ) -> None:
        """``ready_first``: package only these titles before the servers start and the rest
        in the background (see :mod:`fake_backend.background`; ``on_background(title_id,
        ok)`` runs as each of those is ready or has failed). None: every title first.

        Media (:func:`_media`): a built-in catalog named by ``catalog`` is packaged as
        real, playable titles unless ``materializer`` or ``content_scale`` (the size of
        synthetic, undecodable stand-in segments, for delivery tests) says otherwise."""
        if ocas < 1:
            raise ValueError("the fleet needs at least one OCA")
        self.data_dir = Path(data_dir)
        self.host = host
        self.port_base = port_base
        self.ocas = ocas
        self.catalog, self.materializer = _media(catalog, materializer, content_scale)
        self.live = LiveChannels(live, clock, availability_start=live_start)
        self.catalog += self.live.titles()
        self.config = config or BackendConfig()
        self.chaos_seed = chaos_seed
        self.chaos_interval_s = chaos_interval_s
        self.clock = clock
        self.reset = reset
        self.tls = tls
        self.tls_files: TlsFiles | None = None
        self._server_ssl: ssl.SSLContext | None = None
        self.control_token = self.config.control_token or secrets.token_urlsafe(32)
        self.demo_email = DEMO_EMAIL
        self.demo_password = ""
        self._runners: list[web.AppRunner] = []
        self.guards: dict[str, ConnectionGuard] = {}
        """Connection guards of the gateway and control plane (OCAs hold their own)."""
        self._accept_log = AcceptErrorLog(self.config.limits.accept_error_log_interval_s)
        self._started = False
        self.ready_first = None if ready_first is None else tuple(ready_first)
        self.on_background = on_background
        self._later: list[tuple[CatalogTitle, Any]] = []
        self.background: BackgroundPackaging | None = None

    # -- URLs -------------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return self.ctx.gateway_url

    @property
    def control_url(self) -> str:
        return self.ctx.control_url

    @property
    def oca_urls(self) -> list[str]:
        return [n.url for n in self.fleet.nodes]

    @property
    def control_urls(self) -> list[str]:
        """Per-OCA control endpoints (``GET`` describes, ``/faults`` PUT/DELETE, ``/down``...)."""
        return [f"{self.ctx.control_url}/control/v1/ocas/{n.id}" for n in self.fleet.nodes]

    @property
    def control_headers(self) -> dict[str, str]:
        """The header every control-plane request carries (the token)."""
        return {CONTROL_TOKEN_HEADER: self.control_token}

    def endpoints(self) -> dict[str, Any]:
        return {
            "gateway_url": self.gateway_url,
            "control_url": self.control_url,
            "oca_urls": self.oca_urls,
            "control_urls": self.control_urls,
            "oca_ids": [n.id for n in self.fleet.nodes],
            "demo": {"email": self.demo_email, "password": self.demo_password},
            "titles": [t.id for t in self.catalog],
            "live": list(self.live.channels),
            "control_token": self.control_token,
            **({"tls_cert": str(self.tls_files.cert.resolve())} if self.tls_files else {}),
        }

    # -- lifecycle --------------------------------------------------------------------
    async def __aenter__(self) -> Backend:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _prepare_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.reset:
            for name in (
                "backend.sqlite3",
                "backend.sqlite3-wal",
                "backend.sqlite3-shm",
                "endpoints.json",
            ):
                (self.data_dir / name).unlink(missing_ok=True)
            for sub in ("titles", "ocas"):
                shutil.rmtree(self.data_dir / sub, ignore_errors=True)

    def _seed(self) -> None:
        """Blocking first-start work: catalog rows, origin content, placement, demo account."""
        store, secret = self.ctx.store, self.secret
        first = self.ready_first
        order = self.catalog
        if first is not None:
            remove_stale_tmp(self.origin.root)
            order = sorted(
                self.catalog,
                key=lambda t: (t.id not in first, first.index(t.id) if t.id in first else 0),
            )
        self._later = []
        for t in order:
            keys = derive_keys(secret, t)
            if store.title(t.id) is None:
                store.put_title(t, keys)
            if first is None or t.id in first or self.origin.is_ready(t.id):
                self.origin.ensure(t, keys)
            else:
                self._later.append((t, keys))
        later = {t.id for t, _ in self._later}
        self.live.load(self.origin)
        for t in self.catalog:
            if t.id not in later:
                self.fleet.place_title(t.id, self.config.replicas)
        self.demo_password = store.secret(
            "demo_password", secrets.token_urlsafe(9).encode()
        ).decode()
        if store.account_by_email(self.demo_email) is None:
            self.auth.create_account(self.demo_email, self.demo_password, DEMO_PLAN, entitled=True)

    async def start(self) -> None:
        self._accept_log.install(asyncio.get_running_loop())
        await asyncio.to_thread(self._prepare_dir)
        store = Store(self.data_dir / "backend.sqlite3")
        self.secret = store.secret("server_secret", os.urandom(32))
        self.ctx = Context(store, self.config, self.clock, self.secret)
        self.origin = ContentStore(self.data_dir / "titles", self.materializer)
        client_ssl = None
        if self.tls:
            self.tls_files = await asyncio.to_thread(
                ensure_certificate, self.data_dir / "tls", self.host
            )
            self._server_ssl = server_context(self.tls_files)
            client_ssl = client_context(self.tls_files.cert)
        self.fleet = Fleet(
            self.data_dir,
            self.origin,
            self.ocas,
            self.host,
            server_ssl=self._server_ssl,
            client_ssl=client_ssl,
            token_verifier=self._verify_playback_token,
            require_token=self.config.oca_require_token,
            limits=self.config.limits,
        )
        self.auth = AuthService(self.ctx)
        try:
            await asyncio.to_thread(self._seed)
            base = self.port_base
            oca_ports = [base + 2 + i if base else 0 for i in range(self.ocas)]
            self.live.attach_ocas(self.fleet)
            cors = CorsPolicy.of(self.config.cors_origins)
            for node in self.fleet.nodes:
                install_cors(node.app, cors)
            await self.fleet.start(oca_ports)
            self.steering = Steering(self.fleet, self.config.steering_ttl_s)
            self.chaos = Chaos(self.fleet, self.chaos_seed or 0, self.chaos_interval_s)
            gateway_holder: list[Gateway] = []

            def breaker(name: str) -> CircuitBreaker:
                return gateway_holder[0].breaker(name)

            self.discovery = DiscoveryService(self.ctx, breaker)
            services: list[Any] = [
                self.auth,
                self.discovery,
                PlayApiService(self.ctx, self.steering),
                LicenseService(self.ctx),
                TelemetryService(self.ctx),
            ]
            self.gateway = Gateway(self.ctx, [ep for s in services for ep in s.endpoints()])
            gateway_holder.append(self.gateway)
            install_cors(self.gateway.app, cors)
            self.gateway.app.router.add_routes(steering_routes(self.ctx, self.steering))
            self.control = ControlPlane(
                self.ctx,
                self.fleet,
                self.steering,
                self.chaos,
                self.control_token if self.config.control_require_token else None,
            )
            self.control.breaker_snapshot = lambda: [
                b.snapshot() for b in self.gateway.breakers.values()
            ]
            self.control.breaker_reset = self.gateway.reset_breakers
            self.control.gateway_services = lambda: self.gateway.services
            add_control_routes(self.control.app.router, self.live)
            gw_port = await self._serve("gateway", self.gateway.app, base)
            ctl_port = await self._serve("control", self.control.app, base + 1 if base else 0)
            scheme = "https" if self.tls else "http"
            self.ctx.gateway_url = f"{scheme}://{self.host}:{gw_port}"
            self.ctx.control_url = f"{scheme}://{self.host}:{ctl_port}"
            self.ctx.steering_url = self.ctx.gateway_url
            if self.chaos_seed is not None:
                self.chaos.start()
            await asyncio.to_thread(self._write_endpoints)
            self._start_background()
        except BaseException:
            await self.close()
            raise
        self._started = True

    def _write_endpoints(self) -> None:
        """endpoints.json holds the control token and the demo password: owner-only (0600),
        written to a fresh file so an old, wider mode never survives."""
        path = self.data_dir / "endpoints.json"
        tmp = path.with_name(f".endpoints-{os.getpid()}.json")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(self.endpoints(), indent=2))
        os.replace(tmp, path)

    def _start_background(self) -> None:
        if not self._later:
            return

        def placed(title_id: str) -> None:
            self.fleet.place_title(title_id, self.config.replicas)
            if self.on_background is not None:
                self.on_background(title_id, True)

        def failed(title_id: str, exc: BaseException) -> None:
            if self.on_background is not None:
                self.on_background(title_id, False)

        self.background = BackgroundPackaging(
            self.origin.root, self.materializer, self._later, placed, failed
        )
        self.background.start()

    def _verify_playback_token(self, token: str) -> dict[str, Any]:
        """What OCAs check a request's playback token with (the Play API's signer), with
        ``oca_token_leeway_s`` of grace past its expiry."""
        now = self.ctx.clock() - self.config.oca_token_leeway_s
        return self.ctx.playback.verify(token, now=now)

    async def _serve(self, name: str, app: web.Application, port: int) -> int:
        limits = self.config.limits
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, **runner_kwargs(limits))
        await runner.setup()
        self._runners.append(runner)
        guard = ConnectionGuard(limits)
        site = GuardedSite(
            runner, self.host, port, reuse_address=True, ssl_context=self._server_ssl, guard=guard
        )
        await site.start()
        self.guards[name] = guard
        return site.port

    async def close(self) -> None:
        """Close everything that was opened; one failing step does not skip the others."""
        if self.background is not None:
            await asyncio.to_thread(self.background.close)
            self.background = None
        chaos = getattr(self, "chaos", None)
        steps: list[Callable[[], Awaitable[None]]] = []
        if chaos is not None:
            steps.append(chaos.cancel)
        steps += [runner.cleanup for runner in reversed(self._runners)]
        fleet = getattr(self, "fleet", None)
        if fleet is not None:
            steps.append(fleet.close)
        for step in steps:
            try:
                await step()
            except Exception:
                log.exception("backend shutdown step failed")
        self._runners.clear()
        ctx = getattr(self, "ctx", None)
        if ctx is not None:
            ctx.store.close()
        self._accept_log.uninstall()
        self._started = False
