"""Which representations of a manifest the device plays: one video ladder, one audio track,
and the audio and text tracks a viewer may switch to.

Pure: a function of the parsed manifest, the device capabilities, the plan's height cap and
the preferred languages. The video ladder is sorted by bandwidth and deduplicated (ABR
ladders must be strictly increasing); representations the device cannot decode or show are
left out, and an empty result is a typed :class:`~nrdp.errors.NoPlayableTrack`.

Audio and text tracks are AdaptationSets (one language each, as DASH-IF IOP recommends).
A track's id is its AdaptationSet ``@id``, or ``"<kind>-<n>"`` (``n`` = the set's position in
the Period) when the set has none or repeats another's, so ids are stable for one manifest.
Text tracks are WebVTT sidecars: a ``text/vtt`` Representation whose relative BaseURL is
the file (segmented or TTML text tracks are left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from abr.types import Ladder
from manifest.model import AdaptationSet, Manifest, Representation
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack, UnknownTrack
from nrdp.scheduler.buffer import TrackKind

__all__ = [
    "AudioOption",
    "TextOption",
    "TrackCatalog",
    "TrackChoice",
    "TrackInfo",
    "catalog_tracks",
    "language_matches",
    "select_tracks",
]


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


@dataclass(frozen=True)
class TrackInfo:
    """An audio or text track as an app shows it in a language menu."""

    id: str
    kind: str
    """``"audio"`` or ``"text"``."""
    language: str | None
    label: str | None
    codecs: str | None
    channels: int | None
    roles: tuple[str, ...]
    selected: bool = False


@dataclass(frozen=True)
class AudioOption:
    """A selectable audio track and the representation the device would play."""

    info: TrackInfo
    choice: TrackChoice


@dataclass(frozen=True)
class TextOption:
    """A selectable WebVTT track: ``path`` is the file, relative to the OCA's title root."""

    info: TrackInfo
    path: str


def language_matches(tag: str | None, wanted: str) -> int:
    """2 for the same BCP-47 tag, 1 for the same primary language (``en`` ~ ``en-GB``), else 0."""
    if not tag:
        return 0
    a, b = tag.lower(), wanted.lower()
    if a == b:
        return 2
    return 1 if a.split("-", 1)[0] == b.split("-", 1)[0] else 0


def _pick(options: Iterable[AudioOption | TextOption], language: str | None) -> int | None:
    """Index of the best option for ``language`` (None: the ``main`` role, else the first)."""
    best: tuple[int, int] | None = None
    best_i: int | None = None
    for i, opt in enumerate(options):
        if language:
            score = language_matches(opt.info.language, language)
            if score == 0:
                continue
        else:
            score = 0
        rank = (score, 1 if "main" in opt.info.roles else 0)
        if best is None or rank > best:
            best, best_i = rank, i
    return best_i


@dataclass(frozen=True)
class TrackCatalog:
    """The audio and text tracks of a title's first Period that the device can play."""

    audio: tuple[AudioOption, ...] = ()
    text: tuple[TextOption, ...] = ()

    def audio_option(self, track_id: str) -> AudioOption:
        for opt in self.audio:
            if opt.info.id == track_id:
                return opt
        raise UnknownTrack(kind="audio", track_id=str(track_id))

    def text_option(self, track_id: str) -> TextOption:
        for opt in self.text:
            if opt.info.id == track_id:
                return opt
        raise UnknownTrack(kind="text", track_id=str(track_id))

    def preferred_audio(self, language: str | None) -> AudioOption | None:
        """The track for ``language``; without a match (or a language), the ``main`` one."""
        i = _pick(self.audio, language)
        if i is None and language:
            i = _pick(self.audio, None)
        return None if i is None else self.audio[i]

    def preferred_text(self, language: str | None) -> TextOption | None:
        """The subtitles for ``language``, or None (no language, or none matches)."""
        if not language:
            return None
        i = _pick(self.text, language)
        return None if i is None else self.text[i]

    def infos(self, kind: str, selected: str | None) -> tuple[TrackInfo, ...]:
        """The :class:`TrackInfo` of every ``kind`` track, ``selected`` flagged."""
        opts: tuple[AudioOption | TextOption, ...] = self.audio if kind == "audio" else self.text
        return tuple(replace(o.info, selected=o.info.id == selected) for o in opts)


