"""The audio and text tracks of the title a :class:`~nrdp.player.Player` has loaded: the
catalog (first Period's AdaptationSets), the audio track playing, the subtitles shown
(a :class:`~nrdp.text.presenter.TextPresenter`), and the ``TrackChanged`` event of every
change. See docs/nrdp.md, Tracks.
"""

from __future__ import annotations

from collections.abc import Callable

from mediacore.errors import SdkError
from nrdp.clock import Clock
from nrdp.config import PlayerConfig
from nrdp.events import ErrorEvent, Event, TrackChanged
from nrdp.media.sinks import Sink
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.tracks import TextOption, TrackCatalog, TrackInfo
from nrdp.text.cue import TextCue
from nrdp.text.presenter import TextPresenter

__all__ = ["SUBTITLE_FETCH_DEADLINE_S", "PlayerTracks"]

SUBTITLE_FETCH_DEADLINE_S = 10.0
"""Each response of a subtitle (WebVTT) fetch must end within this many seconds of its
request (``Downloader.fetch(deadline_s=...)``), else the download fails over to the next
location and, with none left, subtitles turn off with a non-fatal error. A sidecar for a
feature film is a few hundred KB: 10 s asks for a few hundred kbit/s, far below any video
rung, and bounds how long a viewer waits for subtitles that will not come. (The progress
rule alone lets a server sending 16 KiB every 4 s hold a large file for minutes.)"""


class PlayerTracks:
    """Track lists and selection for one player; empty before ``load`` and after ``stop``."""

    def __init__(
        self,
        config: PlayerConfig,
        clock: Clock,
        emit: Callable[[Event], None],
        sink: Callable[[], Sink],
    ) -> None:
        self._config = config
        self._clock = clock
        self._emit = emit
        self._sink = sink
        self._catalog = TrackCatalog()
        self._audio_id: str | None = None
        self._text: TextPresenter | None = None

    def start(self, engine: PlaybackEngine, catalog: TrackCatalog) -> None:
        """A title was loaded: remember its tracks, announce the preferred audio track,
        start the text presenter (and the preferred subtitles)."""
        self._catalog = catalog
        audio = catalog.preferred_audio(self._config.preferred_audio_language)
        self._audio_id = audio.info.id if audio is not None else None
        if self._audio_id is not None:
            self._changed("audio", None, self._audio_id)

        async def fetch(path: str) -> bytes:
            result = await engine.downloader.fetch(
                path, deadline_s=SUBTITLE_FETCH_DEADLINE_S, hard_deadline=True
            )
            return result.data

        def failed(err: SdkError, track_id: str) -> None:
            self._emit(ErrorEvent.from_error(err, at=self._clock.now(), fatal=False))
            self._changed("text", track_id, None)

        self._text = TextPresenter(
            fetch=fetch,
            deliver=self._deliver_cue,
            position=lambda: engine.position,
            on_error=failed,
        )
        preferred = catalog.preferred_text(self._config.preferred_text_language)
        if preferred is not None:
            self._show_text(preferred)

    def audio_tracks(self) -> tuple[TrackInfo, ...]:
        return self._catalog.infos("audio", self._audio_id)

    def text_tracks(self) -> tuple[TrackInfo, ...]:
        return self._catalog.infos("text", self._text.track_id if self._text else None)

    def select_audio(self, engine: PlaybackEngine, track_id: str) -> None:
        """Switch ``engine`` to the audio track ``track_id`` (``UnknownTrack`` if unlisted)."""
        option = self._catalog.audio_option(track_id)
        old = self._audio_id
        if track_id == old:
            return
        engine.switch_track(TrackKind.AUDIO, option.choice)
        self._audio_id = track_id
        self._changed("audio", old, track_id)

    def select_text(self, track_id: str | None) -> None:
        """Show the subtitles ``track_id`` (``UnknownTrack`` if unlisted), none with ``None``."""
        self._show_text(None if track_id is None else self._catalog.text_option(track_id))

    def seek(self, position: float) -> None:
        """The playhead jumped: the subtitles on screen at ``position`` come again."""
        if self._text is not None:
            self._text.seek(position)

    async def close(self) -> None:
        """``stop``: the text task ends, the lists empty."""
        text, self._text = self._text, None
        if text is not None:
            await text.close()
        self._catalog, self._audio_id = TrackCatalog(), None

    def _deliver_cue(self, cue: TextCue) -> None:
        on_text = getattr(self._sink(), "on_text", None)  # optional: not a Sink member
        if on_text is not None:
            on_text(cue)

    def _show_text(self, option: TextOption | None) -> None:
        assert self._text is not None
        old = self._text.track_id
        new = option.info.id if option is not None else None
        if new == old:
            return
        self._text.select(new, option.path if option is not None else None)
        self._changed("text", old, new)

    def _changed(self, kind: str, old: str | None, new: str | None) -> None:
        self._emit(TrackChanged(at=self._clock.now(), kind=kind, from_id=old, to_id=new))
