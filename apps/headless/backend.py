"""Where the backend is: a running one (``--backend``/``--endpoints``) or the embedded one.

The embedded backend and the backend description are shared with the desktop app
(:mod:`apps.embedded`); this module adds what only the command line needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from apps.embedded import BackendInfo, EmbeddedBackend, info_from_endpoints, titles_to_package

__all__ = [
    "BackendInfo",
    "EmbeddedBackend",
    "UsageError",
    "info_from_endpoints",
    "read_endpoints",
    "titles_to_package",
]


class UsageError(Exception):
    """Bad arguments or an unreachable/undescribed backend: the CLI exits with code 2."""


def read_endpoints(path: Path) -> BackendInfo:
    """A running backend's ``endpoints.json``; any problem is a :class:`UsageError`."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read endpoints file {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"endpoints file {path} is not a JSON object")
    try:
        return info_from_endpoints(doc)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
