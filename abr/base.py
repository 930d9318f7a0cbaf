"""The one interface every ABR algorithm implements (player and simulator use it alike)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from abr.types import Decision, Observation

__all__ = ["AbrAlgorithm"]


@runtime_checkable
class AbrAlgorithm(Protocol):
    """Observation in, decision out. ``reset()`` forgets the session (new title or seek)."""

    name: str

    def choose(self, obs: Observation) -> Decision: ...

    def reset(self) -> None: ...
