"""SegmentTimeline storage: S entries as compact integer arrays, decoded lazily from XML.

A 20,000-entry timeline is kept as four ``array('q')`` columns (t, d, r, n) rather than one
object per ``S``; segment references are built only when asked for. Entries parsed from a
document stay as the lxml element until first use, so parsing a big MPD costs little more
than building its element tree. Reading and resolving the ``S`` entries is
:mod:`manifest._timeline_decode`'s job.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

from manifest._timeline_decode import LIMIT, NO_N, RawS, read_s_elements, resolve
from manifest.diagnostics import ManifestWarning
from manifest.errors import InvalidValue

__all__ = ["SegmentTimeline", "TimelineEntry", "TimelineRuns"]

TimelineEntry = tuple[int, int, int]
"""One ``S``: (t, d, r). ``r == -1`` means "repeat until the next S or the end"."""

_NO_N = NO_N
_LIMIT = LIMIT


class TimelineRuns:
    """Resolved runs: run i covers ``counts[i]`` segments of ``durs[i]`` ticks from ``starts[i]``.

    ``cums[i]`` is the number of segments before run i and ``numbers[i]`` the explicit
    ``S@n`` of run i (or -1), so a segment's position and number come from one bisect.
    """

    __slots__ = ("counts", "cums", "durs", "numbers", "starts", "total")

    def __init__(
        self, starts: array, durs: array, counts: array, cums: array, numbers: array
    ) -> None:
        self.starts = starts
        self.durs = durs
        self.counts = counts
        self.cums = cums
        self.numbers = numbers
        self.total = (cums[-1] + counts[-1]) if len(cums) else 0


class SegmentTimeline:
    """An immutable SegmentTimeline; equal when the decoded entries are equal."""

    __slots__ = ("_d", "_element", "_k", "_line", "_n", "_path", "_r", "_raw", "_t", "_warnings")

    def __init__(
        self,
        t: array,
        d: array,
        r: array,
        n: array | None = None,
        warnings: tuple[ManifestWarning, ...] = (),
    ) -> None:
        self._t = t
        self._d = d
        self._r = r
        self._n = n if n is not None else array("q", [_NO_N]) * len(t)
        self._k = array("q", [_NO_N]) * len(t)
        self._warnings = warnings
        self._element: Any = None
        self._raw: bytes | None = None  # S entries as written (manifest._timeline_cut)
        self._path = ""
        self._line: int | None = None

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[tuple[int | None, int, int]],
        numbers: Iterable[int | None] | None = None,
        subsegments: Iterable[int | None] | None = None,
    ) -> SegmentTimeline:
        """Build from (t or None, d, r) triples; a None t continues from the previous end."""
        tl = cls(array("q"), array("q"), array("q"), array("q"))
        triples = list(entries)
        nums = list(numbers) if numbers is not None else [None] * len(triples)
        ks = list(subsegments) if subsegments is not None else [None] * len(triples)
        raw = [
            (t, d, r, _NO_N if n is None else n, _NO_N if k is None else k)
            for (t, d, r), n, k in zip(triples, nums, ks, strict=True)
        ]
        tl._fill(raw, "SegmentTimeline", None)
        return tl

    @classmethod
    def lazy(cls, element: Any, path: str) -> SegmentTimeline:
        """Wrap an lxml ``SegmentTimeline`` element; its S children are read on first use."""
        tl = cls(array("q"), array("q"), array("q"), array("q"))
        tl._element = element
        tl._path = path
        tl._line = element.sourceline
        return tl

    @classmethod
    def lazy_raw(cls, body: bytes, path: str, line: int | None) -> SegmentTimeline:
        """Wrap the bytes between ``<SegmentTimeline>`` and its end tag, which
        :mod:`manifest._timeline_cut` checked to be plain ``S`` elements; ``line``: the
        SegmentTimeline's line."""
        tl = cls(array("q"), array("q"), array("q"), array("q"))
        tl._element = body
        tl._raw = body
        tl._path = path
        tl._line = line
        return tl

    # ------------------------------------------------------------------ decoding
    def _ensure(self) -> None:
        el = self._element
        if el is None:
            return
        if self._raw is not None:
            from manifest._timeline_cut import s_elements

            elements: Iterable[Any] = s_elements(self._raw, self._line)
        else:
            elements = el
        self._fill(read_s_elements(elements, self._path), self._path, self._line)
        self._element = None
        self._raw = None

    def _fill(self, raw: list[RawS], path: str, line: int | None) -> None:
        cols = resolve(raw, path, line)
        self._t, self._d, self._r, self._n, self._k = cols.t, cols.d, cols.r, cols.n, cols.k
        self._warnings = self._warnings + cols.warnings

    # ------------------------------------------------------------------ access
    @property
    def entries(self) -> list[tuple[int, int, int]]:
        """Decoded (t, d, r) for every S (t always explicit)."""
        self._ensure()
        return list(zip(self._t, self._d, self._r, strict=True))

    @property
    def subsegments(self) -> list[int | None]:
        """``S@k`` per S: sub-segments (chunks) per segment, None when absent."""
        self._ensure()
        return [None if k == _NO_N else k for k in self._k]

    @property
    def numbers(self) -> list[int | None]:
        self._ensure()
        return [None if n == _NO_N else n for n in self._n]

    @property
    def warnings(self) -> tuple[ManifestWarning, ...]:
        """Gaps and overlaps between consecutive S entries (decodes the timeline)."""
        self._ensure()
        return self._warnings

    @property
    def open_ended(self) -> bool:
        """True when the last S has ``r="-1"``: its length depends on period end or ``now``."""
        self._ensure()
        return bool(len(self._r)) and self._r[-1] == -1

    @property
    def first_time(self) -> int | None:
        self._ensure()
        return self._t[0] if len(self._t) else None

    def runs(self, end_ticks: int | None, *, partial_last: bool = True) -> TimelineRuns:
        """Runs with an open last S bounded by ``end_ticks`` (period end or live edge).

        ``partial_last`` keeps a segment that starts before the bound and ends after it
        (right at a period end); at a live edge only complete segments exist.
        """
        self._ensure()
        counts = array("q", (r + 1 for r in self._r))
        if len(counts) and self._r[-1] == -1:
            last_t, last_d = self._t[-1], self._d[-1]
            if end_ticks is None:
                open_count = 1
            elif partial_last:
                open_count = max(0, -(-(end_ticks - last_t) // last_d))
            else:
                open_count = max(0, (end_ticks - last_t) // last_d)
            counts[-1] = min(open_count, _LIMIT)
        cums = array("q", bytes(8 * len(counts)))
        acc = 0
        for i, c in enumerate(counts):
            cums[i] = acc
            acc += c
            if acc >= _LIMIT:
                raise InvalidValue(
                    path=self._path or "SegmentTimeline",
                    attribute="r",
                    value=str(c),
                    reason="more than 2^62 segments",
                    line=self._line,
                )
        return TimelineRuns(self._t, self._d, counts, cums, self._n)

    def __len__(self) -> int:
        self._ensure()
        return len(self._t)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SegmentTimeline):
            return NotImplemented
        self._ensure()
        other._ensure()
        return (
            self._t == other._t
            and self._d == other._d
            and self._r == other._r
            and (self._n == other._n)
            and (self._k == other._k)
        )

    def __hash__(self) -> int:
        self._ensure()
        return hash((bytes(self._t), bytes(self._d), bytes(self._r)))

    def __repr__(self) -> str:
        if self._element is not None:
            return f"SegmentTimeline(<undecoded {self._path}>)"
        return f"SegmentTimeline({len(self._t)} S entries)"
