"""BaseURL resolution across MPD/Period/AdaptationSet/Representation into ranked candidates.

Every BaseURL at a level is resolved against every candidate of the level above (the
child's order first, as ExoPlayer does), an absolute child standing once on its own. The
result is ranked by DVB ``@priority`` (lower first), keeping document order within a
priority so a failover policy can then spread load by ``@weight``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from manifest.values import BaseUrl, UrlCandidate

__all__ = ["candidates_for", "join_url", "resolve_level"]

DEFAULT_PRIORITY = 1
DEFAULT_WEIGHT = 1


def _is_absolute(url: str) -> bool:
    if ":" not in url:  # no scheme without a colon; the usual relative "video/" case
        return False
    try:
        return bool(urlsplit(url).scheme)
    except ValueError:  # e.g. an unbalanced "[" IPv6 bracket
        return False


def join_url(base: str, ref: str) -> str:
    """``urljoin`` that never raises: a URL it cannot parse is returned as written.

    The common case (a plain relative path under a hierarchical base without query) is
    a string concatenation; it runs once per segment reference, urljoin costs ~6 us.
    """
    if ref and "?" not in base and "#" not in base and not ref.startswith(("/", ".", "?", "#")):
        scheme_end = base.find("://")
        if (
            scheme_end > 0
            and base.find("/", scheme_end + 3) > 0
            and ":" not in ref.split("/", 1)[0]
            and "/." not in ref
            and "?" not in ref
            and "//" not in ref
            and "#" not in ref
            and "\\" not in ref
        ):
            return base[: base.rfind("/") + 1] + ref
    try:
        return urljoin(base, ref)
    except ValueError:
        return ref


def resolve_level(
    parents: tuple[UrlCandidate, ...], level: Iterable[BaseUrl]
) -> tuple[UrlCandidate, ...]:
    """Candidates after applying one level's BaseURLs (none at this level: unchanged)."""
    items = tuple(level)
    if not items:
        return parents
    if len(items) == 1 and len(parents) == 1:
        # The usual case (one plain relative BaseURL under one candidate), without the
        # de-duplication machinery.
        b, p = items[0], parents[0]
        text = b.url.strip()
        if (
            b.service_location is None
            and b.priority is None
            and b.weight is None
            and b.availability_time_offset is None
            and not _is_absolute(text)
        ):
            return (
                UrlCandidate(
                    join_url(p.url, text),
                    p.service_location,
                    p.priority,
                    p.weight,
                    p.availability_time_offset,
                ),
            )
    out: list[UrlCandidate] = []
    seen: set[tuple[str, str | None]] = set()

    def add(c: UrlCandidate) -> None:
        key = (c.url, c.service_location)
        if key not in seen:
            seen.add(key)
            out.append(c)

    for b in items:
        text = b.url.strip()
        if _is_absolute(text) or not parents:
            add(
                UrlCandidate(
                    url=text,
                    service_location=b.service_location if b.service_location else text,
                    priority=b.priority if b.priority is not None else DEFAULT_PRIORITY,
                    weight=b.weight if b.weight is not None else DEFAULT_WEIGHT,
                    availability_time_offset=b.availability_time_offset or 0.0,
                )
            )
            continue
        for p in parents:
            add(
                UrlCandidate(
                    url=join_url(p.url, text),
                    service_location=b.service_location or p.service_location,
                    priority=b.priority if b.priority is not None else p.priority,
                    weight=b.weight if b.weight is not None else p.weight,
                    availability_time_offset=(
                        b.availability_time_offset
                        if b.availability_time_offset is not None
                        else p.availability_time_offset
                    ),
                )
            )
    return tuple(out)


def candidates_for(document_url: str, *levels: Iterable[BaseUrl]) -> tuple[UrlCandidate, ...]:
    """Ranked candidates for a Representation given the BaseURLs of each level, outermost first."""
    cands: tuple[UrlCandidate, ...] = (
        (UrlCandidate(url=document_url, service_location=None),) if document_url else ()
    )
    for level in levels:
        cands = resolve_level(cands, level)
    return tuple(sorted(cands, key=lambda c: c.priority))
