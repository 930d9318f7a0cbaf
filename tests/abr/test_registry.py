"""The registry: every name builds a working algorithm; typed errors for bad names/params."""

from __future__ import annotations

import pytest

from abr import registry
from abr.base import AbrAlgorithm
from abr.errors import AlgorithmConfigError, UnknownAlgorithmError
from mediacore.errors import AbrError


def test_names_and_default() -> None:
    names = registry.names()
    for expected in (
        "bb",
        "bba0",
        "bba1",
        "bba2",
        "rb",
        "throughput",
        "bola",
        "bola-e",
        "dynamic",
        "mpc",
        "robustmpc",
        "default",
        registry.DEFAULT,
    ):
        assert expected in names
    for name in names:
        algo = registry.create(name)
        assert isinstance(algo, AbrAlgorithm)
    d = registry.create("default")
    assert d.name == "default" and type(d) is type(registry.create(registry.DEFAULT))


def test_instances_are_independent() -> None:
    assert registry.create("robustmpc") is not registry.create("robustmpc")


def test_unknown_name() -> None:
    with pytest.raises(UnknownAlgorithmError) as info:
        registry.create("pensieve")
    assert info.value.code == 9003 and "robustmpc" in str(info.value)
    assert isinstance(info.value, AbrError)


def test_bad_parameters() -> None:
    with pytest.raises(AlgorithmConfigError) as info:
        registry.create("bb", colour="red")
    assert info.value.code == 9004
    with pytest.raises(AlgorithmConfigError):
        registry.create("robustmpc", horizon=99)
    with pytest.raises(AlgorithmConfigError):
        registry.create("default", reserve_weight=-1.0)


def test_register_plugin() -> None:
    registry.register("test-only-bb", lambda **kw: registry.create("bb", **kw))
    assert "test-only-bb" in registry.names()
    with pytest.raises(AlgorithmConfigError):
        registry.register("bb", lambda **kw: registry.create("bb"))
