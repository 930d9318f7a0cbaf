"""What an ABR algorithm lets a sweep change: typed parameters with ranges.

An algorithm class declares ``TUNABLES: tuple[Tunable, ...]``; a parameter sweep parses its
grid against them before any work starts, so a typo or an out-of-range value is a typed
error at the command line, not a crash on a cluster worker an hour later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from abr.errors import AlgorithmConfigError

__all__ = ["Tunable", "parse_value"]

Value = int | float | bool | str


@dataclass(frozen=True, slots=True)
class Tunable:
    """One constructor parameter a sweep may set: its type and its closed range."""

    name: str
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.choices:
            return f"{self.name} in {{{','.join(self.choices)}}}"
        if self.kind is bool:
            return f"{self.name}: bool"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{self.name}: {self.kind.__name__} in [{lo}, {hi}]"


def _number(t: Tunable, text: str, algorithm: str) -> int | float:
    try:
        value: int | float = int(text) if t.kind is int else float(text)
    except ValueError:
        raise AlgorithmConfigError(
            f"{t.name}={text!r} is not {'an integer' if t.kind is int else 'a number'}",
            algorithm=algorithm,
            parameter=t.name,
        ) from None
    if (
        not math.isfinite(value)
        or (t.low is not None and value < t.low)
        or (t.high is not None and value > t.high)
    ):
        raise AlgorithmConfigError(
            f"{t.name}={text} is out of range ({t.describe()})",
            algorithm=algorithm,
            parameter=t.name,
        )
    return value


def parse_value(t: Tunable, text: str, algorithm: str) -> Value:
    """``text`` from a command line as the parameter's type, checked against its range."""
    text = text.strip()
    if t.choices:
        if text not in t.choices:
            raise AlgorithmConfigError(
                f"{t.name}={text!r}: expected one of {', '.join(t.choices)}",
                algorithm=algorithm,
                parameter=t.name,
            )
        return text
    if t.kind is bool:
        lowered = text.lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise AlgorithmConfigError(
                f"{t.name}={text!r} is not a bool", algorithm=algorithm, parameter=t.name
            )
        return lowered in ("true", "1", "yes")
    return _number(t, text, algorithm)
