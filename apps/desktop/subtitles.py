"""Subtitle cues on the picture: which track's cues are wanted, and each cue's lifetime.

Cues (``nrdp.TextCue``) arrive through the bridge when their time comes; one is shown
until its end. A cue of a track the user just left (still in flight when they switched)
is ignored.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject, QTimer

from apps.desktop.session import Session
from apps.desktop.video_view import VideoView

__all__ = ["ANY_TRACK", "SubtitleFeed", "cue_text"]

_TAG = re.compile(r"<[^>]*>")
ANY_TRACK = "\0any"  # no subtitle choice made yet: show the cues the player sends


def cue_text(payload: str) -> str:
    """A WebVTT cue payload as plain text: tags (``<i>``, ``<c.x>``, ``<v Bob>``) removed."""
    text = _TAG.sub("", payload)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text.strip()


class SubtitleFeed(QObject):
    def __init__(self, video: VideoView, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.video = video
        self.session = session
        self._token = 0
        self.track: str | None = ANY_TRACK  # the user's subtitle choice, once made

    def reset(self) -> None:
        """A new title: no cue shown, no choice made."""
        self.clear()
        self.track = ANY_TRACK

    def clear(self) -> None:
        self._token += 1
        self.video.set_subtitle("")

    def show_cue(self, cue: Any) -> None:
        """Slot: an ``nrdp.TextCue`` whose time has come; cleared after its duration."""
        if self.track != ANY_TRACK and getattr(cue, "track_id", None) != self.track:
            return
        self._token += 1
        token = self._token
        self.video.set_subtitle(cue_text(str(getattr(cue, "text", ""))))
        span = float(getattr(cue, "end", 0.0)) - float(getattr(cue, "start", 0.0))
        if span > 0:
            QTimer.singleShot(int(span * 1000), lambda: self._expire(token))

    def _expire(self, token: int) -> None:
        if token == self._token:
            self.video.set_subtitle("")

    def select(self, track_id: str | None) -> None:
        """Slot: the user chose ``track_id`` (``None``: off) in the Subtitles menu."""
        self.track = track_id
        self.clear()
        self.session.select_text_track(track_id)
