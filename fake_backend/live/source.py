"""What a live channel loops: one packaged title's tracks, their segments and durations.

Read from the title's on-demand ``manifest.mpd`` when the origin has one (real, encrypted
media from the packager), else from the catalog row (stand-in media: uniform segments).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fake_backend.catalog import CatalogTitle
from manifest.build import adaptation_set, audio_representation, video_representation
from manifest.model import AdaptationSet, Representation
from manifest.parse import parse_mpd

__all__ = ["LoopSource", "LoopTrack", "load_source"]

_TIMESCALE = 1000


@dataclass(frozen=True)
class LoopTrack:
    """One Representation of the source: its segment files and durations (in ``timescale``)."""

    rep: Representation
    aset: AdaptationSet
    timescale: int
    durations: tuple[int, ...]
    paths: tuple[str, ...]
    init: str

    @property
    def id(self) -> str:
        return str(self.rep.id)

    @property
    def starts(self) -> tuple[int, ...]:
        out, t = [], 0
        for d in self.durations:
            out.append(t)
            t += d
        return tuple(out)


@dataclass(frozen=True)
class LoopSource:
    """Every looped track; ``segment_s`` is the nominal grid, ``count`` segments per loop."""

    tracks: tuple[LoopTrack, ...]
    segment_s: float
    count: int

    @property
    def loop_s(self) -> float:
        return self.segment_s * self.count

    def track(self, rep_id: str) -> LoopTrack | None:
        return next((t for t in self.tracks if t.id == rep_id), None)


def _from_mpd(data: bytes, title: CatalogTitle) -> LoopSource:
    m = parse_mpd(data, "http://origin/manifest.mpd")
    tracks = []
    for aset in m.periods[0].adaptation_sets:
        if aset.kind not in ("video", "audio"):
            continue
        for rep in aset.representations:
            refs = list(rep.segments())
            init = rep.init_segment()
            if not refs or init is None:
                continue
            tracks.append(
                LoopTrack(
                    rep=rep,
                    aset=aset,
                    timescale=refs[0].timescale,
                    durations=tuple(round(r.duration * r.timescale) for r in refs),
                    paths=tuple(r.path for r in refs),
                    init=init.path,
                )
            )
    return LoopSource(tuple(tracks), title.segment_duration_s, title.segment_count)


def _from_row(title: CatalogTitle) -> LoopSource:
    """Stand-in media: uniform segments; video rungs share one AdaptationSet, as packaged."""
    d = round(title.segment_duration_s * _TIMESCALE)
    reps = {
        r.id: video_representation(
            r.id,
            bandwidth=r.bitrate_kbps * 1000,
            codecs=r.codecs,
            width=r.width,
            height=r.height,
        )
        if r.kind == "video"
        else audio_representation(
            r.id, bandwidth=r.bitrate_kbps * 1000, codecs=r.codecs, sampling_rate=48_000
        )
        for r in title.renditions
    }
    video = [reps[r.id] for r in title.renditions if r.kind == "video"]
    sets = {
        r.id: adaptation_set("video", video, id="1") for r in title.renditions if r.kind == "video"
    }
    for n, r in enumerate((r for r in title.renditions if r.kind != "video"), 2):
        sets[r.id] = adaptation_set(r.kind, [reps[r.id]], id=str(n))
    count = title.segment_count
    return LoopSource(
        tuple(
            LoopTrack(
                rep=reps[r.id],
                aset=sets[r.id],
                timescale=_TIMESCALE,
                durations=(d,) * count,
                paths=tuple(f"{r.id}/seg-{n}.m4s" for n in range(1, count + 1)),
                init=f"{r.id}/init.mp4",
            )
            for r in title.renditions
        ),
        title.segment_duration_s,
        count,
    )


def load_source(title_dir: Path, title: CatalogTitle) -> LoopSource:
    """The loop of a title already on the origin (blocking file read)."""
    mpd = title_dir / "manifest.mpd"
    if mpd.is_file():
        return _from_mpd(mpd.read_bytes(), title)
    return _from_row(title)
