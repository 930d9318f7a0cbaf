"""The state every service shares: store, config, signers, caches, clocks and URLs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from fake_backend.auth.tokens import TokenSigner
from fake_backend.discovery.cache import TtlCache
from fake_backend.errors import DependencyFailed, InvalidFaultPlan
from fake_backend.experiments.allocation import DEFAULT_EXPERIMENT, Experiment
from fake_backend.gateway.breaker import BreakerConfig
from fake_backend.gateway.ratelimit import RateLimit
from fake_backend.integrity import NonceCache
from fake_backend.limits import LoginLimits, ServerLimits
from fake_backend.store import Store
from mediacore.signed_message import MAX_SKEW_S

__all__ = ["BackendConfig", "Context", "ServiceFault", "ServiceFaults"]


@dataclass(frozen=True)
class BackendConfig:
    """Every tunable of the backend, with the defaults a demo runs with."""

    access_ttl_s: float = 900.0
    refresh_ttl_s: float = 30 * 86400.0
    playback_ttl_s: float = 4 * 3600.0
    rate_limit: RateLimit = field(default_factory=RateLimit)
    body_limit: int = 64 * 1024
    max_skew_s: float = MAX_SKEW_S
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    experiment: Experiment = DEFAULT_EXPERIMENT
    replicas: int = 2
    cache_ttl_s: float = 30.0
    steering_ttl_s: int = 10
    oca_require_token: bool = False
    """OCAs refuse requests without a playback token (403); a bad token is refused anyway."""
    oca_token_leeway_s: float = 30.0
    """OCAs take a playback token this long past its expiry (clock skew between hosts, a
    request in flight as it expires); the license server takes none."""
    control_require_token: bool = True
    """Every control-plane endpoint but ``/health`` needs ``X-Nrdp-Control-Token``."""
    control_token: str | None = None
    """The control token; None: a random one per start (written to endpoints.json)."""
    limits: ServerLimits = field(default_factory=ServerLimits)
    """Connection timeouts and caps, table sizes (fake_backend/limits.py)."""
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    """Brute-force protection of login (fake_backend/limits.py)."""
    cors_origins: tuple[str, ...] = ()
    """Origins a browser page may call the gateway, license service and OCAs from
    (``serve --cors-origin``; ``*`` = any); empty keeps each app's default."""


@dataclass(frozen=True)
class ServiceFault:
    """A fault on an internal dependency (e.g. ``recommendations``) to exercise breakers."""

    error_rate: float = 0.0
    latency_ms: float = 0.0

    @classmethod
    def from_json(cls, doc: object) -> ServiceFault:
        if not isinstance(doc, dict) or set(doc) - {"error_rate", "latency_ms"}:
            raise InvalidFaultPlan("service fault takes only error_rate and latency_ms")
        er, lat = doc.get("error_rate", 0.0), doc.get("latency_ms", 0.0)
        for name, v, hi in (("error_rate", er, 1.0), ("latency_ms", lat, 60_000.0)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= hi:
                raise InvalidFaultPlan(f"{name} must be a number in 0..{hi}")
        return cls(float(er), float(lat))


class ServiceFaults:
    """Named dependency faults, applied where the gateway calls that dependency."""

    NAMES = ("recommendations", "search", "steering", "artwork")

    def __init__(self, seed: int = 0) -> None:
        self._faults: dict[str, ServiceFault] = {}
        self._rng = random.Random(seed)

    def set(self, name: str, fault: ServiceFault) -> None:
        self._faults[name] = fault

    def get(self, name: str) -> ServiceFault:
        return self._faults.get(name, ServiceFault())

    async def apply(self, name: str) -> None:
        f = self._faults.get(name)
        if f is None:
            return
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.error_rate and self._rng.random() < f.error_rate:
            raise DependencyFailed(service=name)


class Context:
    """Shared by the gateway's services (in-process calls) and the control plane."""

    def __init__(
        self, store: Store, config: BackendConfig, clock: Callable[[], float], secret: bytes
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.access = TokenSigner(secret, "access")
        self.playback = TokenSigner(secret, "playback")
        self.nonces = NonceCache(
            ttl_s=2 * config.max_skew_s, max_entries=config.limits.nonce_entries
        )
        self.cache = TtlCache(config.cache_ttl_s)
        self.faults = ServiceFaults()
        self.down_services: set[str] = set()  # gateway services taken down (control plane)
        self.gateway_url = ""
        self.control_url = ""
        self.steering_url = ""
        """Public base URL of steering (the gateway's): the Play API's steering entry and
        every RELOAD-URI are built from it, never from a request's Host header."""
