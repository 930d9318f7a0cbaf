"""What a fuzz target is: a function of the input bytes, the typed errors it may raise,
its seed inputs and (for structured inputs) a structure-aware mutation."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    expected: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]]
    structured: Callable[[bytes, random.Random], bytes] | None = None
    """A structure-aware mutation of an input (JSON bodies: :mod:`tests.fuzz.jsonmut`)."""
