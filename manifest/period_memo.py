"""The repeated-Period memo: Periods (and AdaptationSets) that repeat an earlier one's
text reuse its parsed fields.

Multi-Period documents often repeat the same AdaptationSets in every Period; only the
Period's attributes and BaseURL differ. Comparing text costs a fraction of parsing the sets
from Python (what parsing costs is Python per element), so:

* :class:`PeriodMemo`: a Period whose other children are BaseURLs placed before its sets
  (:func:`memo_eligible`) is keyed by its raw text from the document
  (:mod:`manifest._spans`) or else its serialization (:func:`serialized_key`); equal keys
  mean equal AdaptationSets, whose parsed fields (:data:`SetSnapshot`) are reused.
* :class:`SetMemo`: an AdaptationSet equal, as serialized text, to the previous Period's set
  at the same position reuses that set's fields.

Only sets that parsed without a warning and hold no (element-bound, lazily decoded)
SegmentTimeline are remembered, so a reused set raises and reports exactly what parsing it
would. Documents whose Periods differ stop comparing after :data:`MAX_MISSES` misses.
"""

from __future__ import annotations

from typing import Any

from manifest._xml import subtree_text
from manifest.model import AdaptationSet, Representation

__all__ = [
    "MAX_MISSES",
    "MAX_PERIODS",
    "POSITION_MISSES",
    "CutMiss",
    "Owners",
    "PeriodMemo",
    "SetMemo",
    "SetSnapshot",
    "memo_eligible",
    "serialized_key",
    "sets_from_snapshots",
]

SetSnapshot = tuple[dict[str, Any], tuple[dict[str, Any], ...]]
"""An AdaptationSet's field dict and its Representations' field dicts, before linking."""

MAX_MISSES = 8
"""Misses (without a hit) after which a document stops comparing Periods/AdaptationSets."""
POSITION_MISSES = 3
"""Consecutive misses after which an AdaptationSet position is no longer compared."""
MAX_PERIODS = 64
"""Distinct Period texts remembered per document."""

Kids = list[tuple[Any, str | None]]
Key = bytes | str
Owners = tuple[tuple[int, int] | None, ...]
"""Per childless SegmentTemplate of a Period (document order): (AdaptationSet index,
Representation index or -1 for the set's own), or None where the parser does not read it."""


class CutMiss(Exception):
    """A Period cut out before parsing (:func:`manifest._spans.strip_repeats`) has no memo
    entry to come from: the caller parses the original document instead."""


class PeriodMemo:
    """Text of a Period's AdaptationSets -> their parsed fields, for one document."""

    __slots__ = ("cut", "dead", "hits", "last", "misses", "raw_keys", "table", "text")

    def __init__(
        self,
        raw_keys: list[tuple[bytes, bytes] | None] | None = None,
        cut: frozenset[int] = frozenset(),
    ) -> None:
        self.table: dict[Key, tuple[tuple[SetSnapshot, ...], Key, Owners | None]] = {}
        self.hits = 0
        self.misses = 0
        self.dead = False
        self.last: tuple[Key, tuple[tuple[SetSnapshot, ...], Key, Owners | None]] | None = None
        self.raw_keys = raw_keys
        self.cut = cut  # Periods whose body was cut out: they must come from the memo
        self.text: Key = b""  # the current Period's text as written (its key if serialized)

    def key(self, el: Any, kids: Kids, index: int) -> Key | None:
        """The Period's key; None when it cannot come from the memo. Serializing clears
        the element's attributes and BaseURLs: read them first."""
        if index in self.cut:
            if self.dead or self.raw_keys is None:
                raise CutMiss
        elif self.dead or not memo_eligible(kids):
            return None
        raw = self.raw_keys[index] if self.raw_keys is not None and index >= 0 else None
        if raw is not None:
            self.text = raw[1]
            return raw[0]
        self.text = serialized_key(el, kids)
        return self.text

    def lookup(
        self, key: Key, index: int = -1
    ) -> tuple[tuple[SetSnapshot, ...] | None, Key, Owners | None]:
        """(the sets parsed for an equal Period or None, that Period's text: when it is
        not this one's, their templates differ, see :mod:`manifest._spans`; their owners
        when known)."""
        # Usually equal to the previous Period: a string compare instead of hashing ~2 KB.
        last = self.last
        entry = last[1] if last is not None and last[0] == key else self.table.get(key)
        if entry is not None:
            self.last = (key, entry)
            self.hits += 1
            return entry
        if index in self.cut:
            raise CutMiss
        self.misses += 1
        if self.hits == 0 and self.misses >= MAX_MISSES:
            self.dead = True
        return None, self.text, None

    def wants(self) -> bool:
        """Whether a missed Period's sets should be collected for :meth:`store`."""
        return not self.dead and len(self.table) < MAX_PERIODS

    def store(
        self, key: Key, snapshots: list[SetSnapshot | None], owners: Owners | None = None
    ) -> None:
        """Remember a Period's sets if every one of them can be shared."""
        if None in snapshots:
            return
        entry = (tuple(s for s in snapshots if s is not None), self.text, owners)
        self.last = (key, entry)
        self.table[key] = entry


