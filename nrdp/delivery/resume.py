"""Resuming a download on another OCA without losing or repeating a byte.

A :class:`RangeResume` follows one object (a whole file, or a byte range of a larger file
as SegmentBase/indexRange addressing produces) across any number of responses from any
number of OCAs. Before each attempt the shell asks :meth:`RangeResume.range_header` for
``Range: bytes=<start+received>-<end>``, announces the response with
:meth:`RangeResume.begin_response` (status and Content-Range are checked against what was
asked; a server that ignores Range and answers 200 has the unwanted prefix skipped), feeds
body chunks to :meth:`RangeResume.feed` and calls :meth:`RangeResume.end_response` when the
body ends. If the response ended early, :class:`nrdp.errors.TruncatedBody` is raised and
the bytes kept so far stay valid for the next attempt. The bytes of all attempts join to
exactly the requested bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nrdp.errors import InvalidArgument, RangeMismatch, TruncatedBody

__all__ = ["ByteRange", "RangeResume", "parse_content_range"]


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start..end`` inclusive (HTTP semantics); ``end=None`` means to the end."""

    start: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.start, bool) or not isinstance(self.start, int) or self.start < 0:
            raise InvalidArgument("must be an int >= 0", argument="start")
        if self.end is not None and (
            isinstance(self.end, bool) or not isinstance(self.end, int) or self.end < self.start
        ):
            raise InvalidArgument("must be an int >= start", argument="end")

    @classmethod
    def parse(cls, text: str) -> ByteRange:
        """Parse ``"first-last"`` (a DASH ``mediaRange``/``indexRange``) or ``"first-"``."""
        m = re.fullmatch(r"\s*(\d+)-(\d*)\s*", text)
        if m is None:
            raise InvalidArgument(f"not a byte range: {text!r}", argument="range")
        return cls(int(m.group(1)), int(m.group(2)) if m.group(2) else None)

    @property
    def length(self) -> int | None:
        return None if self.end is None else self.end - self.start + 1

    def header(self) -> str:
        return f"bytes={self.start}-{'' if self.end is None else self.end}"


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def parse_content_range(value: str) -> tuple[int, int, int | None]:
    """``"bytes first-last/total"`` -> ``(first, last, total or None)``."""
    m = _CONTENT_RANGE.fullmatch(value.strip())
    if m is None:
        raise RangeMismatch(f"malformed Content-Range {value!r}", answered=value)
    first, last = int(m.group(1)), int(m.group(2))
    total = None if m.group(3) == "*" else int(m.group(3))
    if last < first or (total is not None and last >= total):
        raise RangeMismatch(f"impossible Content-Range {value!r}", answered=value)
    return first, last, total


