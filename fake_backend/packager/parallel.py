"""One title's encode on several cores: its rungs split over worker processes.

Every rung has its own encoder fed the same rendered frames, so the rungs can be encoded
apart: each worker renders the picture at the title's full source size (so its rungs get
exactly the frames a one-process encode gives them) and encodes its share of the ladder;
the last group also encodes the audio. Rendering is repeated per worker, so the top rung
(the costliest encode) gets a worker of its own and the rest share the others.

:func:`prepare_parallel` is what a first start uses for the title it plays: the ladder split
as above, plus one more process for every audio track, the thumbnail tiles and the poster
meanwhile, so nothing slow is left for the parent to do one after another. The ladder in
one process would render each frame once, but it is slower on a loaded machine: one
Python thread feeding libx264 gets one process's share of the CPU (the video of
``t-ocean`` in ``make demo``: 62 s in one process at load 6.5-8, 56 s split at 6.4-8.5).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, fields
from typing import Any

from fake_backend.packager.catalog_specs import PackageSpec
from fake_backend.packager.media_factory import encode_audio, encode_title
from fake_backend.packager.poster import render_poster
from fake_backend.packager.rendition import EncodedTitle, PreparedTitle, Rendition
from fake_backend.packager.spec import RungSpec, TitleSpec
from fake_backend.packager.thumbnails import render_tiles

__all__ = ["encode_parallel", "prepare_parallel", "rung_groups"]

OnStep = Callable[[str], None]
"""Called in the parent with a short name of each job as it finishes (``"video v1080"``)."""


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


def _parts(spec: TitleSpec, groups: list[tuple[RungSpec, ...]], audio: bool) -> list[_PartSpec]:
    """One spec per rung group (the last one with the audio when ``audio``)."""
    base = {f.name: getattr(spec, f.name) for f in fields(spec)}
    return [
        _PartSpec(
            **{**base, "rungs": g, "audio": audio and spec.audio and i == len(groups) - 1},
            full_source=spec.source_size,
        )
        for i, g in enumerate(groups)
    ]


def _may_spawn() -> bool:
    # A pool's worker (background packaging) may not start processes of its own.
    return not multiprocessing.current_process().daemon


def _pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("spawn")  # callers may run threads: no fork
    return ProcessPoolExecutor(workers, mp_context=ctx)


def _joined(spec: TitleSpec, parts: list[EncodedTitle], audio: Rendition | None) -> EncodedTitle:
    by_id = {r.id: r for part in parts for r in part.video}
    audio = audio or next((p.audio for p in parts if p.audio is not None), None)
    return EncodedTitle(spec, tuple(by_id[r.id] for r in spec.rungs), audio)


def encode_parallel(spec: TitleSpec, workers: int = 2) -> EncodedTitle:
    """``encode_title(spec)`` with its rungs spread over ``workers`` processes."""
    groups = rung_groups(spec.rungs, workers)
    if len(groups) < 2 or not _may_spawn():
        return encode_title(spec)
    with _pool(len(groups)) as pool:
        encoded = list(pool.map(encode_title, _parts(spec, groups, audio=True)))
    return _joined(spec, encoded, None)


def prepare_parallel(
    spec: PackageSpec,
    workers: int = 2,
    *,
    poster: bool = True,
    on_step: OnStep | None = None,
) -> PreparedTitle:
    """The encoded title, every audio track, the thumbnail tiles and (``poster``) the poster
    of ``spec``: the ladder split over ``workers`` processes as :func:`encode_parallel`
    does, the rest on one more; the same bytes as
    :func:`~fake_backend.packager.package.package_title` makes on its own. Without a pool
    (a daemon process) only the video and first audio are made here, on one process."""
    title = spec.title_spec()
    if workers < 1 or not _may_spawn():
        return PreparedTitle(encode_title(title))
    groups = rung_groups(spec.rungs, workers)
    jobs: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
        ("video " + "+".join(r.id for r in part.rungs), encode_title, (part,))
        for part in _parts(title, groups, audio=False)
    ]
    if spec.thumbnails is not None:
        jobs.append(("thumbnails", render_tiles, (title, spec.thumbnails)))
    jobs += [(f"audio {a.id}", encode_audio, (spec.audio_title_spec(a),)) for a in spec.audio]
    if poster:
        jobs.append(("poster", render_poster, (spec.title_id, spec.name)))
    with _pool(min(len(groups) + 1, len(jobs))) as pool:
        futures: dict[Future[Any], str] = {pool.submit(fn, *args): name for name, fn, args in jobs}
        for done in as_completed(futures):
            done.result()  # the first failure raises here
            if on_step is not None:
                on_step(futures[done])
        results = [f.result() for f in futures]
    videos = results[: len(groups)]
    rest = results[len(groups) :]
    tiles = tuple(rest.pop(0)) if spec.thumbnails is not None else None
    audio = [rest.pop(0) for _ in spec.audio]
    return PreparedTitle(
        encoded=_joined(title, videos, audio[0] if audio else None),
        extra_audio=tuple(audio[1:]),
        tiles=tiles,
        poster=rest.pop(0) if poster else None,
    )
