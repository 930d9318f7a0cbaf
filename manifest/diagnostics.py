"""Recoverable oddities found while parsing, reported on the model instead of raised."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ManifestWarning", "WarningKind"]


class WarningKind(enum.Enum):
    """What kind of oddity was tolerated."""

    RECOVERED_XML = "recovered_xml"
    MISSING_ATTRIBUTE = "missing_attribute"
    INVALID_VALUE = "invalid_value"
    MALFORMED_PROTECTION = "malformed_protection"
    TIMELINE_GAP = "timeline_gap"
    TIMELINE_OVERLAP = "timeline_overlap"
    UNRESOLVED_XLINK = "unresolved_xlink"
    PERIOD_TIMING = "period_timing"


@dataclass(frozen=True, slots=True)
class ManifestWarning:
    """One tolerated problem, with the element path and source line where it was seen."""

    kind: WarningKind
    path: str
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{self.kind.value}: {where}: {self.detail}"
