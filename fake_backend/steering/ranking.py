"""Rank OCAs for one client and title. Pure: statuses in, ordered candidates out.

Score = 2 x holds-the-title + 3 x health - 0.05 x active requests + 0.5 x affinity, where
health falls with the OCA's error/reset rate and heavy shaping, and affinity is a stable
per-(client, OCA) hash in [0, 1) that spreads clients over equally good OCAs. Down OCAs are
not candidates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fake_backend.oca.faults import FaultPlan

__all__ = ["OcaStatus", "RankedOca", "health_of", "rank"]


@dataclass(frozen=True)
class OcaStatus:
    id: str
    url: str
    up: bool
    health: float
    active: int
    holds_title: bool


@dataclass(frozen=True)
class RankedOca:
    oca_id: str
    base_url: str
    rank: int
    score: float
    health: float
    holds_title: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "oca_id": self.oca_id,
            "base_url": self.base_url,
            "rank": self.rank,
            "score": self.score,
            "health": self.health,
            "holds_title": self.holds_title,
        }


def health_of(plan: FaultPlan) -> float:
    if plan.down:
        return 0.0
    h = 1.0 - plan.error_rate - plan.reset_rate
    if plan.latency_ms > 500 or plan.stall_after_bytes is not None:
        h *= 0.5
    if plan.bandwidth_kbps is not None and plan.bandwidth_kbps < 2000:
        h *= 0.7
    return round(max(0.0, min(1.0, h)), 3)


def _affinity(client_key: str, oca_id: str) -> float:
    d = hashlib.sha256(f"{client_key}|{oca_id}".encode()).digest()
    return int.from_bytes(d[:4], "big") / 2**32


def rank(statuses: list[OcaStatus], title_id: str, client_key: str) -> list[RankedOca]:
    scored = []
    for s in statuses:
        if not s.up:
            continue
        score = (
            2.0 * s.holds_title
            + 3.0 * s.health
            - 0.05 * s.active
            + 0.5 * _affinity(client_key, s.id)
        )
        scored.append((round(score, 4), s))
    scored.sort(key=lambda x: (-x[0], x[1].id))
    return [
        RankedOca(s.id, f"{s.url}/titles/{title_id}/", i + 1, sc, s.health, s.holds_title)
        for i, (sc, s) in enumerate(scored)
    ]
