"""One target under atheris (libFuzzer, coverage-guided), in its own process:
``python -m tests.fuzz.atheris_run NAME [libFuzzer flags] WORKDIR SEEDDIR``.

Every input goes through the same budget as in ``make test``; a crash, an unexpected
exception or an input over budget stops the run and libFuzzer writes the input to its
``-artifact_prefix`` (``tests/fuzz/corpus/NAME/crash-*``: kept as a regression input)."""

from __future__ import annotations

import logging
import random
import sys

import atheris

PROJECT = ("mediacore", "manifest", "drm", "nrdp", "fake_backend", "apps")


def main() -> None:
    name, flags = sys.argv[1], sys.argv[2:]
    logging.disable(logging.WARNING)  # parsers log what they skip: noise at 1000 inputs/s
    # The project's modules are instrumented for coverage as they load: the targets and
    # the first run import them here (instrumenting all of PyAV and numpy takes minutes).
    with atheris.instrument_imports(include=list(PROJECT)):
        from tests.fuzz.budget import run_one, warm_up
        from tests.fuzz.targets import target

        t = target(name)
        warm_up(t, t.seeds())

    def one(data: bytes) -> None:
        run_one(t, data)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        """Half the time the target's structure-aware mutation (JSON bodies), else
        libFuzzer's own; one that outgrows ``max_size`` falls back to libFuzzer's."""
        assert t.structured is not None
        if seed & 1:
            out = t.structured(data, random.Random(seed))
            if len(out) <= max_size and out != data:
                return out
        return bytes(atheris.Mutate(data, max_size))

    custom = {"custom_mutator": mutate} if t.structured is not None else {}
    atheris.Setup([sys.argv[0], *flags], one, **custom)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
