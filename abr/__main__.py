"""``python -m abr`` / ``nrdp-abr``: the simulator's command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from abr.sim.cli import main as _cli_main

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    return _cli_main(list(argv) if argv is not None else None)


if __name__ == "__main__":
    sys.exit(main())
