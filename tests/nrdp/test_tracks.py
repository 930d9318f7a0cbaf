"""Track selection on real packaged MPDs: capabilities, plan height cap, typed refusals."""

from __future__ import annotations

import pytest

from manifest import parse_mpd
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.tracks import select_tracks


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
