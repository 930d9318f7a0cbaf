"""``python -m apps.headless``: the QA player and CLI (docs/headless.md)."""

from __future__ import annotations

import sys

from apps.headless.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