class RangeResume:
    """The received bytes of one object and the range still to ask for."""

    def __init__(self, byte_range: ByteRange | None = None, *, url: str = "") -> None:
        rng = byte_range if byte_range is not None else ByteRange()
        self.start = rng.start
        self._end = rng.end
        self.url = url
        self._data = bytearray()
        self._skip = 0  # bytes of the current body to drop (server ignored our Range)
        self._open = False
        self._partial = False  # current response is a 206 (extra bytes are a protocol error)
        self.attempts = 0

    # ------------------------------------------------------------------ state

    @property
    def end(self) -> int | None:
        """Last wanted byte (inclusive); learned from the first response when open-ended."""
        return self._end

    @property
    def received(self) -> int:
        return len(self._data)

    @property
    def next_offset(self) -> int:
        return self.start + len(self._data)

    @property
    def expected_length(self) -> int | None:
        return None if self._end is None else self._end - self.start + 1

    @property
    def remaining(self) -> int | None:
        n = self.expected_length
        return None if n is None else n - len(self._data)

    @property
    def complete(self) -> bool:
        return self.remaining == 0

    def data(self) -> bytes:
        return bytes(self._data)

    # ------------------------------------------------------------------ requests

    def request_range(self) -> ByteRange | None:
        """The range to ask for next, or ``None`` when the whole object is wanted as-is."""
        if self.next_offset == 0 and self._end is None:
            return None
        return ByteRange(self.next_offset, self._end)

    def range_header(self) -> str | None:
        rng = self.request_range()
        return None if rng is None else rng.header()

    def begin_response(
        self,
        status: int,
        *,
        content_range: str | None = None,
        content_length: int | None = None,
        url: str | None = None,
    ) -> None:
        """Check a response's status line against the asked range, before its body."""
        if url is not None:
            self.url = url
        if self.complete:
            raise InvalidArgument("the object is already complete", argument="status")
        asked = self.range_header() or ""
        self.attempts += 1
        if status == 206:
            self._begin_partial(content_range, asked)
        elif status == 200:
            self._begin_whole(content_length, asked)
        else:
            raise RangeMismatch(
                f"HTTP {status} is not a body for a range request", url=self.url, requested=asked
            )
        self._open = True

    def _begin_partial(self, content_range: str | None, asked: str) -> None:
        """A 206: its Content-Range must start at our next byte and end where we asked (an
        open range learns its end from it)."""
        if content_range is None:
            raise RangeMismatch("206 without Content-Range", url=self.url, requested=asked)
        first, last, total = parse_content_range(content_range)

        def mismatch(why: str) -> RangeMismatch:
            return RangeMismatch(why, url=self.url, requested=asked, answered=content_range)

        if first != self.next_offset:
            raise mismatch(f"answered from byte {first}, asked {self.next_offset}")
        if self._end is None:
            if total is None or last != total - 1:
                raise mismatch("open range answered short of the end")
            self._end = last
        elif last != self._end:
            raise mismatch(f"answered up to byte {last}, asked {self._end}")
        self._skip = 0
        self._partial = True

    def _begin_whole(self, content_length: int | None, asked: str) -> None:
        """A 200, the whole file: skip what we have, or what lies before our range."""
        if content_length is not None:
            if content_length <= (self._end if self._end is not None else self.next_offset - 1):
                raise RangeMismatch(
                    f"file has {content_length} bytes, range needs more",
                    url=self.url,
                    requested=asked,
                )
            if self._end is None:
                self._end = content_length - 1
        self._skip = self.next_offset
        self._partial = False

    def feed(self, chunk: bytes) -> int:
        """Take body bytes; returns how many belonged to the object (the rest is dropped)."""
        if not self._open:
            raise InvalidArgument("no response in progress", argument="chunk")
        view = memoryview(chunk)
        if self._skip:
            n = min(self._skip, len(view))
            self._skip -= n
            view = view[n:]
        remaining = self.remaining
        if remaining is not None and len(view) > remaining:
            if self._partial:
                raise RangeMismatch(
                    f"{len(view) - remaining} bytes beyond the asked range", url=self.url
                )
            view = view[:remaining]
        self._data += view
        return len(view)

    def end_response(self) -> None:
        """The body ended; raise :class:`TruncatedBody` if the object is not complete.

        An open-ended request answered with 200 and no Content-Length completes at EOF.
        """
        if not self._open:
            raise InvalidArgument("no response in progress", argument="end_response")
        self._open = False
        if self._end is None:
            if self._skip:
                raise TruncatedBody(url=self.url, expected=self._skip + self.start, received=0)
            self._end = self.start + len(self._data) - 1
            if self._end < self.start:
                raise TruncatedBody(url=self.url, expected=1, received=0)
            return
        if not self.complete:
            expected = self.expected_length or 0
            raise TruncatedBody(url=self.url, expected=expected, received=len(self._data))

    def abort_response(self) -> None:
        """The response failed mid-body (reset, stall): keep the valid bytes, end it."""
        self._open = False
        self._skip = 0

    def reset(self) -> None:
        """Drop every byte (the data was corrupt): the next attempt starts from ``start``."""
        self._data.clear()
        self._open = False
        self._skip = 0

    def __repr__(self) -> str:
        return (
            f"RangeResume(start={self.start}, end={self._end}, received={self.received}, "
            f"attempts={self.attempts})"
        )
