"""The rows the store hands out: plans, accounts, devices, profiles (frozen values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PLANS", "Account", "Device", "Plan", "Profile"]


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    max_height: int
    price_cents: int
    streams: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "max_height": self.max_height,
            "price_cents": self.price_cents,
            "streams": self.streams,
        }


PLANS: dict[str, Plan] = {
    p.id: p
    for p in (
        Plan("basic", "Basic", 720, 799, 1),
        Plan("standard", "Standard", 1080, 1299, 2),
        Plan("premium", "Premium", 2160, 1799, 4),
    )
}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password_hash: str
    plan: str
    entitled: bool


@dataclass(frozen=True)
class Device:
    id: str
    account_id: str
    model: str
    session_key: bytes


@dataclass(frozen=True)
class Profile:
    id: str
    account_id: str
    name: str
    kids: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kids": self.kids}
