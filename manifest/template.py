"""SegmentTemplate URL templates (ISO/IEC 23009-1 5.3.9.4.4): ``$Number%05d$``, ``$$`` ..."""

from __future__ import annotations

import re
from functools import lru_cache

from manifest.errors import InvalidTemplate
from manifest.limits import MAX_FORMAT_WIDTH

__all__ = ["UrlTemplate", "compile_template"]

_IDENT = re.compile(r"\$(RepresentationID|Number|Bandwidth|Time|SubNumber)(%0(\d+)([dxXo]))?\$")
_ALLOWED_FORMAT = {"Number", "Bandwidth", "Time", "SubNumber"}


class UrlTemplate:
    """A pre-split template: literal parts and identifier slots, expanded without regex."""

    __slots__ = ("parts", "source", "uses_number", "uses_time")

    def __init__(self, source: str, parts: tuple[tuple[str, str | None, str], ...]) -> None:
        self.source = source
        self.parts = parts
        names = {p[0] for p in parts if p[1] is not None}
        self.uses_number = "Number" in names
        self.uses_time = "Time" in names

    def expand(
        self,
        *,
        representation_id: str | None = None,
        number: int | None = None,
        bandwidth: int | None = None,
        time: int | None = None,
    ) -> str:
        out: list[str] = []
        for text, fmt, _ in self.parts:
            if fmt is None:
                out.append(text)
                continue
            value: object
            if text == "RepresentationID":
                value = representation_id if representation_id is not None else ""
            elif text == "Number":
                value = number
            elif text == "Bandwidth":
                value = bandwidth
            elif text == "Time":
                value = time
            else:
                value = 0
            if value is None:
                raise InvalidTemplate(template=self.source, reason=f"no value for ${text}$")
            out.append(fmt % value if fmt else str(value))
        return "".join(out)


def _short(source: str) -> str:
    """The template as an error shows it: a hostile one can be megabytes long."""
    return source if len(source) <= 200 else source[:200] + "..."


@lru_cache(maxsize=1024)
def compile_template(source: str) -> UrlTemplate:
    """Split ``source`` into parts once; unknown ``$...$`` identifiers raise InvalidTemplate."""
    parts: list[tuple[str, str | None, str]] = []
    i = 0
    n = len(source)
    literal: list[str] = []
    while i < n:
        j = source.find("$", i)
        if j < 0:
            literal.append(source[i:])
            break
        literal.append(source[i:j])
        if source.startswith("$$", j):
            literal.append("$")
            i = j + 2
            continue
        m = _IDENT.match(source, j)
        if m is None:
            raise InvalidTemplate(template=_short(source), reason=f"bad identifier at offset {j}")
        name, tag, width, conv = m.group(1), m.group(2), m.group(3), m.group(4)
        if tag and name not in _ALLOWED_FORMAT:
            raise InvalidTemplate(template=_short(source), reason=f"${name}$ takes no format tag")
        if tag and (len(width) > 3 or int(width) > MAX_FORMAT_WIDTH):
            raise InvalidTemplate(
                template=_short(source),
                reason=f"format width {width[:12]} of ${name}$ is over the limit "
                f"{MAX_FORMAT_WIDTH}",
            )
        if literal:
            parts.append(("".join(literal), None, ""))
            literal = []
        parts.append((name, f"%0{int(width)}{conv}" if tag else "", ""))
        i = m.end()
    if literal and "".join(literal):
        parts.append(("".join(literal), None, ""))
    return UrlTemplate(source, tuple(parts))
