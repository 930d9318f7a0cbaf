"""What a person watching the terminal sees: packaging progress, a live playback bar, and
the QoE summary table. Everything goes to stderr except the summary table (stdout)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from apps.headless.session import Tick

__all__ = ["PackagingProgress", "PlaybackProgress", "cells_table", "summary_table"]


class PackagingProgress:
    """First start of the embedded backend: one bar over the titles being packaged."""

    def __init__(self, console: Console, pending: Sequence[tuple[str, float]]) -> None:
        self.console = console
        self.pending = list(pending)
        self.total_s = sum(d for _, d in self.pending) or 1.0
        self.progress = Progress(
            TextColumn("[bold]packaging[/] {task.fields[title]:<12}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s of media"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self._done_s = 0.0
        self._current: float = 0.0

    def __enter__(self) -> PackagingProgress:
        self._count = 0
        self._t0 = time.monotonic()
        if self.pending and self.console.is_terminal:
            self.progress.start()
            self.task = self.progress.add_task("pack", total=self.total_s, title="")
        return self

    def on_title(self, title_id: str, duration_s: float) -> None:
        """Called (on the backend's worker thread) as each title starts packaging."""
        self._done_s += self._current
        self._current = duration_s
        self._count += 1
        if self.task is not None:
            self.progress.update(self.task, completed=self._done_s, title=title_id)
        else:  # not a terminal (CI logs): one line per title
            self.console.print(
                f"packaging {title_id} ({duration_s:.0f} s of media) "
                f"[{self._count}/{len(self.pending)}] at {time.monotonic() - self._t0:.0f} s"
            )

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.total_s, title="done")
            self.progress.stop()


class PlaybackProgress:
    """A live bar: position / duration, bitrate, buffer, OCA, stalls, failovers."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold cyan]{task.fields[title]}[/] {task.fields[state]:<9}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[pos]}"),
            TextColumn("[green]{task.fields[rate]}[/]"),
            TextColumn("buf {task.fields[buf]}"),
            TextColumn("[magenta]{task.fields[oca]}[/]"),
            TextColumn("[red]{task.fields[stalls]}[/]"),
            console=console,
            transient=False,
            refresh_per_second=8,
        )
        self.task: TaskID | None = None
        self._last_print = 0.0

    def __enter__(self) -> PlaybackProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def update(self, tick: Tick) -> None:
        if not self.enabled:
            return
        fields: dict[str, Any] = {
            "title": tick.title,
            "state": tick.state,
            "pos": f"{tick.position:6.1f}/{tick.duration:.0f} s"
            if tick.duration
            else f"{tick.position:6.1f} s",
            "rate": f"{tick.bitrate_kbps:6.0f} kbps" if tick.bitrate_kbps else "    - kbps",
            "buf": f"{tick.buffer_s:5.1f} s",
            "oca": tick.oca or "-",
            "stalls": f"stalls {tick.stalls}  failovers {tick.failovers}",
        }
        total = tick.duration or max(tick.position, 1.0)
        if self.task is None:
            self.task = self.progress.add_task("play", total=total, **fields)
        self.progress.update(self.task, total=total, completed=tick.position, **fields)
        now = time.monotonic()
        if not self.console.is_terminal and now - self._last_print > 5.0:
            self._last_print = now  # not a terminal (CI logs): a status line every 5 s
            self.console.print(
                f"{fields['title']} {fields['state']} {fields['pos']} {fields['rate']} "
                f"buf {fields['buf']} {fields['oca']} {fields['stalls']}"
            )


def _fmt(value: Any, spec: str = "", unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:{spec}}{unit}"


def _frames(r: dict[str, Any]) -> str:
    if r.get("decoded") is False:  # --no-decode: the SDK's count, no ids were read
        return f"{r.get('frames_presented', '-')} (not decoded)"
    return f"{r.get('frames_decoded')}/{r.get('frames_expected')}"


def summary_table(reports: Sequence[dict[str, Any]], *, load: bool = False) -> Table:
    """One row per session: the numbers a QA engineer reads first (``load``: with the
    session number, A/B cell, the trace file under ``--trace-set`` and real-time lag)."""
    t = Table(title="QoE summary", title_justify="left")
    traced = load and any(r.get("trace") for r in reports)  # load --trace-set
    lead = ("#", "cell", *(("trace",) if traced else ())) if load else ()
    tail = ("rt lag", "real time") if load else ()
    for col in (
        *lead,
        "title",
        "state",
        "startup",
        "avg bitrate",
        "stalls",
        "rebuffer",
        "switches",
        "failovers",
        "frames",
        "in order",
        "QoE lin",
        "errors",
        *tail,
    ):
        left = col in ("title", "state", "errors", "cell", "trace")
        t.add_column(col, justify="left" if left else "right")
    for r in reports:
        qoe = r.get("qoe") or {}
        first: tuple[str, ...] = ()
        if load:
            first = (str(r.get("session", "")), str(r.get("cell") or "-"))
            first += (str(r.get("trace") or "-"),) if traced else ()
        last = (_fmt(r.get("realtime_lag_s"), ".2f", " s"), _fmt(r.get("kept_realtime")))
        t.add_row(
            *first,
            str(r.get("title")),
            str(r.get("state")),
            _fmt(r.get("startup_ms"), ".0f", " ms"),
            _fmt(r.get("avg_bitrate_kbps"), ".0f", " kbps"),
            _fmt(r.get("stall_count")),
            _fmt(100 * r.get("rebuffer_ratio", 0.0), ".2f", " %"),
            _fmt(r.get("switches")),
            _fmt(r.get("failovers")),
            _frames(r),
            _fmt(r.get("frames_in_order")),
            _fmt(qoe.get("qoe_lin"), ".3f"),
            ",".join(str(c) for c in r.get("errors", [])) or "-",
            *(last if load else ()),
        )
    return t


def cells_table(cells: Sequence[dict[str, Any]]) -> Table:
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
