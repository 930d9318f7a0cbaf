"""HTTP Range header for one file (RFC 9110 14.1.2). Pure.

Single ranges only: ``bytes=a-b``, ``bytes=a-`` (open-ended), ``bytes=-n`` (suffix).
A syntactically invalid header or several ranges are ignored (the whole file is served), as
the RFC allows; a well-formed range that selects no byte is unsatisfiable (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ByteRange", "Unsatisfiable", "parse_range"]

_SINGLE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(Exception):
    """The range selects no byte of the file."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """None means "serve the whole file"; raises :class:`Unsatisfiable` for 416."""
    if header is None:
        return None
    m = _SINGLE.fullmatch(header)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if len(first) > 18 or len(last) > 18:
        return None
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            raise Unsatisfiable(header)
        return ByteRange(max(0, size - n), size - 1)
    start = int(first)
    end = size - 1 if last == "" else int(last)
    if last != "" and end < start:
        return None
    if start >= size:
        raise Unsatisfiable(header)
    return ByteRange(start, min(end, size - 1))
