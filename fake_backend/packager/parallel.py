"""One title's encode on several cores: its rungs split over worker processes.

Every rung has its own encoder fed the same rendered frames, so the rungs can be encoded
apart: each worker renders the picture at the title's full source size (so its rungs get
exactly the frames a one-process encode gives them) and encodes its share of the ladder;
the first worker also encodes the audio. Rendering is repeated per worker, so the top rung
(the costliest encode) gets a worker of its own and the rest share the others.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields

from fake_backend.packager.media_factory import encode_title
from fake_backend.packager.rendition import EncodedTitle
from fake_backend.packager.spec import RungSpec, TitleSpec

__all__ = ["encode_parallel", "rung_groups"]


@dataclass(frozen=True)
class _PartSpec(TitleSpec):
    """A share of a title's rungs, rendered at the whole title's source size."""

    full_source: tuple[int, int] = (0, 0)

    @property
    def source_size(self) -> tuple[int, int]:
        return self.full_source


def rung_groups(rungs: tuple[RungSpec, ...], workers: int) -> list[tuple[RungSpec, ...]]:
    """Rungs split into at most ``workers`` groups of similar pixel counts (largest first,
    each to the lightest group), each group in ladder order."""
    groups: list[list[RungSpec]] = [[] for _ in range(max(1, min(workers, len(rungs))))]
    for rung in sorted(rungs, key=lambda r: r.width * r.height, reverse=True):
        lightest = min(groups, key=lambda g: sum(r.width * r.height for r in g))
        lightest.append(rung)
    order = {r.id: i for i, r in enumerate(rungs)}
    return [tuple(sorted(g, key=lambda r: order[r.id])) for g in groups if g]


def encode_parallel(spec: TitleSpec, workers: int = 2) -> EncodedTitle:
    """``encode_title(spec)`` with its rungs spread over ``workers`` processes."""
    groups = rung_groups(spec.rungs, workers)
    if len(groups) < 2 or multiprocessing.current_process().daemon:
        # A pool's worker (background packaging) may not start processes of its own.
        return encode_title(spec)
    base = {f.name: getattr(spec, f.name) for f in fields(spec)}
    parts = [
        _PartSpec(
            **{**base, "rungs": g, "audio": spec.audio and i == len(groups) - 1},
            full_source=spec.source_size,
        )
        for i, g in enumerate(groups)
    ]
    ctx = multiprocessing.get_context("spawn")  # callers may run threads: no fork
    with ProcessPoolExecutor(len(parts), mp_context=ctx) as pool:
        encoded = list(pool.map(encode_title, parts))
    by_id = {r.id: r for part in encoded for r in part.video}
    audio = next((part.audio for part in encoded if part.audio is not None), None)
    return EncodedTitle(spec, tuple(by_id[r.id] for r in spec.rungs), audio)
