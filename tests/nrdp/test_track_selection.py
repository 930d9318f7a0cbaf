"""Audio and text track selection end to end: a two-language title with WebVTT sidecars in
two languages, real HTTP to the fake backend, real decrypt and decode."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import nrdp.player_tracks as player_tracks
from fake_backend.catalog import CatalogTitle
from fake_backend.oca.faults import FaultPlan
from fake_backend.packager import EncodedTitle, package_title, spec_for_title
from fake_backend.packager.catalog_specs import AudioTrackSpec, SubtitleSpec
from fake_backend.packager.frame_id import read_frame_id
from fake_backend.runner import Backend
from mediacore.errors import SdkError
from nrdp import TextCue, TrackChanged, TrackInfo
from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.errors import InvalidArgument, InvalidState, MalformedSubtitles, UnknownTrack
from nrdp.events import ErrorEvent, Event, SegmentDownloaded
from nrdp.media.sinks import HashSink
from nrdp.state import PlayerState
from nrdp.text.presenter import TextPresenter

ES_AUDIO = "a128-es"
SMALL = BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0)


class TwoLanguageMaterializer:
    """The session's encoded test title plus a Spanish audio track and two WebVTT files."""

    def __init__(self, encoded: EncodedTitle, spec: Any) -> None:
        self.encoded = encoded
        self.spec = spec

    def materialize(self, title: CatalogTitle, keys: Any, dest: Path) -> None:
        kids = {"video": title.kid_for("video"), "audio": title.kid_for("audio")}
        package_title(self.spec, dest, keys=keys, kids=kids, encoded=self.encoded, poster=False)


@pytest.fixture
async def two_lang(tmp_path: Path, encoded_title: EncodedTitle, nb: Any) -> AsyncIterator[Any]:
    base = replace(spec_for_title(nb.TITLE, ()), fps=nb.FPS, picture="gradient")
    spec = replace(
        base,
        audio=(base.audio[0], AudioTrackSpec(ES_AUDIO, "es", label="Español")),
        subtitles=(
            SubtitleSpec("text-en", "en", label="English"),
            SubtitleSpec("text-es", "es", label="Español"),
        ),
    )
    be = Backend(
        tmp_path / "two-lang",
        ocas=2,
        catalog=[nb.TITLE],
        materializer=TwoLanguageMaterializer(encoded_title, spec),
    )
    await be.start()
    try:
        yield be, spec
    finally:
        await be.close()


def device_config(be: Backend, n: int) -> DeviceConfig:
    return DeviceConfig(f"nrdp-tracks-device-{n:04d}", be.gateway_url)


def audio_reps(events: list[Event]) -> list[str | None]:
    return [
        e.representation
        for e in events
        if isinstance(e, SegmentDownloaded) and e.track.value == "audio"
    ]


def by_language(tracks: tuple[TrackInfo, ...], language: str) -> TrackInfo:
    return next(t for t in tracks if t.language == language)


