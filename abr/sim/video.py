"""A video for simulation: the bitrate ladder and the size of every segment per rung."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from abr.errors import VideoFormatError
from abr.types import Ladder

__all__ = ["Video", "parse_video", "parse_video_json"]


@dataclass(frozen=True, slots=True)
class Video:
    """``sizes[rung][segment]`` in bytes; ``played`` segments are streamed per session."""

    name: str
    ladder: Ladder
    sizes: tuple[tuple[int, ...], ...]
    played: int

    @property
    def num_segments(self) -> int:
        return len(self.sizes[0])

    def rows(self) -> tuple[tuple[int, ...], ...]:
        """Per segment, the sizes of every rung (the shape observations carry)."""
        return tuple(zip(*self.sizes, strict=True))


def parse_video_json(text: str, source: str = "<video>") -> Video:
    """Parse the ``shared/abr/video/*.json`` format."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VideoFormatError(f"not JSON: {exc}", source=source, field="") from None
    if not isinstance(obj, Mapping):
        raise VideoFormatError("top level must be an object", source=source, field="")
    return parse_video(obj, source)


def _number(value: Any, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise VideoFormatError(f"{field} must be a finite number", source=source, field=field)
    return float(value)


def parse_video(obj: Mapping[str, Any], source: str = "<video>") -> Video:
    """Build a :class:`Video` from the decoded JSON object, checking every field."""
    bitrates = obj.get("bitrates_kbps")
    if not isinstance(bitrates, list) or not bitrates:
        raise VideoFormatError(
            "bitrates_kbps must be a non-empty list", source=source, field="bitrates_kbps"
        )
    rates = tuple(_number(b, source, "bitrates_kbps") for b in bitrates)
    if any(r <= 0 for r in rates) or any(rates[i] >= rates[i + 1] for i in range(len(rates) - 1)):
        raise VideoFormatError(
            "bitrates_kbps must be positive and increasing", source=source, field="bitrates_kbps"
        )
    duration = _number(obj.get("segment_duration_s"), source, "segment_duration_s")
    if duration <= 0:
        raise VideoFormatError(
            "segment_duration_s must be positive", source=source, field="segment_duration_s"
        )
    sizes = obj.get("segment_sizes_bytes")
    if not isinstance(sizes, list) or len(sizes) != len(rates):
        raise VideoFormatError(
            "segment_sizes_bytes needs one list per bitrate",
            source=source,
            field="segment_sizes_bytes",
        )
    rows: list[tuple[int, ...]] = []
    for r, row in enumerate(sizes):
        if not isinstance(row, list) or not row:
            raise VideoFormatError(
                f"segment_sizes_bytes[{r}] must be a non-empty list",
                source=source,
                field="segment_sizes_bytes",
            )
        vals = []
        for s in row:
            if isinstance(s, bool) or not isinstance(s, int) or s <= 0:
                raise VideoFormatError(
                    f"segment_sizes_bytes[{r}] holds a non-positive or non-integer size",
                    source=source,
                    field="segment_sizes_bytes",
                )
            vals.append(s)
        rows.append(tuple(vals))
    if len({len(r) for r in rows}) != 1:
        raise VideoFormatError(
            "every rung needs the same number of segments",
            source=source,
            field="segment_sizes_bytes",
        )
    played_raw = obj.get("pensieve_played_segments", len(rows[0]))
    played = int(_number(played_raw, source, "pensieve_played_segments"))
    if not 1 <= played <= len(rows[0]):
        raise VideoFormatError(
            "played segment count out of range", source=source, field="pensieve_played_segments"
        )
    name = obj.get("name", source)
    return Video(str(name), Ladder(rates, duration), tuple(rows), played)
