"""Buffer-based rate adaptation (Huang et al., SIGCOMM 2014): BBA-0, BBA-1, BBA-2.

The buffer is the state: below a *reservoir* fetch the lowest rung, above
*reservoir + cushion* the highest, and in between follow a monotone map from buffer to rate
(BBA-0) or to chunk size (BBA-1, which copes with variable bitrate). BBA-2 adds the paper's
startup phase: while the buffer grows fast, step up one rung per segment.
"""

from __future__ import annotations

from typing import ClassVar

from abr.errors import AlgorithmConfigError
from abr.tunables import Tunable
from abr.types import Decision, Observation, Phase

__all__ = ["BBA0", "BBA1", "BBA2"]


def _check_nonneg(algo: str, **values: float) -> None:
    for k, v in values.items():
        if not (isinstance(v, int | float) and v >= 0):
            raise AlgorithmConfigError(f"{k} must be a number >= 0", algorithm=algo, parameter=k)


class BBA0:
    """BBA-0: reservoir, cushion, a linear rate map.

    ``mapping="rate"`` is the paper's map (linear in bitrate, with its Rate+/Rate- hysteresis:
    stay until the map crosses a neighbouring rung). ``mapping="index"`` is Pensieve's ``bb.py``
    (linear in ladder index, truncated, no hysteresis), the "BB" row of the reference figures.
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        Tunable("reservoir_s", float, 0.0, 120.0),
        Tunable("cushion_s", float, 0.1, 240.0),
        Tunable("mapping", str, choices=("rate", "index")),
    )

    def __init__(
        self,
        reservoir_s: float = 5.0,
        cushion_s: float = 10.0,
        mapping: str = "rate",
        name: str = "bba0",
    ) -> None:
        _check_nonneg(name, reservoir_s=reservoir_s, cushion_s=cushion_s)
        if cushion_s <= 0:
            raise AlgorithmConfigError(
                "cushion_s must be positive", algorithm=name, parameter="cushion_s"
            )
        if mapping not in ("rate", "index"):
            raise AlgorithmConfigError(
                "mapping must be 'rate' or 'index'", algorithm=name, parameter="mapping"
            )
        self.name = name
        self.reservoir_s = float(reservoir_s)
        self.cushion_s = float(cushion_s)
        self.mapping = mapping

    def reset(self) -> None:
        pass

    def choose(self, obs: Observation) -> Decision:
        rates = obs.ladder.bitrates_kbps
        top = len(rates) - 1
        b, r, cu = obs.buffer_s, self.reservoir_s, self.cushion_s
        if b < r:
            return Decision(0, f"buffer {b:.1f}s in reservoir {r:.0f}s")
        if b >= r + cu:
            return Decision(top, f"buffer {b:.1f}s above cushion {r + cu:.0f}s")
        frac = (b - r) / cu
        if self.mapping == "index":
            return Decision(int(top * frac), f"index map at {frac:.2f}")
        f = rates[0] + (rates[-1] - rates[0]) * frac
        prev = obs.last_rung if obs.last_rung is not None else 0
        up = rates[min(prev + 1, top)]
        down = rates[max(prev - 1, 0)]
        if f >= up:
            rung = max(i for i, x in enumerate(rates) if x < f or i == 0)
        elif f <= down:
            rung = min(i for i, x in enumerate(rates) if x > f or i == top)
        else:
            rung = prev
        return Decision(rung, f"rate map f(B)={f:.0f}kbps")


class BBA1:
    """BBA-1: a chunk map over the actual segment sizes and a dynamic reservoir.

    The map sends the buffer level to the largest acceptable size of the *next* segment,
    linearly from the lowest rung's average segment size (at the reservoir) to the highest
    rung's (at ``upper_fraction`` of the buffer cap). The reservoir is the extra buffer that
    fetching the upcoming lowest-rung segments at the lowest bitrate would consume over a
    window of ``window_factor`` x buffer cap, clamped to ``[min_reservoir_s,
    max_reservoir_fraction x cap]`` (the paper uses 2 x 240 s, clamped to 8..140 s).
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        Tunable("min_reservoir_s", float, 0.0, 120.0),
        Tunable("max_reservoir_fraction", float, 0.0, 1.0),
        Tunable("upper_fraction", float, 0.01, 1.0),
        Tunable("window_factor", float, 0.0, 10.0),
        Tunable("default_cap_s", float, 1.0, 600.0),
    )

    def __init__(
        self,
        min_reservoir_s: float = 5.0,
        max_reservoir_fraction: float = 0.35,
        upper_fraction: float = 0.9,
        window_factor: float = 2.0,
        default_cap_s: float = 60.0,
        name: str = "bba1",
    ) -> None:
        _check_nonneg(
            name,
            min_reservoir_s=min_reservoir_s,
            max_reservoir_fraction=max_reservoir_fraction,
            window_factor=window_factor,
        )
        if not 0 < upper_fraction <= 1:
            raise AlgorithmConfigError(
                "upper_fraction must be in (0, 1]", algorithm=name, parameter="upper_fraction"
            )
        if not default_cap_s > 0:
            raise AlgorithmConfigError(
                "default_cap_s must be positive", algorithm=name, parameter="default_cap_s"
            )
        self.name = name
        self.min_reservoir_s = float(min_reservoir_s)
        self.max_reservoir_fraction = float(max_reservoir_fraction)
        self.upper_fraction = float(upper_fraction)
        self.window_factor = float(window_factor)
        self.default_cap_s = float(default_cap_s)

    def reset(self) -> None:
        pass

    def reservoir(self, obs: Observation) -> float:
        """Buffer needed to ride out the lowest rung's size variation over the window."""
        cap = obs.buffer_cap_s or self.default_cap_s
        seg = obs.ladder.segment_duration_s
        rmin_bytes_per_s = obs.ladder.bitrates_kbps[0] * 1000.0 / 8.0
        n = max(1, int(self.window_factor * cap / seg))
        need = 0.0
        for k in range(min(n, max(len(obs.upcoming_sizes), 1))):
            need += obs.segment_size(k, 0) / rmin_bytes_per_s - seg
        hi = max(self.min_reservoir_s, self.max_reservoir_fraction * cap)
        return min(max(need, self.min_reservoir_s), hi)

    def _map(self, obs: Observation) -> tuple[float, float, float]:
        """(reservoir, upper end, chunk-size limit f(B)) for this observation."""
        cap = obs.buffer_cap_s or self.default_cap_s
        res = self.reservoir(obs)
        upper = max(self.upper_fraction * cap, res + obs.ladder.segment_duration_s)
        k = max(
            1,
            min(
                len(obs.upcoming_sizes),
                int(self.window_factor * cap / obs.ladder.segment_duration_s),
            ),
        )
        top = obs.ladder.top
        smin = sum(obs.segment_size(i, 0) for i in range(k)) / k
        smax = sum(obs.segment_size(i, top) for i in range(k)) / k
        frac = min(max((obs.buffer_s - res) / (upper - res), 0.0), 1.0)
        return res, upper, smin + (smax - smin) * frac

    def map_rung(self, obs: Observation) -> tuple[int, str]:
        top = obs.ladder.top
        res, upper, limit = self._map(obs)
        b = obs.buffer_s
        if b < res:
            return 0, f"buffer {b:.1f}s in reservoir {res:.1f}s"
        if b >= upper:
            return top, f"buffer {b:.1f}s above cushion {upper:.0f}s"
        sizes = [obs.segment_size(0, r) for r in range(top + 1)]
        prev = obs.last_rung if obs.last_rung is not None else 0
        if sizes[min(prev + 1, top)] <= limit:
            rung = max(i for i in range(top + 1) if sizes[i] <= limit or i == 0)
        elif limit <= sizes[max(prev - 1, 0)]:
            rung = min(i for i in range(top + 1) if sizes[i] > limit or i == top)
        else:
            rung = prev
        return rung, f"chunk map limit {limit / 1000:.0f}kB (reservoir {res:.1f}s)"

    def choose(self, obs: Observation) -> Decision:
        rung, reason = self.map_rung(obs)
        return Decision(rung, reason)


