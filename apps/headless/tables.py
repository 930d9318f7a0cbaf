"""The result tables: per-session QoE (``play``, ``scenario``, ``load``) and A/B cells.

A terminal narrower than the full table (every cell on one line) gets the compact layout:
the same numbers in fewer, narrower columns without borders (stalls with their rebuffer
share, switches/failovers, frames with their order check), so an 80-column terminal shows
every row on one line. Scenario runs name each row's scenario; ``load`` rows carry their
session number, A/B cell, trace (``--trace-set``) and real-time lag.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["cells_table", "summary_table"]

Row = dict[str, Any]
Column = tuple[str, bool, Callable[[Row], str]]
"""(header, left-justified, cell text)."""


def _fmt(value: Any, spec: str = "", unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:{spec}}{unit}"


def _frames(r: Row) -> str:
    if r.get("decoded") is False:  # --no-decode: the SDK's count, no ids were read
        return f"{r.get('frames_presented', '-')} (not decoded)"
    return f"{r.get('frames_decoded')}/{r.get('frames_expected')}"


def _errors(r: Row) -> str:
    return ",".join(str(c) for c in r.get("errors", [])) or "-"


def _rebuffer(r: Row) -> str:
    return _fmt(100 * r.get("rebuffer_ratio", 0.0), ".2f", " %")


def _qoe(r: Row) -> str:
    return _fmt((r.get("qoe") or {}).get("qoe_lin"), ".3f")


def _lead(reports: Sequence[Row], load: bool) -> list[Column]:
    cols: list[Column] = []
    if any(r.get("scenario") for r in reports):
        cols.append(("scenario", True, lambda r: str(r.get("scenario") or "-")))
    if load:
        cols.append(("#", False, lambda r: str(r.get("session", ""))))
        cols.append(("cell", True, lambda r: str(r.get("cell") or "-")))
        if any(r.get("trace") for r in reports):  # load --trace-set
            cols.append(("trace", True, lambda r: str(r.get("trace") or "-")))
    return cols


def _full_columns(reports: Sequence[Row], load: bool) -> list[Column]:
    cols = [
        *_lead(reports, load),
        ("title", True, lambda r: str(r.get("title"))),
        ("state", True, lambda r: str(r.get("state"))),
        ("startup", False, lambda r: _fmt(r.get("startup_ms"), ".0f", " ms")),
        ("avg bitrate", False, lambda r: _fmt(r.get("avg_bitrate_kbps"), ".0f", " kbps")),
        ("stalls", False, lambda r: _fmt(r.get("stall_count"))),
        ("rebuffer", False, _rebuffer),
        ("switches", False, lambda r: _fmt(r.get("switches"))),
        ("failovers", False, lambda r: _fmt(r.get("failovers"))),
        ("frames", False, _frames),
        ("in order", False, lambda r: _fmt(r.get("frames_in_order"))),
        ("QoE lin", False, _qoe),
        ("errors", True, _errors),
    ]
    if load:
        cols.append(("rt lag", False, lambda r: _fmt(r.get("realtime_lag_s"), ".2f", " s")))
        cols.append(("real time", False, lambda r: _fmt(r.get("kept_realtime"))))
    return cols


def _compact_frames(r: Row) -> str:
    mark = "!" if r.get("frames_in_order") is False else ""
    return _frames(r).replace(" (not decoded)", " nd") + mark


def _compact_stalls(r: Row) -> str:
    return f"{_fmt(r.get('stall_count'))} {_fmt(100 * r.get('rebuffer_ratio', 0.0), '.1f', '%')}"


def _compact_columns(reports: Sequence[Row], load: bool) -> list[Column]:
    cols = [
        *_lead(reports, load),
        ("title", True, lambda r: str(r.get("title"))),
        ("state", True, lambda r: str(r.get("state"))),
        ("start", False, lambda r: _fmt(r.get("startup_ms"), ".0f")),
        ("kbps", False, lambda r: _fmt(r.get("avg_bitrate_kbps"), ".0f")),
        ("stalls", False, _compact_stalls),
        ("sw/fo", False, lambda r: f"{_fmt(r.get('switches'))}/{_fmt(r.get('failovers'))}"),
        ("frames", False, _compact_frames),
        ("QoE", False, lambda r: _fmt((r.get("qoe") or {}).get("qoe_lin"), ".2f")),
    ]
    if any(r.get("errors") for r in reports):
        cols.append(("err", True, _errors))
    if load:
        cols.append(("lag", False, lambda r: _fmt(r.get("realtime_lag_s"), ".1f")))
    return cols


_LEGEND = {
    "start": "start: startup ms",
    "stalls": "stalls: count, rebuffer share",
    "sw/fo": "sw/fo: switches/failovers",
    "frames": "frames: shown/expected (! out of order)",
    "lag": "lag: real-time lag s",
}
_WRAPPING = ("scenario", "title", "cell", "trace", "err")


def summary_table(reports: Sequence[Row], *, load: bool = False, width: int | None = None) -> Table:
    """One row per session: the numbers a QA engineer reads first. ``width``: the
    console's; narrower than the full table, the compact layout (module docstring)."""
    full = _table(reports, _full_columns(reports, load), compact=False)
    if width is None or _natural_width(full) <= width:
        return full
    return _table(reports, _compact_columns(reports, load), compact=True)


def _natural_width(table: Table) -> int:
    """Columns the table needs with no cell wrapped."""
    return Console(width=10_000, file=io.StringIO()).measure(table).maximum


def _table(reports: Sequence[Row], cols: list[Column], *, compact: bool) -> Table:
    if compact:
        t = Table(
            title="QoE summary",
            title_justify="left",
            box=None,
            header_style="bold underline",
            padding=(0, 0, 0, 1),
            pad_edge=False,
            caption="; ".join(_LEGEND[h] for h, _, _ in cols if h in _LEGEND),
            caption_justify="left",
        )
    else:
        t = Table(title="QoE summary", title_justify="left")
    for header, left, _ in cols:
        wraps = header in _WRAPPING or not compact
        t.add_column(
            header, justify="left" if left else "right", overflow="fold", no_wrap=not wraps
        )
    for r in reports:
        t.add_row(*(cell(r) for _, _, cell in cols))
    return t


def cells_table(cells: Sequence[Row]) -> Table:
    """The backend's per-cell QoE (``GET /experiments/v1/report``)."""
    t = Table(title="A/B cells (backend experiment report)", title_justify="left")
    for col in ("cell", "abr", "playbacks", "sessions", "startup", "avg bitrate", "rebuffer"):
        t.add_column(col, justify="left" if col in ("cell", "abr") else "right")
    for c in cells:
        ratio = c.get("rebuffer_ratio")
        t.add_row(
            str(c.get("cell")),
            str((c.get("params") or {}).get("abr", "-")),
            _fmt(c.get("playbacks")),
            _fmt(c.get("sessions")),
            _fmt(c.get("mean_startup_ms"), ".0f", " ms"),
            _fmt(c.get("mean_bitrate_kbps"), ".0f", " kbps"),
            _fmt(100 * ratio if ratio is not None else None, ".2f", " %"),
        )
    return t
