"""Every size an MPD can ask the parser for, bounded in one place.

An MPD is untrusted input: each number below caps something the document chooses, so a
small hostile document cannot make the parser or the URL builder allocate without bound.
Exceeding one is a typed error (:mod:`manifest.errors`), never a MemoryError.

* ``MAX_DOCUMENT_BYTES``: the largest MPD accepted (``DocumentTooLarge``). Real VOD MPDs
  reach ~1 MB; this leaves room for long timelines.
* ``MAX_INTEGER``: segment times, counts, numbers, timescales and offsets (``InvalidValue``);
  larger values would overflow the 64-bit timeline arrays. Timelines keep ``S@r`` as runs,
  never expanded, so a repeat count costs nothing until a segment is asked for.
* ``MAX_FORMAT_WIDTH``: the width of a SegmentTemplate format tag (``$Number%05d$``;
  ``InvalidTemplate``). A 64-bit number has at most 20 digits; the cap leaves room for
  padding while an expanded URL stays within its template's length plus a few dozen
  characters per identifier (``$Number%02147483647d$`` asked for a 2 GB string).
"""

from __future__ import annotations

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_FORMAT_WIDTH", "MAX_INTEGER"]

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_INTEGER = 1 << 62
MAX_FORMAT_WIDTH = 32