async def test_tracks_are_listed_and_unknown_ids_are_typed_errors(two_lang: Any, nb: Any) -> None:
    be, _ = two_lang
    async with Device(device_config(be, 1)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        player = dev.player(config=PlayerConfig(realtime=False, autoplay=False))
        assert player.audio_tracks() == () and player.text_tracks() == ()
        with pytest.raises(InvalidState):
            await player.select_audio_track("2")
        await player.load(nb.TITLE.id)

        audio = player.audio_tracks()
        assert [t.language for t in audio] == ["en", "es"]
        en, es = audio
        assert en.kind == "audio" and en.roles == ("main",) and es.roles == ("dub",)
        assert es.label == "Español" and en.channels == 2
        assert all(t.codecs and t.codecs.startswith("mp4a") for t in audio)
        assert [t.selected for t in audio] == [True, False]
        assert len({t.id for t in audio}) == 2
        text = player.text_tracks()
        assert [(t.kind, t.language, t.label) for t in text] == [
            ("text", "en", "English"),
            ("text", "es", "Español"),
        ]
        assert not any(t.selected for t in text)
        assert player.stats().audio_track == en.id and player.stats().text_track is None

        with pytest.raises(UnknownTrack) as info:
            await player.select_audio_track("no-such-track")
        assert isinstance(info.value, InvalidArgument) and info.value.code == 1030
        assert info.value.kind == "audio" and info.value.track_id == "no-such-track"
        with pytest.raises(UnknownTrack):
            await player.select_audio_track(text[0].id)  # a text id is not an audio track
        with pytest.raises(UnknownTrack):
            player.select_text_track(en.id)
        assert [t.selected for t in player.audio_tracks()] == [True, False]
        await player.stop()
        assert player.audio_tracks() == ()

        # preferences pick the Spanish audio and subtitles at load
        events: list[Event] = []
        cfg = PlayerConfig(
            realtime=False, preferred_audio_language="es", preferred_text_language="es-MX"
        )
        sink = HashSink()
        player = dev.player(sink=sink, config=cfg)
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert [t.selected for t in player.audio_tracks()] == [False, True]
        assert [t.selected for t in player.text_tracks()] == [False, True]
        reps = audio_reps(events)
        assert reps and set(reps) == {ES_AUDIO}
        changes = [(e.kind, e.from_id, e.to_id) for e in events if isinstance(e, TrackChanged)]
        assert changes == [("audio", None, es.id), ("text", None, player.text_tracks()[1].id)]
        await asyncio.sleep(0.1)  # the text presenter's next tick
        assert sink.cues and all("[es]" in c.text for c in sink.cues)
        await player.stop()


class SwitchingSink(HashSink):
    """Asks for another audio track when the ``at``-th video frame is shown."""

    def __init__(self, at: int) -> None:
        super().__init__(read_frame_id)
        self.at = at
        self.switch: Any = None
        self.task: asyncio.Task[None] | None = None

    def on_video(self, frame: Any) -> None:
        super().on_video(frame)
        if self.video_frames == self.at and self.switch is not None:
            self.task = asyncio.get_running_loop().create_task(self.switch())


async def test_audio_switch_mid_playback_keeps_every_video_frame(two_lang: Any, nb: Any) -> None:
    be, spec = two_lang
    en_rep = spec.audio[0].id
    async with Device(device_config(be, 2)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = SwitchingSink(at=15)
        player = dev.player(sink=sink, config=PlayerConfig(realtime=False, buffer=SMALL))
        events: list[Event] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        en, es = player.audio_tracks()
        sink.switch = lambda: player.select_audio_track(es.id)
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.task is not None and sink.task.done() and sink.task.exception() is None

        # video: every frame decoded and shown exactly once, in order
        assert sink.frame_ids == list(range(nb.FRAMES))
        # audio: English before the switch, Spanish after it, fetched from the playhead on
        switch = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, TrackChanged) and e.kind == "audio" and e.from_id is not None
        )
        change = events[switch]
        assert isinstance(change, TrackChanged)
        assert (change.from_id, change.to_id) == (en.id, es.id)
        before, after = audio_reps(events[:switch]), audio_reps(events[switch:])
        assert before and set(before) == {en_rep}
        assert after and set(after) == {ES_AUDIO}
        numbers = [
            e.number
            for e in events[switch:]
            if isinstance(e, SegmentDownloaded) and e.track.value == "audio"
        ]
        last = round(nb.TITLE.duration_s / spec.segment_duration_s)
        assert numbers == list(range(numbers[0], last + 1))  # from the playhead to the end
        assert numbers[0] > 1  # not the whole title again
        # no audio presented twice and no hole: the audio timeline runs on across the switch
        pts = sink.audio_pts
        assert all(b > a for a, b in itertools.pairwise(pts))
        assert max(b - a for a, b in itertools.pairwise(pts)) < 0.03
        assert pts[0] < 0.05 and pts[-1] > nb.TITLE.duration_s - 0.1
        stats = player.stats()
        assert stats.audio_track == es.id and stats.error_count == 0
        assert [t.selected for t in player.audio_tracks()] == [False, True]
        await player.select_audio_track(es.id)  # the same track again: nothing happens
        assert sum(isinstance(e, TrackChanged) for e in events) == 2
        await player.stop()


