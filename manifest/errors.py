"""Manifest errors (3xxx): everything that can go wrong turning MPD bytes into segment URLs.

Each class carries its payload as typed attributes; ``path`` is an element path such as
``MPD/Period[1]/AdaptationSet[2]/SegmentTemplate`` and ``line`` the source line, so a report
points at the offending element without quoting the document.
"""

from __future__ import annotations

from mediacore.errors import ManifestError

__all__ = [
    "AddressingUnavailable",
    "DocumentTooLarge",
    "InvalidSidx",
    "InvalidTemplate",
    "InvalidValue",
    "MalformedXml",
    "ManifestError",
    "MissingAttribute",
    "NotAnMpd",
    "SegmentNotFound",
    "UnresolvedXlink",
    "UnsafeXml",
    "UnsupportedFeature",
    "UpdateMismatch",
    "XlinkFragmentInvalid",
]


def _where(path: str, line: int | None) -> str:
    return f"{path} (line {line})" if line else path


class MalformedXml(ManifestError):
    """The bytes are not XML that can be recovered into an element tree."""

    code = 3001

    def __init__(self, detail: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(f"malformed XML at line {line}, column {column}: {detail}")
        self.detail = detail
        self.line = line
        self.column = column


class DocumentTooLarge(ManifestError):
    """The document exceeds the size cap checked before any parsing starts."""

    code = 3002

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(f"MPD of {size} bytes exceeds the {limit}-byte limit")
        self.size = size
        self.limit = limit


class UnsafeXml(ManifestError):
    """The document uses a DTD or entity declarations (billion laughs, XXE): refused."""

    code = 3003

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        super().__init__(f"unsafe XML refused: {detail}")
        self.detail = detail
        self.line = line


class NotAnMpd(ManifestError):
    """The root element is not ``MPD``."""

    code = 3004

    def __init__(self, *, root: str, line: int | None = None) -> None:
        super().__init__(f"root element is {root!r}, not MPD")
        self.root = root
        self.line = line


class MissingAttribute(ManifestError):
    """An attribute without which the element cannot be used is absent."""

    code = 3005

    def __init__(self, *, path: str, attribute: str, line: int | None = None) -> None:
        super().__init__(f"{_where(path, line)}: missing required attribute @{attribute}")
        self.path = path
        self.attribute = attribute
        self.line = line


class InvalidValue(ManifestError):
    """An attribute or text value does not parse or is out of range (e.g. negative)."""

    code = 3006

    def __init__(
        self, *, path: str, attribute: str, value: str, reason: str, line: int | None = None
    ) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(f"{_where(path, line)}: @{attribute}={shown!r}: {reason}")
        self.path = path
        self.attribute = attribute
        self.value = shown
        self.reason = reason
        self.line = line


class UnsupportedFeature(ManifestError):
    """A valid construct that this client does not implement."""

    code = 3007

    def __init__(self, *, feature: str, path: str = "", line: int | None = None) -> None:
        super().__init__(f"{_where(path, line)}: unsupported: {feature}")
        self.feature = feature
        self.path = path
        self.line = line


class SegmentNotFound(ManifestError):
    """No segment of the representation covers the requested time or position."""

    code = 3008

    def __init__(self, *, representation_id: str | None, query: str) -> None:
        super().__init__(f"representation {representation_id!r}: no segment for {query}")
        self.representation_id = representation_id
        self.query = query


class AddressingUnavailable(ManifestError):
    """The representation's addressing lacks what is needed (no duration, no sidx loaded...)."""

    code = 3009

    def __init__(self, *, representation_id: str | None, reason: str) -> None:
        super().__init__(f"representation {representation_id!r}: cannot address segments: {reason}")
        self.representation_id = representation_id
        self.reason = reason


class InvalidSidx(ManifestError):
    """The segment index bytes are not a usable ``sidx`` box (wrong type, lying sizes)."""

    code = 3010

    def __init__(self, *, reason: str, offset: int = 0) -> None:
        super().__init__(f"invalid sidx at offset {offset}: {reason}")
        self.reason = reason
        self.offset = offset


class UnresolvedXlink(ManifestError):
    """A remote element (``xlink:href``) is used before its fragment was resolved."""

    code = 3011

    def __init__(self, *, href: str, path: str) -> None:
        super().__init__(f"{path}: remote element {href!r} is not resolved")
        self.href = href
        self.path = path


class XlinkFragmentInvalid(ManifestError):
    """A fetched xlink fragment does not contain the expected element type."""

    code = 3012

    def __init__(self, *, href: str, expected: str, found: str) -> None:
        super().__init__(f"xlink fragment {href!r}: expected {expected}, found {found!r}")
        self.href = href
        self.expected = expected
        self.found = found


class InvalidTemplate(ManifestError):
    """A SegmentTemplate URL template has an unknown identifier or bad format tag."""

    code = 3013

    def __init__(self, *, template: str, reason: str) -> None:
        super().__init__(f"URL template {template!r}: {reason}")
        self.template = template
        self.reason = reason


class UpdateMismatch(ManifestError):
    """An MPD update does not describe the same presentation as the running model."""

    code = 3014

    def __init__(self, *, reason: str) -> None:
        super().__init__(f"MPD update rejected: {reason}")
        self.reason = reason
