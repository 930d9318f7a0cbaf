"""View models of the desktop app: Qt-free frozen values the widgets render.

The widgets never read the SDK: ``session.py`` and ``bridge.py`` turn discovery JSON,
events and :class:`nrdp.StatsSnapshot` values into these, and the widgets' slots take them.
So a widget test builds a state by hand and checks what is drawn. No Qt import here.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.desktop.live_state import DvrWindow

__all__ = [
    "ClockSource",
    "ErrorInfo",
    "GraphHistory",
    "GraphSample",
    "HomeState",
    "OverlayStats",
    "PlaybackState",
    "QualityOption",
    "Row",
    "TitleCard",
    "TitleDetails",
    "TrackOption",
    "format_bitrate",
    "format_time",
]


def format_time(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_bitrate(bps: float | None) -> str:
    if bps is None or not math.isfinite(bps):
        return "-"
    if bps >= 1e6:
        return f"{bps / 1e6:.2f} Mb/s"
    return f"{bps / 1e3:.0f} kb/s"


@dataclass(frozen=True)
class TitleCard:
    """One title as the catalog lists it."""

    id: str
    name: str
    synopsis: str = ""
    year: int | None = None
    duration_s: float | None = None
    maturity: str = ""
    genres: tuple[str, ...] = ()
    poster_url: str | None = None
    position_s: float | None = None  # the bookmark, in the continue-watching row
    live: bool = False  # a live channel (discovery's "live": true, or the "live" genre)

    @property
    def progress(self) -> float | None:
        """How far the bookmark is into the title (0..1), if the card carries one."""
        if self.position_s is None or not self.duration_s:
            return None
        return max(0.0, min(1.0, self.position_s / self.duration_s))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TitleCard:
        year = doc.get("year")
        duration = doc.get("duration_s")
        position = doc.get("position_s")
        return cls(
            position_s=float(position) if isinstance(position, int | float) else None,
            poster_url=poster_url(doc),
            id=str(doc["id"]),
            name=str(doc.get("name") or doc["id"]),
            synopsis=str(doc.get("synopsis") or ""),
            year=int(year) if isinstance(year, int) else None,
            duration_s=float(duration) if isinstance(duration, int | float) else None,
            maturity=str(doc.get("maturity") or ""),
            genres=tuple(str(g) for g in doc.get("genres") or ()),
            live=doc.get("live") is True or "live" in (doc.get("genres") or ()),
        )


def poster_url(doc: Mapping[str, Any]) -> str | None:
    """The poster's address in a discovery title, if the service lists one.

    Accepts ``poster_url``, ``poster`` or ``artwork: {"poster": ...}`` (the discovery API
    does not fix a name yet; see docs/desktop.md).
    """
    art = doc.get("artwork")
    for value in (
        doc.get("poster_url"),
        doc.get("poster"),
        art.get("poster") if isinstance(art, Mapping) else None,
    ):
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class TrackOption:
    """An audio or subtitle track as the menus show it; ``id`` goes back to the player."""

    id: str
    label: str
    selected: bool = False

    @classmethod
    def from_info(cls, info: Any) -> TrackOption:
        """From an ``nrdp.TrackInfo`` (duck-typed: id, kind, language, label, channels...)."""
        label = str(getattr(info, "label", "") or "")
        lang = str(getattr(info, "language", "") or "")
        if not label:
            label = lang or str(info.id)
        elif lang and lang not in label:
            label = f"{label} ({lang})"
        channels = getattr(info, "channels", None)
        if channels:
            label += f" {channels}ch"
        roles = tuple(getattr(info, "roles", ()) or ())
        extra = [r for r in roles if r not in ("main", "subtitle")]
        if extra:
            label += f" [{', '.join(str(r) for r in extra)}]"
        return cls(id=str(info.id), label=label, selected=bool(getattr(info, "selected", False)))


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    items: tuple[TitleCard, ...]


@dataclass(frozen=True)
class HomeState:
    """The home screen: rows, and which dependencies the service left out (degraded)."""

    rows: tuple[Row, ...] = ()
    degraded: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> HomeState:
        rows = tuple(
            Row(
                id=str(r.get("id", "")),
                title=str(r.get("title", "")),
                items=tuple(TitleCard.from_json(i) for i in r.get("items", ())),
            )
            for r in doc.get("rows", ())
        )
        return cls(rows=rows, degraded=tuple(str(d) for d in doc.get("degraded", ())))


@dataclass(frozen=True)
class QualityOption:
    """A manual quality: ``rung`` is the index in the player's ladder (lowest first)."""

    rung: int
    height: int
    bitrate_kbps: int

    @property
    def label(self) -> str:
        return f"{self.height}p ({self.bitrate_kbps} kb/s)"