def _nominal_duration(rep: Representation) -> float:
    try:
        first = rep.index().by_number(rep.index().at_time(0.0).number)
        return float(first.duration) or 2.0
    except Exception:
        return 2.0


def _track_ids(sets: tuple[AdaptationSet, ...]) -> list[str]:
    ids: list[str] = []
    for n, aset in enumerate(sets):
        tid = aset.id if aset.id else None
        if tid is None or tid in ids:
            tid = f"{aset.kind or 'track'}-{n}"
        ids.append(tid)
    return ids


def _channels(rep: Representation, aset: AdaptationSet) -> int | None:
    for d in (*rep.audio_channels, *aset.audio_channels):
        if d.value and d.value.isdigit():
            return int(d.value)
    return None


def _info(tid: str, kind: str, aset: AdaptationSet, rep: Representation | None) -> TrackInfo:
    return TrackInfo(
        id=tid,
        kind=kind,
        language=aset.lang,
        label=aset.labels[0].text if aset.labels else None,
        codecs=(rep.codecs if rep is not None else None) or aset.codecs,
        channels=_channels(rep, aset) if rep is not None else None,
        roles=tuple(d.value for d in aset.roles if d.value),
    )


def _vtt_path(aset: AdaptationSet) -> str | None:
    for rep in aset.representations:
        mime = rep.mime_type or aset.mime_type
        if mime != "text/vtt" or not rep.base_urls:
            continue
        url = rep.base_urls[0].url
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith("/") or not parts.path:
            continue  # only files next to the MPD come through the OCA failover path
        return url
    return None


def catalog_tracks(manifest: Manifest, caps: DeviceCapabilities) -> TrackCatalog:
    """Every audio track with a representation the device decodes (the highest-bandwidth
    one is played) and every WebVTT sidecar text track, in manifest order."""
    if not manifest.periods:
        return TrackCatalog()
    sets = manifest.periods[0].adaptation_sets
    audio: list[AudioOption] = []
    text: list[TextOption] = []
    for tid, aset in zip(_track_ids(sets), sets, strict=True):
        if aset.kind == "audio":
            playable = [r for r in aset.representations if caps.allows(r.codecs or "mp4a")]
            if not playable:
                continue
            rep = max(playable, key=lambda r: r.bandwidth or 0)
            choice = TrackChoice(TrackKind.AUDIO, (rep,), _nominal_duration(rep))
            audio.append(AudioOption(_info(tid, "audio", aset, rep), choice))
        elif aset.kind == "text":
            path = _vtt_path(aset)
            if path is not None:
                text.append(TextOption(_info(tid, "text", aset, None), path))
    return TrackCatalog(tuple(audio), tuple(text))


def select_tracks(
    manifest: Manifest,
    caps: DeviceCapabilities,
    *,
    max_height: int | None = None,
    language: str | None = None,
    audio_id: str | None = None,
) -> tuple[TrackChoice, ...]:
    """The video and audio tracks to play from the first Period.

    Audio: the track ``audio_id`` when given (:class:`~nrdp.errors.UnknownTrack` if there is
    no such playable track), else the best match for ``language``, else the ``main`` one.
    """
    if not manifest.periods:
        raise NoPlayableTrack(track="any", reason="the manifest has no period")
    period = manifest.periods[0]
    video: dict[int, Representation] = {}
    has_audio = False
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
            has_audio = True
    if not video:
        raise NoPlayableTrack(track="video", reason="no representation fits the device")
    reps = tuple(video[b] for b in sorted(video))
    out = [TrackChoice(TrackKind.VIDEO, reps, _nominal_duration(reps[0]))]
    if has_audio:
        catalog = catalog_tracks(manifest, caps)
        if audio_id is not None:
            out.append(catalog.audio_option(audio_id).choice)
        else:
            option = catalog.preferred_audio(language)
            if option is None:
                raise NoPlayableTrack(track="audio", reason="no codec the device decodes")
            out.append(option.choice)
    return tuple(out)
