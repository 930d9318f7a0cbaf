"""What a person watching the terminal sees: packaging progress, a live playback bar, and
the QoE summary table. Everything goes to stderr except the summary table (stdout)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from apps.headless.session import Tick
from apps.headless.tables import cells_table, summary_table

__all__ = [
    "LoadProgress",
    "PackagingProgress",
    "PlaybackProgress",
    "cells_table",
    "summary_table",
]


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

    def on_step(self, title_id: str, job: str) -> None:
        """Called (on the backend's worker thread) as each job of a title packaged on
        several processes finishes: a video rung group, an audio track, tiles, the poster."""
        elapsed = time.monotonic() - self._t0
        if self.task is not None:
            self.progress.update(self.task, title=f"{title_id}: {job} done")
        else:
            self.console.print(f"  {title_id}: {job} done at {elapsed:.0f} s")

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


class LoadProgress:
    """``load``: one bar over the media all sessions play (seconds played of seconds to
    play, as their players report them), with how many sessions wait, play, have ended or
    failed; on a non-terminal (CI logs) one status line every 5 s instead."""

    def __init__(self, console: Console, sessions: int, *, enabled: bool = True) -> None:
        self.console = console
        self.sessions = sessions
        self.enabled = enabled
        self.positions: dict[int, float] = {}
        self.durations: dict[int, float] = {}
        self.states: dict[int, str] = {}
        self.progress = Progress(
            TextColumn("[bold]load[/] {task.fields[counts]}"),
            BarColumn(bar_width=24),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s of media"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self._last_print = 0.0

    def __enter__(self) -> LoadProgress:
        if self.enabled and self.console.is_terminal:
            self.progress.start()
            self.task = self.progress.add_task("load", total=1.0, counts=self.counts())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self._refresh()
            self.progress.stop()

    def counts(self) -> str:
        ended = sum(1 for s in self.states.values() if s == "ended")
        failed = sum(1 for s in self.states.values() if s in ("error", "failed"))
        playing = len(self.states) - ended - failed
        waiting = self.sessions - len(self.states)
        return f"{playing} playing, {ended} ended, {failed} failed, {waiting} waiting"

    def on_tick(self, index: int, tick: Tick) -> None:
        """A session's poll (its player's position and state)."""
        self.positions[index] = tick.position
        if tick.duration:
            self.durations[index] = tick.duration
        self.states[index] = tick.state
        self._refresh()

    def on_done(self, index: int, state: str) -> None:
        if state == "ended" and index in self.durations:
            self.positions[index] = self.durations[index]
        self.states[index] = "ended" if state == "ended" else "failed"
        self._refresh()

    def _refresh(self) -> None:
        if not self.enabled:
            return
        done = sum(self.positions.values())
        total = max(sum(self.durations.values()), done, 1.0)
        if self.task is not None:
            self.progress.update(self.task, completed=done, total=total, counts=self.counts())
            return
        now = time.monotonic()
        if now - self._last_print > 5.0 or (
            len(self.states) == self.sessions
            and all(s in ("ended", "failed") for s in self.states.values())
        ):
            self._last_print = now
            self.console.print(f"load: {self.counts()}; {done:.0f}/{total:.0f} s of media")