class SetMemo:
    """AdaptationSet position -> (text, fields) of the previous Period's set there."""

    __slots__ = ("dead", "hits", "misses", "table")

    def __init__(self) -> None:
        self.table: dict[int, tuple[str, SetSnapshot]] = {}
        self.hits = 0
        self.misses = 0
        self.dead: dict[int, int] = {}  # position -> consecutive misses

    def compared(self, pos: int) -> bool:
        """Whether sets at ``pos`` are still compared (not after repeated misses)."""
        return self.dead.get(pos, 0) < POSITION_MISSES

    def find(self, pos: int, blob: str) -> SetSnapshot | None:
        """The previous set's fields at ``pos`` if its text is ``blob``."""
        prev = self.table.get(pos)
        if prev is not None and prev[0] == blob:
            self.hits += 1
            self.dead[pos] = 0
            return prev[1]
        self.misses += 1
        self.dead[pos] = self.dead.get(pos, 0) + 1
        return None

    @property
    def exhausted(self) -> bool:
        return self.hits == 0 and self.misses >= MAX_MISSES

    def store(self, pos: int, blob: str, snapshot: SetSnapshot | None) -> None:
        if snapshot is not None:
            self.table[pos] = (blob, snapshot)
        else:
            self.table.pop(pos, None)


def memo_eligible(kids: Kids) -> bool:
    """Only Periods whose other children are BaseURLs placed before the sets qualify
    (their own warnings then keep document order)."""
    seen_set = False
    for _, name in kids:
        if name == "AdaptationSet":
            seen_set = True
        elif name != "BaseURL" or seen_set:
            return False
    return seen_set


def serialized_key(el: Any, kids: Kids) -> str:
    """The Period's text without its attributes (already read) and BaseURL children
    (parsed on their own): both are dropped from this private tree first. Namespace
    declarations stay in the text, so equal text means equal AdaptationSets."""
    for ch, name in kids:
        if name == "BaseURL":
            el.remove(ch)
    el.attrib.clear()
    return subtree_text(el)


def sets_from_snapshots(snapshots: tuple[SetSnapshot, ...]) -> list[AdaptationSet]:
    """Fresh AdaptationSets (and Representations: linking completes them per Period)."""
    new = object.__new__
    out = []
    for fields, rep_fields in snapshots:
        aset = new(AdaptationSet)
        d = aset.__dict__
        d.update(fields)  # faster than object.__setattr__(aset, "__dict__", fields.copy())
        reps = []
        for rd in rep_fields:
            rep = new(Representation)
            rep.__dict__.update(rd)
            reps.append(rep)
        d["representations"] = tuple(reps)
        out.append(aset)
    return out
