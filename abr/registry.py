"""Build ABR algorithms by name; the player and the simulator use this one registry.

A name is one of three things, resolved here and only here (the simulator, the headless
``--abr`` flag and scenario files, the desktop app's ``--abr`` and the A/B cells the Play
API hands the player all call :func:`create` or :func:`check`):

* a built-in or :func:`register`-ed name (``"bola"``, ``"default"``...);
* ``"package.module:ClassName"``: any importable class (or factory) whose instances have
  ``name``, ``choose(obs)`` and ``reset()`` (:class:`~abr.base.AbrAlgorithm`); keyword
  parameters go to its constructor;
* the name of an entry point in the ``nrdp_sdk.abr`` group of an installed distribution
  (``[project.entry-points."nrdp_sdk.abr"] mine = "mypkg.abr:Mine"``).

A plug-in that cannot be imported, is not a class, or builds something that is not an
algorithm is a typed :class:`~abr.errors.AlgorithmConfigError`; an unknown plain name is
:class:`~abr.errors.UnknownAlgorithmError`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
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

__all__ = ["DEFAULT", "ENTRY_POINT_GROUP", "check", "create", "names", "register"]

ENTRY_POINT_GROUP = "nrdp_sdk.abr"
"""Installed distributions add algorithms under this entry-point group."""

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
    """Registered names (``"default"`` is an alias of :data:`DEFAULT`), then the names of
    installed ``nrdp_sdk.abr`` entry points."""
    plugged = tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)))
    return (*_FACTORIES, "default", *(n for n in plugged if n not in _FACTORIES))


def _plugin(name: str) -> Factory:
    """The class (or factory) a ``module:attr`` name or an entry point names."""
    spec = name
    if ":" not in name:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            raise UnknownAlgorithmError(name, known=names())
        spec = found[0].value
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise AlgorithmConfigError(
            f"{spec!r} is not 'package.module:ClassName'", algorithm=name, parameter="name"
        )
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise AlgorithmConfigError(
            f"cannot load {spec!r}: {exc}", algorithm=name, parameter="name"
        ) from None
    if not callable(target):
        raise AlgorithmConfigError(
            f"{spec!r} is not a class or factory", algorithm=name, parameter="name"
        )
    return target


def _factory(name: str) -> Factory:
    factory = _FACTORIES.get(DEFAULT if name == "default" else name)
    return factory if factory is not None else _plugin(name)


def check(name: str) -> None:
    """Raise the typed error :func:`create` would for ``name`` (unknown, or a plug-in that
    does not load) without building anything: what the CLIs and scenario files call."""
    _factory(name)


def create(name: str, **params: Any) -> AbrAlgorithm:
    """A fresh algorithm instance; unknown names or parameters raise typed errors."""
    factory = _factory(name)
    try:
        algo = factory(**params)
    except TypeError as exc:
        raise AlgorithmConfigError(
            f"bad parameters {sorted(params)}: {exc}",
            algorithm=name,
            parameter=",".join(sorted(params)),
        ) from None
    if not isinstance(algo, AbrAlgorithm):
        raise AlgorithmConfigError(
            f"{name!r} built a {type(algo).__name__}, which lacks name/choose()/reset()",
            algorithm=name,
            parameter="name",
        )
    if name == "default":
        algo.name = "default"
    return algo