async def test_switches_while_paused_and_back_to_back(two_lang: Any, nb: Any) -> None:
    be, _ = two_lang
    async with Device(device_config(be, 4)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        cfg = PlayerConfig(realtime=False, autoplay=False, buffer=SMALL)
        player = dev.player(sink=sink, config=cfg)
        events: list[Event] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        en, es = player.audio_tracks()
        await asyncio.sleep(0.2)  # prefetched English while paused, nothing presented
        assert sink.audio_frames == 0 and audio_reps(events)
        await player.select_audio_track(es.id)
        await player.select_audio_track(en.id)  # and straight back, before anything arrived
        await player.select_audio_track(es.id)
        last = len(events)
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert set(audio_reps(events[last:])) == {ES_AUDIO}
        gaps = [b - a for a, b in itertools.pairwise(sink.audio_pts)]
        assert sink.audio_pts[0] < 0.05 and min(gaps) > 0 and max(gaps) < 0.03
        changes = [(e.from_id, e.to_id) for e in events if isinstance(e, TrackChanged)]
        assert changes == [(None, en.id), (en.id, es.id), (es.id, en.id), (en.id, es.id)]
        # a seek after the end plays the chosen language again from there
        await player.seek(3.0)
        mark = len(events)
        player.play()
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        assert set(audio_reps(events[mark:])) == {ES_AUDIO}
        assert sink.frame_ids[-10:] == list(range(nb.FRAMES - 10, nb.FRAMES))
        await player.stop()


class TimedSink(HashSink):
    """Records each cue with the player's position when it arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.player: Any = None
        self.arrivals: list[tuple[TextCue, float]] = []

    def on_text(self, cue: TextCue) -> None:
        super().on_text(cue)
        self.arrivals.append((cue, self.player.position))


async def test_subtitles_arrive_on_time_switch_language_and_turn_off(
    two_lang: Any, nb: Any
) -> None:
    be, _ = two_lang
    async with Device(device_config(be, 3)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = TimedSink()
        cfg = PlayerConfig(buffer=SMALL, preferred_text_language="en")
        player = dev.player(sink=sink, config=cfg)
        sink.player = player
        events: list[Event] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        en, es = player.text_tracks()
        assert en.selected and player.stats().text_track == en.id
        async with asyncio.timeout(20):
            while player.position < 1.3:
                await asyncio.sleep(0.02)
        player.select_text_track(es.id)
        switched_at = player.position
        await player.select_audio_track(player.audio_tracks()[1].id)  # in real time too
        audio_switch = len(events) - 1
        async with asyncio.timeout(20):
            while player.position < 2.4:
                await asyncio.sleep(0.02)
        player.select_text_track(None)
        off_at, shown = player.position, len(sink.cues)
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        await asyncio.sleep(0.1)
        assert len(sink.cues) == shown  # off: nothing more
        assert set(audio_reps(events[audio_switch:])) == {ES_AUDIO}
        gaps = [b - a for a, b in itertools.pairwise(sink.audio_pts)]
        assert min(gaps) > 0 and max(gaps) < 0.03  # no audio twice, none lost
        assert player.stats().text_track is None
        assert not any(t.selected for t in player.text_tracks())

        english = [c for c in sink.cues if c.track_id == en.id]
        spanish = [c for c in sink.cues if c.track_id == es.id]
        assert english + spanish == sink.cues  # English first, then Spanish only
        assert [c.start for c in english] == [0.0, 1.0]
        assert all(c.text.startswith("[en] ") for c in english)
        assert all(c.text.startswith("[es] ") for c in spanish)
        # Spanish: the cue on screen at the switch, then each one as its time came
        assert [c.start for c in spanish] == [1.0, 2.0]
        assert spanish[0].start <= switched_at < spanish[0].end
        for cue, position in sink.arrivals:
            assert position >= cue.start - 1e-6  # never early
            assert cue.start <= off_at
            if cue is not spanish[0]:
                assert position <= cue.start + 0.25  # on time (one presenter tick and slack)
        await player.stop()


async def test_a_subtitle_file_past_its_deadline_turns_subtitles_off(
    two_lang: Any, nb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every OCA sends the WebVTT file steadily but slowly (40 bytes/s: ~6 s for it, and the
    progress rule's 4 s window cannot trip on so small a file): the subtitle deadline cuts
    each answer, so subtitles turn off with a non-fatal typed error and playback goes on.
    Without a deadline the file would arrive and its cues be shown."""
    be, _ = two_lang
    for node in be.fleet.nodes:
        node.set_plan(FaultPlan(trickle_bps=40, paths="*.vtt"))
    monkeypatch.setattr(player_tracks, "SUBTITLE_FETCH_DEADLINE_S", 0.5)  # not 10 s: fast
    async with Device(device_config(be, 5)) as dev:
        await dev.login(be.demo_email, be.demo_password)
        sink = HashSink(read_frame_id)
        cfg = PlayerConfig(buffer=SMALL, preferred_text_language="en", realtime=False)
        player = dev.player(sink=sink, config=cfg)
        events: list[Event] = []
        player.on_event(events.append)
        await player.load(nb.TITLE.id)
        assert player.stats().text_track is not None
        assert await player.wait_until_done(timeout=30) is PlayerState.ENDED
        async with asyncio.timeout(10):
            while player.stats().text_track is not None:
                await asyncio.sleep(0.02)
        off = [e for e in events if isinstance(e, TrackChanged) and e.kind == "text"]
        assert off[-1].to_id is None
        errors = [e for e in events if isinstance(e, ErrorEvent)]
        assert errors and all(not e.fatal for e in errors)
        assert {e.error["code"] for e in errors} <= {2013, 2021}  # too slow / all OCAs failed
        assert sink.cues == []
        assert sink.frame_ids == list(range(nb.FRAMES))
        await player.stop()


async def test_a_broken_subtitle_file_turns_subtitles_off_with_a_typed_error() -> None:
    errors: list[tuple[SdkError, str]] = []
    cues: list[TextCue] = []
    bodies = {"good.vtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n", "bad.vtt": b"<tt></tt>"}

    async def fetch(path: str) -> bytes:
        await asyncio.sleep(0)
        return bodies[path]

    text = TextPresenter(
        fetch=fetch,
        deliver=cues.append,
        position=lambda: 0.5,
        on_error=lambda err, tid: errors.append((err, tid)),
    )
    text.select("bad", "bad.vtt")
    await asyncio.sleep(0.05)
    assert text.track_id is None and cues == []
    assert len(errors) == 1 and isinstance(errors[0][0], MalformedSubtitles)
    assert errors[0][1] == "bad"
    text.select("good", "good.vtt")
    await asyncio.sleep(0.05)
    assert [c.text for c in cues] == ["hi"] and cues[0].track_id == "good"
    text.seek(0.0)  # a seek back shows the cue on screen there again
    await asyncio.sleep(0.05)
    assert [c.text for c in cues] == ["hi", "hi"] and text.delivered == 2
    await text.close()
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "nrdp-text"]


def test_error_event_of_a_subtitle_failure_is_not_fatal() -> None:
    err = MalformedSubtitles("no signature", line=1)
    event = ErrorEvent.from_error(err, at=0.0)
    assert event.fatal is False and event.error["code"] == 4030