class BBA2(BBA1):
    """BBA-2: BBA-1 plus the startup phase that ramps up while the buffer grows fast.

    In startup, step up one rung when the last segment downloaded ``k`` times faster than
    real time, ``k`` falling linearly from 8 (empty buffer) to 2 (buffer at the cushion's
    upper end). Startup ends when the chunk map asks for at least as much, or when the buffer
    shrinks. A seek re-enters startup.
    """

    TUNABLES: ClassVar[tuple[Tunable, ...]] = (
        *BBA1.TUNABLES,
        Tunable("start_speedup", float, 0.0, 100.0),
        Tunable("end_speedup", float, 0.0, 100.0),
    )

    def __init__(self, start_speedup: float = 8.0, end_speedup: float = 2.0, **kw: float) -> None:
        kw.setdefault("name", "bba2")  # type: ignore[arg-type]
        super().__init__(**kw)  # type: ignore[arg-type]
        _check_nonneg(self.name, start_speedup=start_speedup, end_speedup=end_speedup)
        self.start_speedup = float(start_speedup)
        self.end_speedup = float(end_speedup)
        self.reset()

    def reset(self) -> None:
        self._startup = True
        self._last_buffer: float | None = None

    def choose(self, obs: Observation) -> Decision:
        if obs.phase is Phase.AFTER_SEEK:
            self._startup = True
            self._last_buffer = None
        map_rung, reason = self.map_rung(obs)
        if not self._startup:
            self._last_buffer = obs.buffer_s
            return Decision(map_rung, reason)
        prev = obs.last_rung if obs.last_rung is not None else 0
        rung = prev
        if obs.samples:
            _, upper, _ = self._map(obs)
            frac = min(max(obs.buffer_s / upper, 0.0), 1.0)
            need = self.start_speedup + (self.end_speedup - self.start_speedup) * frac
            speedup = obs.ladder.segment_duration_s / max(obs.samples[-1].duration_s, 1e-9)
            if speedup >= need:
                rung = min(prev + 1, obs.ladder.top)
        shrinking = self._last_buffer is not None and obs.buffer_s < self._last_buffer
        self._last_buffer = obs.buffer_s
        if map_rung >= rung or shrinking or obs.phase is Phase.REBUFFERING:
            self._startup = False
            return Decision(map_rung, "startup over; " + reason)
        return Decision(rung, f"startup ramp (rung {rung})")
