"""Raw-text keys for the Periods of an MPD: the repeated-Period memo's cheap equality test.

A multi-Period document often repeats the same AdaptationSets in every Period. Comparing
Periods by their serialization (lxml ``tostring``) costs about a third of parsing them from
Python; slicing the Period's own bytes out of the document costs a few percent. The slices
are exact only where every ``<`` starts a tag: not in comments, CDATA sections or processing
instructions, so any region holding ``<!`` or ``<?`` (after the prolog) ends the scan, and
the caller checks that the document has no other element named Period (nested or prefixed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "TEMPLATE_MARK",
    "StrippedDocument",
    "changed_templates",
    "period_keys",
    "plain_after_prolog",
    "strip_repeats",
]

_ATTRS = rb"""(?:\s+[^\s=<>/]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*"""
_PERIOD_START = re.compile(rb"(" + _ATTRS + rb")\s*(/?)>")  # after "<Period"
_PERIOD_END = re.compile(rb"</Period\s*>")
_AFTER_NAME = (b" ", b"\t", b"\n", b"\r", b">", b"/")
_LEADING_BASE_URLS = re.compile(rb"(?:\s*<BaseURL" + _ATTRS + rb"\s*>[^<]*</BaseURL\s*>)*")
_CHILDLESS_TEMPLATE = re.compile(rb"<SegmentTemplate(?=[\s/])[^<>]*/>")
TEMPLATE_MARK = b"<SegmentTemplate/>"
"""What a key holds in place of each childless SegmentTemplate (see :func:`period_keys`)."""


def _root_start(data: bytes) -> int:
    """Offset of the root element's ``<``, skipping the prolog; -1 if unusual."""
    pos = 0
    while True:
        i = data.find(b"<", pos)
        if i < 0:
            return -1
        if data.startswith(b"<?", i):
            end, skip = data.find(b"?>", i), 2
        elif data.startswith(b"<!--", i):
            end, skip = data.find(b"-->", i), 3
        elif data.startswith(b"<!", i):
            return -1  # a DOCTYPE (refused before parsing anyway)
        else:
            return i
        if end < 0:
            return -1
        pos = end + skip


def _plain(data: bytes, start: int, end: int) -> bool:
    """No comment, CDATA section or processing instruction starts in ``data[start:end]``."""
    if data.find(b"!", start, end) < 0 and data.find(b"?", start, end) < 0:
        return True  # memchr: the usual case, without the two-byte search
    return data.find(b"<!", start, end) < 0 and data.find(b"<?", start, end) < 0


def plain_after_prolog(data: bytes) -> bool:
    """No comment, CDATA section or processing instruction after the prolog: every ``<``
    there starts a tag."""
    root = _root_start(data)
    return root >= 0 and _plain(data, root, len(data))


def period_keys(data: bytes, count: int) -> list[tuple[bytes, bytes] | None] | None:
    """For each of the ``count`` ``<Period`` elements, in document order, the bytes of its
    content after its leading BaseURL elements, as (key, text): the key compares Periods,
    the text is the content as written (None: self-closing, or the start tag declares a
    namespace). None when the document cannot be sliced exactly.

    Equal keys mean the Periods' AdaptationSets are written identically in the same
    namespace context, except for the attributes of childless SegmentTemplates (each is
    :data:`TEMPLATE_MARK` in the key): multi-Period documents often differ only there
    (``startNumber``, ``presentationTimeOffset`` going on from Period to Period), and a
    Period taken from the memo parses its own templates. The Period's own attributes and
    leading BaseURLs are left out too.
    """
    scan = _scan(data)
    if scan is None or len(scan[0]) != count + 1:
        return None
    return [None if b is None else b[0] for b in scan[1]]


_Body = tuple[tuple[bytes, bytes], int, int]
"""((key, text), where the text starts and ends in its chunk)."""


def _scan(data: bytes) -> tuple[list[bytes], list[_Body | None]] | None:
    """The document split at ``<Period`` and each chunk's body (see :func:`period_keys`)."""
    root = _root_start(data)
    if root < 0:
        return None
    # One C pass: chunk i (i >= 1) runs from Period i's name to the next "<Period".
    chunks = data.split(b"<Period")
    if not _plain(chunks[0], root, len(chunks[0])):
        return None
    bodies: list[_Body | None] = []
    last: tuple[bytes, bytes] = (b"", b"")
    for chunk in chunks[1:]:
        end = _start_tag_end(chunk)
        if end < 0:
            return None  # "<PeriodFoo", or syntax this scan does not follow
        # No comment/CDATA/PI start in the rest (memchr first: "!" and "?" are rare).
        if (chunk.find(b"!", end) >= 0 or chunk.find(b"?", end) >= 0) and (
            chunk.find(b"<!", end) >= 0 or chunk.find(b"<?", end) >= 0
        ):
            return None
        if chunk[end - 2 : end] == b"/>":
            bodies.append(None)  # <Period .../>
            continue
        close = chunk.rfind(b"</Period")  # the gap to the next Period is short
        if close < end or not (
            chunk.startswith(b"</Period>", close) or _PERIOD_END.match(chunk, close)
        ):
            return None
        lead = _LEADING_BASE_URLS.match(chunk, end)
        body_start = lead.end() if lead is not None else end
        if chunk.find(b"xmlns", 0, end) >= 0:
            bodies.append(None)
            continue
        body = chunk[body_start:close]
        if body != last[1]:  # a repeat of the previous Period: memcmp, no regex
            key = body
            if body.find(b"<SegmentTemplate") >= 0:
                key = _CHILDLESS_TEMPLATE.sub(TEMPLATE_MARK, body)
            last = (key, body)
        bodies.append((last, body_start, close))
    return chunks, bodies


@dataclass(frozen=True)
class StrippedDocument:
    """An MPD whose repeated Period bodies were cut out before lxml sees them."""

    data: bytes
    keys: list[tuple[bytes, bytes] | None]
    stripped: frozenset[int]
    """Indices of the Periods whose body is cut: each repeats an earlier kept Period's key."""


def strip_repeats(data: bytes, max_distinct: int, max_misses: int) -> StrippedDocument | None:
    """``data`` with the body of every Period whose key repeats an earlier Period's cut
    out, so that lxml never builds (and the parser never walks) the repeated elements.

    Building the tree costs about as much as the parser's Python work on a repeated
    Period. A cut body keeps its line breaks (every later element keeps its line) and,
    when its text differs from the first Period's with that key, its childless
    SegmentTemplates, each on its own line, for the memo hit to parse. None when nothing
    repeats or the document cannot be sliced (:func:`period_keys`); a cut document may
    still fail to parse like the original (the caller then parses the original).
    ``max_distinct``/``max_misses`` mirror the memo's limits: keys it would not remember
    are not cut.
    """
    if b"SegmentTimeline" in data or data.count(b"<Period") < 3:
        return None  # the memo is off for both (and a big timeline's bytes are not scanned)
    scan = _scan(data)
    if scan is None:
        return None
    chunks, bodies = scan
    first: dict[bytes, bytes] = {}
    stripped: set[int] = set()
    misses = 0
    out = chunks[:]
    for i, entry in enumerate(bodies):
        if entry is None:
            return None  # such a Period is keyed by its serialization
        (key, text), start, close = entry
        seen = first.get(key)
        if seen is None:
            misses += 1
            if not stripped and misses >= max_misses:
                return None  # the memo gives up on such documents
            if len(first) < max_distinct and _only_sets(text):
                first[key] = text
            continue
        chunk = chunks[i + 1]
        out[i + 1] = chunk[:start] + _filler(text, seen) + chunk[close:]
        stripped.add(i)
    if not stripped:
        return None
    keys = [None if b is None else b[0] for b in bodies]
    return StrippedDocument(b"<Period".join(out), keys, frozenset(stripped))


def _only_sets(text: bytes) -> bool:
    """Whether a body looks like AdaptationSets only (what the memo takes; if it holds
    anything else between them, the cut document's parse fails over to the original)."""
    body = text.strip()
    return body.startswith(b"<AdaptationSet") and body.endswith(b"</AdaptationSet>")


def _filler(text: bytes, first: bytes) -> bytes:
    """What stands in for a cut body: its line breaks, and its childless templates (in
    their lines) when they are written differently from the first Period's."""
    if text == first:
        return b"\n" * text.count(b"\n")
    if text.find(b"\n") < 0:
        return b"".join(_templates(text))
    parts = []
    pos = 0
    for m in _CHILDLESS_TEMPLATE.finditer(text):
        parts.append(b"\n" * text.count(b"\n", pos, m.start()))
        parts.append(m.group())
        pos = m.end()
    parts.append(b"\n" * text.count(b"\n", pos))
    return b"".join(parts)


def _start_tag_end(chunk: bytes) -> int:
    """Offset just after the start tag whose ``<Period`` precedes ``chunk``; -1 if unsure."""
    if chunk[:1] not in _AFTER_NAME:
        return -1
    gt = chunk.find(b">")
    if gt < 0:
        return -1
    # A ">" inside a quoted value ends nothing: with balanced double quotes and no single
    # quote before it, this one is the tag's end; otherwise ask the exact pattern.
    if chunk.count(b'"', 0, gt) % 2 == 0 and chunk.find(b"'", 0, gt) < 0:
        return gt + 1
    tag = _PERIOD_START.match(chunk)
    return -1 if tag is None else tag.end()


@lru_cache(maxsize=128)
def _templates(text: bytes) -> tuple[bytes, ...]:
    """The childless SegmentTemplates in a Period text. Cached: a document's cut Periods
    are compared with the same remembered text again and again, and each cut Period's
    text is searched when it is cut and again when it is parsed (same object: its hash is
    computed once)."""
    return tuple(_CHILDLESS_TEMPLATE.findall(text))


def changed_templates(before: bytes, now: bytes) -> tuple[list[int], int]:
    """Indices of the childless SegmentTemplates written differently in two Period texts
    whose keys are equal, and how many there are (document order)."""
    a = _templates(before)
    b = _templates(now)
    return [j for j, (x, y) in enumerate(zip(a, b, strict=True)) if x != y], len(b)
