"""The fault plans of one OCA: its own, and one per client (the device of a playback
token), each with its own random draws and trace clock."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from fake_backend.errors import InvalidFaultPlan
from fake_backend.oca.faults import FaultPlan

__all__ = ["MAX_CLIENT_PLANS", "ClientPlan", "PlanBook"]

MAX_CLIENT_PLANS = 10_000
"""Client plans one OCA keeps at most (a full OCA refuses another with 400)."""


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


class PlanBook:
    """Which plan, random draws and trace clock a request is served under."""

    def __init__(self) -> None:
        self.plan = FaultPlan()
        self.plan_set_at = time.monotonic()
        self.rng = random.Random(0)
        self.client_plans: dict[str, ClientPlan] = {}

    def set_plan(self, plan: FaultPlan) -> None:
        """The OCA's own plan (every request without a client plan)."""
        self.plan = plan
        self.plan_set_at = time.monotonic()
        self.rng = random.Random(plan.seed)

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

    def for_client(self, client: str | None) -> tuple[FaultPlan, random.Random, float]:
        """(plan, draws, trace clock zero) of a request from ``client``; a client plan's
        clock starts at its first request."""
        entry = self.client_plans.get(client) if client is not None else None
        if entry is None:
            return self.plan, self.rng, self.plan_set_at
        if entry.started_at is None:
            entry.started_at = time.monotonic()
        return entry.plan, entry.rng, entry.started_at
