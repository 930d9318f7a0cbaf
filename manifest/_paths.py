"""Element paths (``MPD/Period[2]/AdaptationSet[1]``) built only when a message needs one.

The parser passes ``(parent, name, index)`` tuples down the tree instead of formatting a
string per element; :func:`path_str` renders one for an error or warning.
"""

from __future__ import annotations

from typing import Union

__all__ = ["ElementPath", "path_str"]

ElementPath = Union[str, "tuple[ElementPath, str, int]"]
"""A rendered path, or (parent path, local name, 1-based index or 0 for "not indexed")."""


def path_str(path: ElementPath) -> str:
    parts: list[str] = []
    while isinstance(path, tuple):
        parent, name, index = path
        parts.append(f"{name}[{index}]" if index else name)
        path = parent
    parts.append(path)
    return "/".join(reversed(parts))
