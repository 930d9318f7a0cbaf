"""Which representations of a manifest the device plays: one video ladder, one audio track.

Pure: a function of the parsed manifest, the device capabilities, the plan's height cap and
the preferred audio language. The video ladder is sorted by bandwidth and deduplicated (ABR
ladders must be strictly increasing); representations the device cannot decode or show are
left out, and an empty result is a typed :class:`~nrdp.errors.NoPlayableTrack`.
"""

from __future__ import annotations

from dataclasses import dataclass

from abr.types import Ladder
from manifest.model import Manifest, Representation
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack
from nrdp.scheduler.buffer import TrackKind

__all__ = ["TrackChoice", "select_tracks"]


@dataclass(frozen=True)
class TrackChoice:
    """The representations of one track, lowest bandwidth first (rung index = position)."""

    kind: TrackKind
    representations: tuple[Representation, ...]
    segment_duration: float

    def ladder(self) -> Ladder:
        return Ladder(
            tuple(float(r.bandwidth or 1) / 1000.0 for r in self.representations),
            self.segment_duration,
        )


def _nominal_duration(rep: Representation) -> float:
    try:
        first = rep.index().by_number(rep.index().at_time(0.0).number)
        return float(first.duration) or 2.0
    except Exception:
        return 2.0


def select_tracks(
    manifest: Manifest,
    caps: DeviceCapabilities,
    *,
    max_height: int | None = None,
    language: str | None = None,
) -> tuple[TrackChoice, ...]:
    """The video and audio tracks to play from the first Period."""
    if not manifest.periods:
        raise NoPlayableTrack(track="any", reason="the manifest has no period")
    period = manifest.periods[0]
    video: dict[int, Representation] = {}
    audio_sets = []
    for aset in period.adaptation_sets:
        if aset.kind == "video":
            for rep in aset.representations:
                if not caps.allows(
                    rep.codecs or "avc1",
                    width=rep.width,
                    height=rep.height,
                    bandwidth=rep.bandwidth,
                ):
                    continue
                if max_height is not None and rep.height and rep.height > max_height:
                    continue
                video.setdefault(int(rep.bandwidth or 1), rep)
        elif aset.kind == "audio":
            audio_sets.append(aset)
    if not video:
        raise NoPlayableTrack(track="video", reason="no representation fits the device")
    reps = tuple(video[b] for b in sorted(video))
    out = [TrackChoice(TrackKind.VIDEO, reps, _nominal_duration(reps[0]))]
    if audio_sets:
        if language:
            audio_sets.sort(key=lambda a: (a.lang or "").lower() != language.lower())
        playable = [r for r in audio_sets[0].representations if caps.allows(r.codecs or "mp4a")]
        if not playable:
            raise NoPlayableTrack(track="audio", reason="no codec the device decodes")
        rep = max(playable, key=lambda r: r.bandwidth or 0)
        out.append(TrackChoice(TrackKind.AUDIO, (rep,), _nominal_duration(rep)))
    return tuple(out)
