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

__all__ = ["TEMPLATE_MARK", "changed_templates", "period_keys"]

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
    root = _root_start(data)
    if root < 0:
        return None
    # One C pass: chunk i (i >= 1) runs from Period i's name to the next "<Period".
    chunks = data.split(b"<Period")
    if len(chunks) != count + 1 or not _plain(chunks[0], root, len(chunks[0])):
        return None
    keys: list[tuple[bytes, bytes] | None] = []
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
            keys.append(None)  # <Period .../>
            continue
        close = chunk.rfind(b"</Period")  # the gap to the next Period is short
        if close < end or not (
            chunk.startswith(b"</Period>", close) or _PERIOD_END.match(chunk, close)
        ):
            return None
        lead = _LEADING_BASE_URLS.match(chunk, end)
        body_start = lead.end() if lead is not None else end
        if chunk.find(b"xmlns", 0, end) >= 0:
            keys.append(None)
            continue
        body = chunk[body_start:close]
        if body == last[1]:  # a repeat of the previous Period: memcmp, no regex
            keys.append(last)
            continue
        key = body
        if body.find(b"<SegmentTemplate") >= 0:
            key = _CHILDLESS_TEMPLATE.sub(TEMPLATE_MARK, body)
        last = (key, body)
        keys.append(last)
    return keys


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


def changed_templates(before: bytes, now: bytes) -> tuple[list[int], int]:
    """Indices of the childless SegmentTemplates written differently in two Period texts
    whose keys are equal, and how many there are (document order)."""
    a = _CHILDLESS_TEMPLATE.findall(before)
    b = _CHILDLESS_TEMPLATE.findall(now)
    return [j for j, (x, y) in enumerate(zip(a, b, strict=True)) if x != y], len(b)
