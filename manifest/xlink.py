"""XLink remote elements: a Period or AdaptationSet with ``xlink:href`` is kept unresolved
(see ``Manifest.unresolved_xlinks``); :func:`resolve_xlink` splices in the fetched fragment.
The fetch itself belongs to the I/O layer."""

from __future__ import annotations

import re
from dataclasses import replace

from manifest._xml import DEFAULT_MAX_BYTES
from manifest.diagnostics import WarningKind
from manifest.errors import UnresolvedXlink, XlinkFragmentInvalid
from manifest.link import link
from manifest.model import Manifest
from manifest.parse import parse_adaptation_set_fragment, parse_period_fragment

__all__ = ["RESOLVE_TO_ZERO", "resolve_xlink"]

RESOLVE_TO_ZERO = "urn:mpeg:dash:resolve-to-zero:2013"
_PATH = re.compile(r"MPD/Period\[(\d+)\](?:/AdaptationSet\[(\d+)\])?")


def resolve_xlink(
    manifest: Manifest, path: str, fragment: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Manifest:
    """Replace the remote element at ``path`` (from ``unresolved_xlinks``) by ``fragment``.

    A fragment may hold zero or more elements of the same type; zero removes the element,
    as does an ``xlink:href`` of ``urn:mpeg:dash:resolve-to-zero:2013`` (pass ``b""``).
    """
    m = _PATH.fullmatch(path)
    if m is None:
        raise UnresolvedXlink(href="", path=path)
    pi = int(m.group(1)) - 1
    if not 0 <= pi < len(manifest.periods):
        raise UnresolvedXlink(href="", path=path)
    period = manifest.periods[pi]
    periods = list(manifest.periods)
    if m.group(2) is None:
        href = period.xlink_href or ""
        if not href:
            raise UnresolvedXlink(href="", path=path)
        new = (
            [] if href == RESOLVE_TO_ZERO else parse_period_fragment(fragment, max_bytes=max_bytes)
        )
        if href != RESOLVE_TO_ZERO and not new and fragment.strip():
            raise XlinkFragmentInvalid(href=href, expected="Period", found="no Period element")
        periods[pi : pi + 1] = new
    else:
        ai = int(m.group(2)) - 1
        sets = list(period.adaptation_sets)
        if not 0 <= ai < len(sets) or not sets[ai].xlink_href:
            raise UnresolvedXlink(href="", path=path)
        href = sets[ai].xlink_href or ""
        new_sets = (
            []
            if href == RESOLVE_TO_ZERO
            else parse_adaptation_set_fragment(fragment, max_bytes=max_bytes)
        )
        if href != RESOLVE_TO_ZERO and not new_sets and fragment.strip():
            raise XlinkFragmentInvalid(
                href=href, expected="AdaptationSet", found="no AdaptationSet element"
            )
        sets[ai : ai + 1] = new_sets
        periods[pi] = replace(period, adaptation_sets=tuple(sets))
    warnings = tuple(
        w
        for w in manifest.parse_warnings
        if not (w.kind is WarningKind.UNRESOLVED_XLINK and w.path == path)
    )
    return link(replace(manifest, periods=tuple(periods), parse_warnings=warnings))
