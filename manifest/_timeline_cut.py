"""SegmentTimeline bodies cut out of an MPD before lxml builds the tree.

A live MPD can hold 100,000 ``S`` elements; lxml building (and freeing) one node each is
most of what parsing it costs, and more than a 20x margin over pure-Python parsers
allows. Where every SegmentTimeline in the document is written as plain
``<SegmentTimeline>`` + ``S`` elements of the strict form ``<S t="..." d="..." r="..."/>``
(each attribute optional, in that order, one space apart, decimal values), the bodies are
checked with one possessive regex (C speed, no backtracking), replaced by their line
breaks (every later element keeps its line) and kept as bytes; the timeline decodes them
on first use (:meth:`manifest.timeline.SegmentTimeline.lazy_raw`) with the same checks and
messages as elements. Anything else (comments, CDATA, PIs anywhere after the prolog,
attributes on SegmentTimeline, other S attributes, other spacing) leaves the document as
it is. Such a body is well-formed XML by construction, so the cut document parses exactly
when the original does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifest._spans import plain_after_prolog

__all__ = ["CutTimelines", "cut_timelines", "s_elements"]

_OPEN = b"<SegmentTimeline>"
_CLOSE = b"</SegmentTimeline>"
_WS = rb"[ \t\n]"
_S_FORM = rb'<S(?: t="([0-9]++)")?+(?: d="([0-9]++)")?+(?: r="(-?[0-9]++)")?+' + _WS + rb"*+/>"
_BODY = re.compile(rb"(?:" + _WS + rb"*+" + _S_FORM + rb")*+" + _WS + rb"*+")
_S_RE = re.compile(_S_FORM)
MIN_BYTES = 64 * 1024
"""Smaller documents are parsed as they are (the scan would not pay for itself)."""


@dataclass(frozen=True)
class CutTimelines:
    """The document with its SegmentTimeline bodies cut, and the bodies in document order."""

    data: bytes
    bodies: tuple[bytes, ...]


def cut_timelines(data: bytes) -> CutTimelines | None:
    """``data`` with every SegmentTimeline body cut out; None where any is not plain."""
    if len(data) < MIN_BYTES or not plain_after_prolog(data):
        return None
    total = data.count(b"<SegmentTimeline")
    if total == 0:
        return None
    parts: list[bytes] = []
    bodies: list[bytes] = []
    pos = 0
    while (at := data.find(_OPEN, pos)) >= 0:
        start = at + len(_OPEN)
        end = data.find(_CLOSE, start)
        if end < 0:
            return None
        body = data[start:end]
        if _BODY.fullmatch(body) is None:
            return None
        parts += (data[pos:start], b"\n" * body.count(b"\n"))
        bodies.append(body)
        pos = end
    if len(bodies) != total:
        return None  # a SegmentTimeline with attributes, or a name that only starts so
    parts.append(data[pos:])
    return CutTimelines(b"".join(parts), tuple(bodies))


class _S:
    """What the timeline decoder reads of an ``S`` element, for one cut ``S``."""

    __slots__ = ("_at", "_body", "_line", "attrib")

    tag = "S"

    def __init__(self, attrib: dict[str, str], body: bytes, at: int, line: int | None) -> None:
        self.attrib = attrib
        self._body = body
        self._at = at
        self._line = line

    def get(self, name: str) -> str | None:
        return self.attrib.get(name)

    @property
    def sourceline(self) -> int | None:
        """The line of the ``<S`` (counted only for a message)."""
        return None if self._line is None else self._line + self._body.count(b"\n", 0, self._at)


def s_elements(body: bytes, line: int | None) -> Iterator[_S]:
    """The ``S`` elements of a cut body; ``line``: the SegmentTimeline start tag's line."""
    for m in _S_RE.finditer(body):
        t, d, r = m.groups()
        attrib = {}
        if t is not None:
            attrib["t"] = t.decode()
        if d is not None:
            attrib["d"] = d.decode()
        if r is not None:
            attrib["r"] = r.decode()
        yield _S(attrib, body, m.start(), line)