@dataclass(frozen=True)
class TitleDetails:
    card: TitleCard
    qualities: tuple[QualityOption, ...] = ()
    audio_tracks: tuple[TrackOption, ...] = ()
    resume_at: float | None = None
    audio_languages: tuple[str, ...] = ()
    subtitle_languages: tuple[str, ...] = ()

    @classmethod
    def from_json(
        cls, doc: Mapping[str, Any], bookmarks: Sequence[Mapping[str, Any]] = ()
    ) -> TitleDetails:
        card = TitleCard.from_json(doc)
        max_h = doc.get("max_height")
        videos = sorted(
            (r for r in doc.get("renditions", ()) if r.get("kind") == "video"),
            key=lambda r: int(r.get("bitrate_kbps") or 0),
        )
        if isinstance(max_h, int):
            videos = [r for r in videos if int(r.get("height") or 0) <= max_h]
        qualities = tuple(
            QualityOption(i, int(r.get("height") or 0), int(r.get("bitrate_kbps") or 0))
            for i, r in enumerate(videos)
        )
        audio = tuple(
            TrackOption(str(r.get("id") or r.get("language")), str(r.get("language") or r["id"]))
            for r in doc.get("renditions", ())
            if r.get("kind") == "audio" and (r.get("id") or r.get("language"))
        )
        resume = None
        for b in bookmarks:
            if b.get("title_id") == card.id:
                pos = float(b.get("position_s") or 0.0)
                limit = 0.95 * card.duration_s if card.duration_s else math.inf
                resume = pos if 0 < pos < limit else None
        return cls(
            card=card,
            qualities=qualities,
            audio_tracks=audio,
            resume_at=resume,
            audio_languages=_languages(doc, "audio"),
            subtitle_languages=_languages(doc, "subtitles"),
        )


def _languages(doc: Mapping[str, Any], kind: str) -> tuple[str, ...]:
    """The languages a details document lists for ``kind`` ("audio" or "subtitles").

    Read from ``<kind>_languages`` (a list), ``languages: {<kind>: [...]}``, or the
    ``language`` of its renditions of that kind ("text" for subtitles); the discovery API
    does not fix one shape yet, so each is accepted and the first that lists any wins."""
    nested = doc.get("languages")
    kinds = ("audio",) if kind == "audio" else ("text", "subtitles", "subtitle")
    candidates = (
        doc.get(f"{kind}_languages"),
        nested.get(kind) if isinstance(nested, Mapping) else None,
        [r.get("language") for r in doc.get("renditions", ()) if r.get("kind") in kinds],
    )
    for value in candidates:
        if isinstance(value, list | tuple):
            langs = tuple(dict.fromkeys(str(v) for v in value if isinstance(v, str) and v))
            if langs:
                return langs
    return ()


class ClockSource:
    AUDIO = "audio"
    SYSTEM = "system"


@dataclass(frozen=True)
class PlaybackState:
    """What the controls show."""

    state: str = "idle"
    position: float = 0.0
    duration: float | None = None
    buffered_to: float = 0.0
    volume: float = 1.0
    muted: bool = False
    quality: int | None = None
    qualities: tuple[QualityOption, ...] = ()
    audio_tracks: tuple[TrackOption, ...] = ()
    subtitle_tracks: tuple[TrackOption, ...] = ()
    fullscreen: bool = False
    live: DvrWindow | None = None  # a live source's DVR window (the seek bar's range)

    @property
    def playing(self) -> bool:
        """Play intent: the button shows "pause" while playing or buffering to play."""
        return self.state in ("playing", "buffering", "loading", "seeking")


