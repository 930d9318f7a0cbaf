"""Build ABR algorithms by name; the player and the simulator use this one registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abr.base import AbrAlgorithm
from abr.bba import BBA0, BBA1, BBA2
from abr.bola import Bola, BolaE
from abr.default import Horizon
from abr.dynamic import Dynamic
from abr.errors import AlgorithmConfigError, UnknownAlgorithmError
from abr.estimators import HarmonicMean
from abr.mpc import MPC
from abr.throughput import ThroughputRule

__all__ = ["DEFAULT", "create", "names", "register"]

DEFAULT = "horizon"
"""The algorithm the player uses unless told otherwise (also built by ``create("default")``)."""

Factory = Callable[..., AbrAlgorithm]

_FACTORIES: dict[str, Factory] = {
    "bb": lambda **kw: BBA0(**{"mapping": "index", "name": "bb", **kw}),
    "bba0": lambda **kw: BBA0(**kw),
    "bba1": lambda **kw: BBA1(**kw),
    "bba2": lambda **kw: BBA2(**kw),
    "rb": lambda window=5, **kw: ThroughputRule(
        HarmonicMean(window),
        **{
            "safety": 1.0,
            "name": "rb",
            "latency_aware": False,
            "insufficient_buffer_rule": False,
            **kw,
        },
    ),
    "throughput": lambda **kw: ThroughputRule(**kw),
    "bola": lambda **kw: Bola(**kw),
    "bola-e": lambda **kw: BolaE(**kw),
    "dynamic": lambda **kw: Dynamic(**kw),
    "mpc": lambda **kw: MPC(**{"robust": False, "name": "mpc", **kw}),
    "robustmpc": lambda **kw: MPC(**kw),
    "horizon": lambda **kw: Horizon(**kw),
}


def register(name: str, factory: Factory) -> None:
    """Add an algorithm (for experiments and plug-ins); names are unique."""
    if name in _FACTORIES or name == "default":
        raise AlgorithmConfigError(
            f"{name!r} is already registered", algorithm=name, parameter="name"
        )
    _FACTORIES[name] = factory


def names() -> tuple[str, ...]:
    """Registered names (``"default"`` is an alias of :data:`DEFAULT`)."""
    return (*_FACTORIES, "default")


def create(name: str, **params: Any) -> AbrAlgorithm:
    """A fresh algorithm instance; unknown names or parameters raise typed errors."""
    key = DEFAULT if name == "default" else name
    factory = _FACTORIES.get(key)
    if factory is None:
        raise UnknownAlgorithmError(name, known=names())
    try:
        algo = factory(**params)
    except TypeError as exc:
        raise AlgorithmConfigError(
            f"bad parameters {sorted(params)}: {exc}",
            algorithm=name,
            parameter=",".join(sorted(params)),
        ) from None
    if name == "default":
        algo.name = "default"
    return algo
