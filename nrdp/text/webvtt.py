"""A small, forgiving WebVTT parser and writer (W3C WebVTT, the parts a subtitle track needs).

Pure: bytes in, cues out. What it accepts:

- an optional UTF-8 BOM, LF / CRLF / CR line ends, invalid UTF-8 replaced (as browsers do);
- the ``WEBVTT`` signature line (anything else is :class:`~nrdp.errors.MalformedSubtitles`)
  and the header lines after it;
- cues: an optional identifier line, a timing line ``start --> end [settings]`` where a time
  is ``hh:mm:ss.ttt`` or ``mm:ss.ttt`` (any number of hour digits), and a multi-line payload
  up to the next blank line (or a line holding ``-->``, which starts the next cue);
- ``NOTE``, ``STYLE`` and ``REGION`` blocks are skipped.

A malformed cue (bad timestamp, end not after start, no payload separator) is skipped and
reported in :attr:`WebVttDocument.warnings` (and logged), never raised: one bad cue must
not cost the viewer the whole subtitle track. Cue settings are kept verbatim, not applied.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from nrdp.errors import MalformedSubtitles

__all__ = [
    "WebVttCue",
    "WebVttDocument",
    "format_timestamp",
    "parse_timestamp",
    "parse_webvtt",
    "write_webvtt",
]

log = logging.getLogger("nrdp.text")

_TIMESTAMP = re.compile(r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})")
_TIMING = re.compile(r"^([0-9:.]+)[ \t]*-->[ \t]*([0-9:.]+)(?:[ \t]+(.*))?$")
_LINE_ENDS = re.compile(r"\r\n|\r|\n")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
MAX_WARNINGS = 100
"""Warnings kept per document (a garbage file must not build an unbounded list)."""


@dataclass(frozen=True)
class WebVttCue:
    """One cue: times in seconds (millisecond precision), the raw payload (tags kept)."""

    start: float
    end: float
    text: str
    id: str | None = None
    settings: str = ""


@dataclass(frozen=True)
class WebVttDocument:
    """A parsed file: cues in file order, the header lines, and what was skipped and why."""

    cues: tuple[WebVttCue, ...]
    header: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_timestamp(text: str) -> float:
    """``hh:mm:ss.ttt`` or ``mm:ss.ttt`` -> seconds; :class:`ValueError` if malformed."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        raise ValueError(f"not a WebVTT timestamp: {text[:40]!r}")
    hours, minutes, seconds, millis = m.groups()
    if hours is not None and len(hours.lstrip("0")) > 9:
        raise ValueError(f"hours out of range: {text[:40]!r}")
    total_ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)
    return total_ms / 1000.0


def format_timestamp(seconds: float) -> str:
    """Seconds -> ``hh:mm:ss.ttt`` (rounded to the millisecond)."""
    if not seconds >= 0:  # also rejects NaN
        raise ValueError("a WebVTT time must be >= 0")
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _is_signature(line: str) -> bool:
    return line == "WEBVTT" or (line.startswith("WEBVTT") and line[6] in " \t")


def _starts_block(line: str, keyword: str) -> bool:
    return line == keyword or (line.startswith(keyword) and line[len(keyword)] in " \t")


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0
        self.cues: list[WebVttCue] = []
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
            log.warning("WebVTT: %s", message)

    def block(self) -> list[str]:
        """The lines up to the next blank line (a line with ``-->`` after the first two
        lines of a cue block ends it too: the spec starts a new cue there)."""
        out: list[str] = []
        lines = self.lines
        while self.i < len(lines) and lines[self.i] != "":
            line = lines[self.i]
            if "-->" in line and (len(out) >= 2 or (len(out) == 1 and "-->" in out[0])):
                break
            out.append(line)
            self.i += 1
        return out

    def run(self) -> None:
        lines = self.lines
        while self.i < len(lines):
            if lines[self.i] == "":
                self.i += 1
                continue
            start_line = self.i + 1
            block = self.block()
            if not block:  # defensive: block() always consumes a non-blank line
                self.i += 1
                continue
            first = block[0]
            if "-->" not in first and any(_starts_block(first, k) for k in _SKIPPED_BLOCKS):
                continue
            self.cue(block, start_line)

    def cue(self, block: list[str], line_no: int) -> None:
        ident: str | None = None
        timing = block[0]
        body = block[1:]
        if "-->" not in timing:
            if len(block) < 2 or "-->" not in block[1]:
                self.warn(f"line {line_no}: block without a cue timing line skipped")
                return
            ident, timing, body = block[0], block[1], block[2:]
        m = _TIMING.match(timing.strip(" \t"))
        if m is None:
            self.warn(f"line {line_no}: malformed cue timing {timing[:60]!r} skipped")
            return
        try:
            start = parse_timestamp(m.group(1))
            end = parse_timestamp(m.group(2))
        except ValueError as exc:
            self.warn(f"line {line_no}: {exc}; cue skipped")
            return
        if end <= start:
            self.warn(f"line {line_no}: cue ends at or before its start; skipped")
            return
        self.cues.append(
            WebVttCue(start, end, "\n".join(body), ident, (m.group(3) or "").strip(" \t"))
        )


def parse_webvtt(data: bytes | str) -> WebVttDocument:
    """Parse a WebVTT file; :class:`~nrdp.errors.MalformedSubtitles` if it is not one."""
    if isinstance(data, bytes | bytearray | memoryview):
        text = bytes(data).decode("utf-8", errors="replace")
    elif isinstance(data, str):
        text = data
    else:
        raise MalformedSubtitles("expected bytes or str", line=0)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\x00", "\ufffd")
    lines = _LINE_ENDS.split(text)
    if not lines or not _is_signature(lines[0]):
        raise MalformedSubtitles("the body does not start with the WEBVTT signature", line=1)
    header: list[str] = []
    i = 1
    while i < len(lines) and lines[i] != "":
        if "-->" in lines[i]:  # a cue right after the header without a blank line
            break
        header.append(lines[i])
        i += 1
    parser = _Parser(lines)
    parser.i = i
    parser.run()
    return WebVttDocument(tuple(parser.cues), tuple(header), tuple(parser.warnings))


def write_webvtt(cues: Iterable[WebVttCue], *, header: Iterable[str] = ()) -> str:
    """A WebVTT document of ``cues``; :func:`parse_webvtt` reads it back to the same cues.

    Raises :class:`ValueError` for a cue that cannot be written faithfully (blank payload
    lines or ``-->`` in the payload or id would split or end the cue).
    """
    out = ["WEBVTT", *header, ""]
    for cue in cues:
        if cue.end <= cue.start:
            raise ValueError("a cue must end after it starts")
        if cue.id is not None:
            if not cue.id or "-->" in cue.id or _LINE_ENDS.search(cue.id):
                raise ValueError("a cue id must be one non-empty line without '-->'")
            out.append(cue.id)
        timing = f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}"
        if cue.settings:
            timing += " " + cue.settings
        out.append(timing)
        body = _LINE_ENDS.split(cue.text) if cue.text else []
        if any(line == "" or "-->" in line for line in body):
            raise ValueError("a cue payload must not hold blank lines or '-->'")
        out += body
        out.append("")
    return "\n".join(out) + "\n"
