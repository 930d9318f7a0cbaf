"""Typo-tolerant prefix search over the FTS5 index.

Each query word becomes a prefix term (``"word"*``) when some indexed term starts with it;
otherwise it is replaced by the indexed terms within a small edit distance (Damerau-
Levenshtein <= 1 for short words, <= 2 from 6 letters). Words are ANDed; a word with no
candidate at all is dropped (and reported) rather than emptying the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SearchPlan", "edit_distance", "plan_query"]

_WORD = re.compile(r"\w+", re.UNICODE)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance, stopping early once above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass(frozen=True)
class SearchPlan:
    match: str | None  # FTS5 MATCH expression, None when nothing can match
    corrections: dict[str, list[str]]
    dropped: tuple[str, ...]


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def plan_query(query: str, vocabulary: list[str], max_words: int = 8) -> SearchPlan:
    words = [w.lower() for w in _WORD.findall(query)][:max_words]
    groups: list[str] = []
    corrections: dict[str, list[str]] = {}
    dropped: list[str] = []
    for w in words:
        if any(t.startswith(w) for t in vocabulary):
            groups.append(_quote(w) + "*")
            continue
        limit = 1 if len(w) <= 5 else 2
        near = sorted(
            t for t in vocabulary if edit_distance(w, t[: len(w) + limit], limit) <= limit
        )[:8]
        if near:
            corrections[w] = near
            groups.append("(" + " OR ".join(_quote(t) for t in near) + ")")
        else:
            dropped.append(w)
    match = " AND ".join(groups) if groups else None
    return SearchPlan(match, corrections, tuple(dropped))
