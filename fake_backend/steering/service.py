"""Steering: the live view of the fleet for ranking, and DASH-IF content steering JSON."""

from __future__ import annotations

from typing import Any

from fake_backend.oca.fleet import Fleet
from fake_backend.steering.ranking import OcaStatus, RankedOca, health_of, rank

__all__ = ["Steering"]


class Steering:
    def __init__(self, fleet: Fleet, ttl_s: int) -> None:
        self.fleet = fleet
        self.ttl_s = ttl_s

    def statuses(self, title_id: str) -> list[OcaStatus]:
        holders = set(self.fleet.holders(title_id))
        return [
            OcaStatus(n.id, n.url, n.up, health_of(n.plan), n.active, n.id in holders)
            for n in self.fleet.nodes
        ]

    def rank(self, title_id: str, client_key: str) -> list[RankedOca]:
        return rank(self.statuses(title_id), title_id, client_key)

    def dash_steering(self, title_id: str, client_key: str, reload_uri: str) -> dict[str, Any]:
        """DASH-IF Content Steering (v1) manifest: pathways are OCA ids, best first."""
        ranked = self.rank(title_id, client_key)
        return {
            "VERSION": 1,
            "TTL": self.ttl_s,
            "RELOAD-URI": reload_uri,
            "PATHWAY-PRIORITY": [r.oca_id for r in ranked],
        }
