"""Decoding a SegmentTimeline's ``S`` entries: read and check each one, then resolve them.

:class:`manifest.timeline.SegmentTimeline` keeps the storage and answers queries; this
module does the one-time work between the written ``S`` elements (lxml elements, or the
cut bytes of :mod:`manifest._timeline_cut`) and its columns: every attribute checked
(typed errors naming the ``S``), implicit ``t`` filled in, ``r="-1"`` resolved against the
next ``S``, gaps and overlaps reported as warnings.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.errors import InvalidValue, MissingAttribute

__all__ = ["LIMIT", "NO_N", "RawS", "ResolvedColumns", "read_s_elements", "resolve"]

NO_N = -1
"""An absent ``S@n`` or ``S@k`` in the integer columns."""
LIMIT = 1 << 62
"""No tick, count or repeat reaches this (:mod:`manifest.limits`)."""

RawS = tuple[int | None, int, int, int, int]
"""One ``S`` as written: (t or None, d, r, n or NO_N, k or NO_N)."""


def read_s_elements(elements: Iterable[Any], path: str) -> list[RawS]:
    """The ``S`` children of a SegmentTimeline, each checked (other children skipped).

    One loop without a call per ``S`` (a live timeline holds 100,000 of them)."""
    raw: list[RawS] = []
    i = 0
    for s in elements:
        tag = s.tag
        if not isinstance(tag, str) or not (tag == "S" or tag.endswith(("}S", ":S"))):
            continue
        i += 1
        get = s.get
        dv = get("d")
        if dv is None:
            raise MissingAttribute(path=f"{path}/S[{i}]", attribute="d", line=s.sourceline)
        try:
            d = int(dv)
            tv = get("t")
            t = int(tv) if tv is not None else None
            rv = get("r")
            r = int(rv) if rv is not None else 0
            nv = get("n")
            n = int(nv) if nv is not None else NO_N
            kv = get("k")
            k = int(kv) if kv is not None else NO_N
        except ValueError as exc:
            raise _invalid(s, path, i, "t/d/r/n", str(dict(s.attrib)), "not an integer") from exc
        if d <= 0:
            raise _invalid(s, path, i, "d", dv, "must be > 0")
        if r < -1 or (t is not None and t < 0) or max(d, r, t or 0, n) >= LIMIT:
            raise _invalid(s, path, i, "r/t", str(dict(s.attrib)), "negative or out of range")
        if k != NO_N and not 0 < k < LIMIT:
            raise _invalid(s, path, i, "k", str(k), "must be > 0")
        raw.append((t, d, r, n, k))
    return raw


def _invalid(s: Any, path: str, i: int, attribute: str, value: str, reason: str) -> InvalidValue:
    return InvalidValue(
        path=f"{path}/S[{i}]", attribute=attribute, value=value, reason=reason, line=s.sourceline
    )


@dataclass(frozen=True)
class ResolvedColumns:
    """The timeline's columns: explicit t, d, r (-1 only on an open last S), n and k."""

    t: array
    d: array
    r: array
    n: array
    k: array
    warnings: tuple[ManifestWarning, ...]


def resolve(raw: list[RawS], path: str, line: int | None) -> ResolvedColumns:
    """Fill in every ``t``, bound each ``r="-1"`` by the next ``S`` (rounding up, as
    shaka/dash.js do), and report gaps and overlaps between consecutive entries."""
    ts, ds, rs, ns = array("q"), array("q"), array("q"), array("q")
    warnings: list[ManifestWarning] = []
    end: int | None = None
    count = len(raw)
    for i, (t, d, r, n, _k) in enumerate(raw):
        if t is None:
            t = end if end is not None else 0
        elif end is not None and t != end:
            kind = WarningKind.TIMELINE_GAP if t > end else WarningKind.TIMELINE_OVERLAP
            warnings.append(
                ManifestWarning(kind, f"{path}/S[{i + 1}]", f"t={t}, previous end={end}", line)
            )
        if r == -1:
            if i + 1 < count:
                nxt = raw[i + 1][0]
                r = -(-(nxt - t) // d) - 1 if nxt is not None and nxt > t else 0
                end = t + (r + 1) * d
            else:
                end = None
        else:
            end = t + (r + 1) * d
        if t >= LIMIT or (end is not None and end >= LIMIT):
            raise InvalidValue(
                path=f"{path}/S[{i + 1}]",
                attribute="t",
                value=str(t),
                reason="timeline runs past 2^62 ticks",
                line=line,
            )
        ts.append(t)
        ds.append(d)
        rs.append(r)
        ns.append(n)
    ks = array("q", (e[4] for e in raw))
    return ResolvedColumns(ts, ds, rs, ns, ks, tuple(warnings))
