"""Subtitles: a pure WebVTT parser/writer, the :class:`TextCue` sinks receive and the pure
cue timetable; :mod:`nrdp.text.presenter` fetches a track and delivers its cues on time."""

from nrdp.text.cue import CueSchedule, TextCue
from nrdp.text.webvtt import (
    WebVttCue,
    WebVttDocument,
    format_timestamp,
    parse_timestamp,
    parse_webvtt,
    write_webvtt,
)

__all__ = [
    "CueSchedule",
    "TextCue",
    "WebVttCue",
    "WebVttDocument",
    "format_timestamp",
    "parse_timestamp",
    "parse_webvtt",
    "write_webvtt",
]
