"""dash.js DYNAMIC: throughput rule while the buffer is low, BOLA once it is comfortable."""

from __future__ import annotations

from typing import ClassVar

from abr.bola import Bola
from abr.throughput import ThroughputRule
from abr.tunables import Tunable
from abr.types import Decision, Observation

__all__ = ["Dynamic"]


class Dynamic:
    """Switch to BOLA above ``threshold_s`` when BOLA asks at least as much as the
    throughput rule; back to throughput below it when BOLA asks less (Sabre's ``Dynamic``)."""

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (Tunable("threshold_s", float, 0.0, 600.0),)

    def __init__(self, threshold_s: float = 10.0, name: str = "dynamic") -> None:
        self.name = name
        self.threshold_s = threshold_s
        self.bola = Bola()
        self.tput = ThroughputRule()
        self.reset()

    def reset(self) -> None:
        self.bola.reset()
        self.tput.reset()
        self._use_bola = False

    def choose(self, obs: Observation) -> Decision:
        b = self.bola.choose(obs)
        t = self.tput.choose(obs)
        if self._use_bola:
            if obs.buffer_s < self.threshold_s and b.rung < t.rung:
                self._use_bola = False
        elif obs.buffer_s > self.threshold_s and b.rung >= t.rung:
            self._use_bola = True
        chosen = b if self._use_bola else t
        return Decision(
            chosen.rung, ("BOLA: " if self._use_bola else "throughput: ") + chosen.reason
        )
