"""Track selection on real packaged MPDs (capabilities, plan height cap, typed refusals) and the
audio/text track catalog on a written-and-parsed multi-language MPD."""

from __future__ import annotations

from dataclasses import replace

import pytest

from manifest import parse_mpd
from manifest.build import (
    adaptation_set,
    audio_representation,
    number_template,
    static_manifest,
    text_representation,
    video_representation,
)
from manifest.model import BaseUrl, Label, Manifest, Representation
from manifest.writer import write_mpd
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack, UnknownTrack
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.tracks import (
    TrackCatalog,
    TrackInfo,
    catalog_tracks,
    language_matches,
    select_tracks,
)


@pytest.fixture
async def mpd(make_backend, nb):  # type: ignore[no-untyped-def]
    be = await make_backend(encrypted=True, ocas=1)
    data = be.origin.file_path(nb.TITLE.id, "manifest.mpd").read_bytes()
    return parse_mpd(data, "http://oca.example/titles/t-real/manifest.mpd")


async def test_ladder_sorted_and_audio_chosen(mpd):
    video, audio = select_tracks(mpd, DeviceCapabilities())
    assert video.kind is TrackKind.VIDEO and audio.kind is TrackKind.AUDIO
    assert [r.id for r in video.representations] == ["v240", "v360"]
    ladder = video.ladder()
    assert ladder.bitrates_kbps[0] < ladder.bitrates_kbps[1]
    assert video.segment_duration == pytest.approx(1.0)


async def test_caps_and_plan_height_limit_the_ladder(mpd):
    (video, _) = select_tracks(mpd, DeviceCapabilities(), max_height=240)
    assert [r.id for r in video.representations] == ["v240"]
    (video, _) = select_tracks(mpd, DeviceCapabilities(max_width=500))
    assert [r.id for r in video.representations] == ["v240"]


async def test_nothing_playable_is_typed(mpd):
    with pytest.raises(NoPlayableTrack) as info:
        select_tracks(mpd, DeviceCapabilities(video_codecs=frozenset({"hvc1"})))
    assert info.value.track == "video"
    with pytest.raises(NoPlayableTrack):
        select_tracks(mpd, DeviceCapabilities(audio_codecs=frozenset({"opus"})))


# ---------------------------------------------------------------- audio and text catalogs


def _multi_language_mpd() -> Manifest:
    """Video, three audio sets (one undecodable, one without an id), four text sets of
    which only two are WebVTT sidecars the device can fetch through the OCAs."""
    seg = number_template(
        "$RepresentationID$/seg-$Number$.m4s",
        "$RepresentationID$/init.mp4",
        timescale=1000,
        duration=2000,
    )

    def audio(rid: str, codecs: str, channels: int = 2) -> Representation:
        return audio_representation(
            rid, bandwidth=128_000, codecs=codecs, sampling_rate=48_000, channels=channels
        )

    def vtt(rid: str, url: str) -> Representation:
        return Representation(
            id=rid, bandwidth=300, mime_type="text/vtt", base_urls=(BaseUrl(url),)
        )

    sets = [
        adaptation_set(
            "video",
            [
                video_representation(
                    "v1", bandwidth=300_000, codecs="avc1.64001f", width=426, height=240
                )
            ],
            id="1",
            segment=seg,
        ),
        replace(
            adaptation_set(
                "audio",
                [audio("a-en", "mp4a.40.2")],
                id="2",
                lang="en",
                segment=seg,
                roles=("main",),
            ),
            labels=(Label("English"),),
        ),
        adaptation_set("audio", [audio("a-fr", "ec-3", 6)], id="3", lang="fr", segment=seg),
        adaptation_set(
            "audio", [audio("a-de", "mp4a.40.2", 1)], lang="de-AT", segment=seg, roles=("dub",)
        ),
        adaptation_set(
            "text", [vtt("t-en", "subs/en.vtt")], id="5", lang="en", roles=("subtitle",)
        ),
        adaptation_set("text", [vtt("t-pt", "https://cdn.example/pt.vtt")], id="6", lang="pt"),
        adaptation_set(
            "text", [text_representation("t-ja", bandwidth=300, segment=seg)], id="7", lang="ja"
        ),
        adaptation_set("text", [vtt("t-de", "de.vtt")], id="5", lang="de"),
    ]
    data = write_mpd(static_manifest(sets, duration=10.0))
    return parse_mpd(data, "http://oca.example/titles/t/manifest.mpd")


def test_catalog_lists_playable_audio_and_fetchable_webvtt_tracks() -> None:
    caps = DeviceCapabilities()
    catalog = catalog_tracks(_multi_language_mpd(), caps)
    audio = catalog.infos("audio", "2")
    assert [(t.id, t.language, t.channels) for t in audio] == [
        ("2", "en", 2),
        ("audio-3", "de-AT", 1),
    ]
    assert audio[0] == TrackInfo("2", "audio", "en", "English", "mp4a.40.2", 2, ("main",), True)
    assert audio[1].roles == ("dub",) and not audio[1].selected  # no @id: derived from position
    text = catalog.infos("text", None)
    # absolute URLs and segmented (fMP4) text are left out; a repeated @id is made unique
    assert [(t.id, t.language, t.kind) for t in text] == [
        ("5", "en", "text"),
        ("text-7", "de", "text"),
    ]
    assert [o.path for o in catalog.text] == ["subs/en.vtt", "de.vtt"]
    assert catalog.text_option("text-7").path == "de.vtt"
    with pytest.raises(UnknownTrack) as info:
        catalog.text_option("6")
    assert info.value.kind == "text"
    # a device that decodes E-AC-3 also lists the French track
    eac3 = DeviceCapabilities(audio_codecs=frozenset({"mp4a", "ec-3"}))
    assert [t.id for t in catalog_tracks(_multi_language_mpd(), eac3).infos("audio", None)] == [
        "2",
        "3",
        "audio-3",
    ]


def test_preferred_languages_and_explicit_audio_ids() -> None:
    mpd = _multi_language_mpd()
    catalog = catalog_tracks(mpd, DeviceCapabilities())
    assert catalog.preferred_audio(None).info.id == "2"  # the main role
    assert catalog.preferred_audio("de").info.id == "audio-3"  # primary language matches
    assert catalog.preferred_audio("DE-at").info.id == "audio-3"
    assert catalog.preferred_audio("ja").info.id == "2"  # no match: the main one
    assert catalog.preferred_text(None) is None and catalog.preferred_text("ja") is None
    assert catalog.preferred_text("en-GB").info.id == "5"
    assert language_matches("en-US", "en") == 1 and language_matches(None, "en") == 0
    _, audio = select_tracks(mpd, DeviceCapabilities(), language="de")
    assert [r.id for r in audio.representations] == ["a-de"]
    _, audio = select_tracks(mpd, DeviceCapabilities(), audio_id="2", language="de")
    assert [r.id for r in audio.representations] == ["a-en"]
    with pytest.raises(UnknownTrack):
        select_tracks(mpd, DeviceCapabilities(), audio_id="3")  # E-AC-3: not playable here
    assert catalog_tracks(replace(mpd, periods=()), DeviceCapabilities()) == TrackCatalog()
