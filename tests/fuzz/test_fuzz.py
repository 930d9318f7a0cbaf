"""Every fuzz target in ``make test``: its seeds and kept regression inputs, then a few
thousand generated inputs (random bytes and mutated seeds), Hypothesis with a fixed seed so
a regression is red in CI and the run is the same every time. ``make fuzz`` runs the same
targets coverage-guided with atheris (``python -m tests.fuzz``)."""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.budget import run_one, warm_up
from tests.fuzz.targets import CORPUS, KNOWN_INPUTS, KNOWN_TARGETS, TARGETS, target

EXAMPLES = int(os.environ.get("NRDP_FUZZ_EXAMPLES", "1000"))
_SLOW = {"mpd": 4, "cenc": 2, "fmp4": 2, "scenario": 4, "mpd_open": 4, "segment_media": 4}
"""Costlier inputs: fewer of them."""
_VALUES = [0, 1, 2, 8, 0x7F, 0xFF, 0xFFFF, 1 << 20, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    buf = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "u32", "insert", "delete", "cut", "repeat"]))
        at = draw(st.integers(0, len(buf)))
        if op == "flip" and at < len(buf):
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "u32":
            buf[at : at + 4] = struct.pack(">I", draw(st.sampled_from(_VALUES)))
        elif op == "insert":
            buf[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[at : at + draw(st.integers(1, 64))]
        elif op == "cut":
            del buf[at:]
        else:
            buf[at:at] = buf[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
    return bytes(buf)


@st.composite
def _structured(
    draw: st.DrawFn, seeds: list[bytes], mutate: Callable[[bytes, random.Random], bytes]
) -> bytes:
    """A seed after a few of the target's structure-aware mutations (wrong types, huge
    numbers, deep nesting, giant strings in a JSON body)."""
    data = draw(st.sampled_from(seeds))
    rng = draw(st.randoms(use_true_random=False))
    for _ in range(draw(st.integers(1, 3))):
        data = mutate(data, rng)
    return data


def _kept() -> list[object]:
    out: list[object] = []
    for name in sorted(TARGETS):
        folder = CORPUS / name
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            key = f"{name}/{path.name}"
            reason = KNOWN_INPUTS.get(key, "")
            hangs = "runs until" in reason  # not run: it would spend the whole hang guard
            marks = [pytest.mark.xfail(reason=reason, strict=False, run=not hangs)]
            out.append(pytest.param(name, path, id=key, marks=marks if key in KNOWN_INPUTS else []))
    return out


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_stay_typed_and_in_budget(name: str) -> None:
    t = target(name)
    seeds = t.seeds()
    assert seeds, f"{name} has no seed"
    warm_up(t, seeds)
    for data in seeds:
        run_one(t, data)


@pytest.mark.parametrize(("name", "path"), _kept())
def test_kept_regression_inputs_stay_typed_and_in_budget(name: str, path: Path) -> None:
    """Every input a fuzzer found (``tests/fuzz/corpus/<target>/``), once per file."""
    t = target(name)
    warm_up(t, t.seeds())
    run_one(t, path.read_bytes())


def _generated_params() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_TARGETS[n], strict=False))
        if n in KNOWN_TARGETS
        else n
        for n in sorted(TARGETS)
    ]


@pytest.mark.parametrize("name", _generated_params())
def test_generated_inputs_stay_typed_and_in_budget(name: str) -> None:
    t = target(name)
    seeds = t.seeds()
    warm_up(t, seeds)
    inputs = st.binary(max_size=256) | _mutated(seeds)
    if t.structured is not None:
        inputs |= _structured(seeds, t.structured)

    @settings(
        max_examples=EXAMPLES // _SLOW.get(name, 1),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=inputs)
    def check(data: bytes) -> None:
        run_one(t, data)

    check()
