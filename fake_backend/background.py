"""Package the rest of a catalog while the backend already serves its first titles.

A first start used to encode the whole catalog before anything listened (minutes for the
demo catalog). With ``Backend(..., ready_first=[...])`` only those titles are packaged
before the servers start; :class:`BackgroundPackaging` then materializes the others one
after another in a child process (lower CPU priority, so a player on the same machine
keeps its core) and each finished title is placed on its OCAs. Closing the backend kills
the child: a title cut off mid-way left only a ``.tmp-*`` directory (the origin renames a
title into place when it is complete), which the next start removes and packages again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.pool import Pool
from pathlib import Path

from fake_backend.catalog import CatalogTitle
from fake_backend.content import ContentStore, Materializer

__all__ = ["BackgroundPackaging", "remove_stale_tmp"]

log = logging.getLogger("fake_backend")

BACKGROUND_NICE = 10
"""How much lower the background packager's CPU priority is (``nice``)."""


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # not permitted: run at normal priority
        os.nice(BACKGROUND_NICE)


def _ensure(
    root: Path, materializer: Materializer, title: CatalogTitle, keys: dict[bytes, bytes]
) -> str:
    """In the child: package one title into the origin (atomically, as a start would)."""
    ContentStore(root, materializer).ensure(title, keys)
    return title.id


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


def remove_stale_tmp(root: Path) -> None:
    """Remove the origin's ``.tmp-<title>-<pid>`` directories whose process is gone."""
    if not root.is_dir():
        return
    for tmp in root.glob(".tmp-*"):
        pid = tmp.name.rpartition("-")[2]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


class BackgroundPackaging:
    """One child process packaging ``titles`` in order; ``on_ready`` runs for each title
    (on a pool thread) once it is in the origin, ``on_error`` if one fails."""

    def __init__(
        self,
        root: Path,
        materializer: Materializer,
        titles: Sequence[tuple[CatalogTitle, Mapping[bytes, bytes]]],
        on_ready: Callable[[str], None],
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.root = root
        self.materializer = materializer
        self.titles = list(titles)
        self.on_ready = on_ready
        self.on_error = on_error
        self.ready: list[str] = []
        self.failed: dict[str, str] = {}
        self.done = threading.Event()
        self._pool: Pool | None = None
        self._left = len(self.titles)
        self._lock = threading.Lock()

    @property
    def pending(self) -> list[str]:
        finished = set(self.ready) | set(self.failed)
        return [t.id for t, _ in self.titles if t.id not in finished]

    def start(self) -> None:
        if not self.titles:
            self.done.set()
            return
        ctx = multiprocessing.get_context("spawn")  # the parent runs threads: no fork
        self._pool = ctx.Pool(1, initializer=_lower_priority)
        for title, keys in self.titles:
            self._pool.apply_async(
                _ensure,
                (self.root, self.materializer, title, dict(keys)),
                callback=self._ready,
                error_callback=functools.partial(self._failed, title.id),
            )

    def _ready(self, title_id: str) -> None:
        try:
            self.on_ready(title_id)
            self.ready.append(title_id)
        except Exception as exc:  # placement failed: report it like a packaging failure
            self._failed(title_id, exc)
            return
        self._count()

    def _failed(self, title_id: str, exc: BaseException) -> None:
        self.failed[title_id] = repr(exc)[:300]
        log.error("background packaging of %s failed: %r", title_id, exc)
        if self.on_error is not None:
            self.on_error(title_id, exc)
        self._count()

    def _count(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self.done.set()

    def close(self) -> None:
        """Stop now: the title being packaged is abandoned (see the module docstring)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