@dataclass(frozen=True)
class ErrorInfo:
    """A fatal error as the dialog shows it (from the error's ``to_dict()``)."""

    code: int
    name: str
    message: str
    retriable: bool = False

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ErrorInfo:
        return cls(
            code=int(doc.get("code") or 0),
            name=str(doc.get("error") or doc.get("name") or "Error"),
            message=str(doc.get("message") or ""),
            retriable=bool(doc.get("retriable", False)),
        )


@dataclass(frozen=True)
class OverlayStats:
    """The stats overlay's text values (a snapshot plus what only the app knows)."""

    state: str = "idle"
    resolution: str = "-"
    video_bitrate: int | None = None
    bandwidth_bps: float | None = None
    throughput_bps: float | None = None
    buffer_ahead: Mapping[str, float] = field(default_factory=dict)
    oca: str | None = None
    oca_failovers: int = 0
    decoded_frames: int = 0
    dropped_frames: int = 0
    display_dropped: int = 0
    stall_count: int = 0
    stall_time: float = 0.0
    clock: str = ClockSource.SYSTEM
    clock_note: str = ""
    error_count: int = 0
    last_error: str = ""

    @classmethod
    def from_snapshot(
        cls,
        snap: Any,
        *,
        resolution: str = "-",
        throughput_bps: float | None = None,
        display_dropped: int = 0,
        clock: str = ClockSource.SYSTEM,
        clock_note: str = "",
    ) -> OverlayStats:
        """``snap`` is an :class:`nrdp.StatsSnapshot` (duck-typed: no SDK import here)."""
        return cls(
            state=str(snap.state),
            resolution=resolution,
            video_bitrate=snap.video_bitrate,
            bandwidth_bps=snap.bandwidth_bps,
            throughput_bps=throughput_bps,
            buffer_ahead=dict(snap.buffer_ahead),
            oca=snap.current_oca,
            oca_failovers=int(snap.oca_failovers),
            decoded_frames=int(snap.decoded_frames),
            dropped_frames=int(snap.dropped_frames),
            display_dropped=display_dropped,
            stall_count=int(snap.stall_count),
            stall_time=float(snap.stall_time),
            clock=clock,
            clock_note=clock_note,
            error_count=int(snap.error_count),
            last_error=(
                f"[{snap.last_error.get('code')}] {snap.last_error.get('error')}"
                if snap.last_error
                else ""
            ),
        )

    def lines(self) -> list[str]:
        """The overlay's text, one line per figure."""
        buf = " ".join(f"{k} {v:.1f}s" for k, v in sorted(self.buffer_ahead.items())) or "-"
        dropped = self.dropped_frames + self.display_dropped
        clock = f"{self.clock} clock" + (f" ({self.clock_note})" if self.clock_note else "")
        return [
            f"state       {self.state}",
            f"resolution  {self.resolution}",
            f"bitrate     {format_bitrate(self.video_bitrate)}",
            f"bandwidth   {format_bitrate(self.bandwidth_bps)}",
            f"throughput  {format_bitrate(self.throughput_bps)}",
            f"buffer      {buf}",
            f"OCA         {self.oca or '-'} (failovers {self.oca_failovers})",
            f"frames      {self.decoded_frames} shown, {dropped} dropped",
            f"stalls      {self.stall_count} ({self.stall_time:.1f}s)",
            f"sync        {clock}",
            f"errors      {self.error_count}"
            + (f" (last {self.last_error})" if self.last_error else ""),
        ]


@dataclass(frozen=True)
class GraphSample:
    at: float
    bitrate_bps: float
    throughput_bps: float
    buffer_s: float


class GraphHistory:
    """The last ``window`` seconds of samples for the live graph (bounded, pure)."""

    def __init__(self, window: float = 30.0, max_samples: int = 600) -> None:
        self.window = window
        self._samples: deque[GraphSample] = deque(maxlen=max_samples)

    def add(self, sample: GraphSample) -> None:
        self._samples.append(sample)
        while self._samples and self._samples[0].at < sample.at - self.window:
            self._samples.popleft()

    def samples(self) -> tuple[GraphSample, ...]:
        return tuple(self._samples)

    def __len__(self) -> int:
        return len(self._samples)
