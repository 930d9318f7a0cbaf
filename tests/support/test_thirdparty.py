"""The third-party generators make what they claim: real MPDs whose every address resolves,
and media that decrypts with ``drm`` and decodes frame-exactly against the clear source."""

from __future__ import annotations

import urllib.request

import av
import pytest

from drm import parse_init
from drm.errors import KeyNotFound
from manifest.model import SegmentBase, SegmentList, SegmentTemplate
from manifest.protection import CLEARKEY_SYSTEM_ID
from mediacore.boxes import find_first
from mediacore.errors import ManifestError, SdkError
from tests.support.media_check import clear_stream, decode_video, load, rendition_bytes
from tests.support.static_server import serve_directory
from tests.support.thirdparty import (
    KID,
    KID_2,
    LADDER_A,
    LADDER_B,
    ThirdPartyStream,
    ffmpeg_dash,
    shaka_packager,
    shaka_packager_path,
    two_period,
)

needs_shaka = pytest.mark.skipif(
    shaka_packager_path() is None, reason="shaka-packager not installed (NRDP_SHAKA_PACKAGER)"
)


def _videos(stream: ThirdPartyStream, period: int = 0):
    m = load(stream.dir, stream.mpd_name)
    return [
        r for a in m.periods[period].adaptation_sets if a.kind == "video" for r in a.representations
    ]


def _check_every_rendition(stream: ThirdPartyStream, heights: tuple[int, ...]) -> None:
    """Each video rendition decodes to exactly the source's frames, ids in order."""
    reps = _videos(stream)
    assert sorted(r.height for r in reps) == sorted(heights)
    for rep in reps:
        init, segments = rendition_bytes(stream.dir, rep)
        assert parse_init(init).encrypted == stream.encrypted
        track = decode_video(clear_stream(init, segments, stream.keys))
        assert track.hashes == list(stream.reference[rep.height]), rep.height
        assert track.ids == list(stream.frame_ids)


@pytest.mark.parametrize("timeline", [False, True])
def test_ffmpeg_dash_clear_three_renditions(timeline):
    stream = ffmpeg_dash(timeline=timeline)
    m = load(stream.dir, stream.mpd_name)
    (video,) = [a for a in m.periods[0].adaptation_sets if a.kind == "video"]
    info = video.representations[0].addressing
    assert isinstance(info, SegmentTemplate)
    assert (info.timeline is not None) == timeline
    assert not stream.encrypted and stream.frame_count == 144
    assert any(a.kind == "audio" for a in m.periods[0].adaptation_sets)
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))


def test_ffmpeg_dash_cenc_decrypts_frame_exactly():
    stream = ffmpeg_dash(timeline=True, encrypted=True)
    assert stream.keys == {KID: stream.keys[KID]}
    top = max(_videos(stream), key=lambda r: r.height or 0)
    init, segments = rendition_bytes(stream.dir, top)
    assert parse_init(init).kids == (KID,)
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))
    assert _frames_or_none(init, segments, {KID: bytes(16)}) != list(stream.frame_ids)


def test_two_periods_different_ladders_and_offset():
    stream = two_period()
    m = load(stream.dir, stream.mpd_name)
    assert [p.start for p in m.periods] == [0.0, 4.0]
    assert stream.frame_count == 192 and stream.keys.keys() == {KID_2}
    first, second = (_videos(stream, i) for i in (0, 1))
    assert {r.height for r in first} == {r.height for r in LADDER_A}
    assert {r.height for r in second} == {r.height for r in LADDER_B}
    ids: list[int | None] = []
    for period, reps in ((0, first), (1, second)):
        rep = reps[0]
        assert isinstance(rep.addressing, SegmentTemplate)
        pto = rep.addressing.presentation_time_offset or 0
        assert (pto > 0) == (period == 1)
        refs = list(rep.segments())
        assert refs[0].start == m.periods[period].start
        init, segments = rendition_bytes(stream.dir, rep)
        track = decode_video(clear_stream(init, segments, stream.keys))
        assert track.hashes == list(stream.reference[rep.height])
        ids += track.ids
    assert ids == list(stream.frame_ids)  # no frame lost or repeated at the boundary


def test_static_server_answers_ranges(tmp_path):
    (tmp_path / "f.bin").write_bytes(bytes(range(100)))
    with serve_directory(tmp_path) as base:
        req = urllib.request.Request(base + "f.bin", headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 206 and r.read() == bytes(range(10, 20))
            assert r.headers["Content-Range"] == "bytes 10-19/100"
        with urllib.request.urlopen(base + "f.bin") as r:
            assert r.status == 200 and len(r.read()) == 100
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "missing.mpd")
        assert err.value.code == 404


@needs_shaka
@pytest.mark.parametrize("encrypted", [False, True])
def test_shaka_on_demand_segment_base_sidx(encrypted):
    stream = shaka_packager(on_demand=True, encrypted=encrypted)
    for rep in _videos(stream):
        assert isinstance(rep.addressing, SegmentBase)
        assert rep.addressing.index_range is not None
        assert len(rep.base_urls) == 1  # one file per representation
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))


@needs_shaka
def test_shaka_live_profile_clearkey():
    stream = shaka_packager(on_demand=False, encrypted=True)
    m = load(stream.dir, stream.mpd_name)
    (video,) = [a for a in m.periods[0].adaptation_sets if a.kind == "video"]
    mp4 = next(c for c in video.content_protection if c.is_mp4protection)
    assert mp4.default_kid_bytes == KID
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))


@needs_shaka
def test_shaka_key_rotation_uses_a_key_per_crypto_period():
    stream = shaka_packager(on_demand=True, key_rotation=True)
    assert len(stream.keys) == 3
    top = max(_videos(stream), key=lambda r: r.height or 0)
    init, segments = rendition_bytes(stream.dir, top)
    assert len(segments) == 3
    for seg in segments:  # each fragment names its period's KID in a seig sample group
        assert find_first(seg, "moof/traf/sgpd") is not None
        assert find_first(seg, "moof/traf/sbgp") is not None
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))
    for key in stream.keys:  # every rotated key is needed: dropping one breaks decryption
        partial = {k: v for k, v in stream.keys.items() if k != key}
        with pytest.raises(KeyNotFound):
            clear_stream(init, segments, partial)


@pytest.mark.parametrize("single_file", [False, True])
def test_ffmpeg_dash_segment_list(single_file):
    stream = ffmpeg_dash(segment_list=True, single_file=single_file, encrypted=single_file)
    for rep in _videos(stream):
        info = rep.addressing
        assert isinstance(info, SegmentList)
        assert len(info.segment_urls) == 3
        if single_file:  # ranges into one file per representation
            assert all(u.media is None and u.media_range is not None for u in info.segment_urls)
            assert info.initialization is not None and info.initialization.range is not None
            assert len(rep.base_urls) == 1
        else:
            assert all(u.media is not None and u.media_range is None for u in info.segment_urls)
    _check_every_rendition(stream, tuple(r.height for r in LADDER_A))


def test_ffmpeg_dash_signalled_protection():
    stream = ffmpeg_dash(encrypted=True, signal=True)
    m = load(stream.dir, stream.mpd_name)
    for aset in m.periods[0].adaptation_sets:
        mp4 = next(c for c in aset.content_protection if c.is_mp4protection)
        assert mp4.default_kid_bytes == KID
        assert any(c.system_id == CLEARKEY_SYSTEM_ID for c in aset.content_protection)
    plain = ffmpeg_dash(encrypted=True)
    assert all(
        a.content_protection == ()
        for a in load(plain.dir, plain.mpd_name).periods[0].adaptation_sets
    )


def test_bad_sources_fail_as_described(bad_dash_sources):
    bad = bad_dash_sources
    with serve_directory(bad.dir) as base:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + bad.missing_mpd)
        assert err.value.code == 404
        with urllib.request.urlopen(base + bad.html_mpd) as r:
            assert r.read().lstrip().startswith(b"<!DOCTYPE html>")
    with pytest.raises(ManifestError):  # a DOCTYPE: UnsafeXml (3003)
        load(bad.dir, bad.html_mpd)
    m = load(bad.dir, bad.segments_404_mpd)
    ref = next(_videos_of(m)[0].segments())
    assert not (bad.dir / ref.url.removeprefix("http://media.test/")).exists()
    rep = _videos_of(load(bad.dir, bad.encrypted_mpd))[0]
    init, segments = rendition_bytes(bad.dir, rep)
    assert decode_video(clear_stream(init, segments, bad.good.keys)).ids[:3] == [0, 1, 2]
    assert bad.wrong_keys.keys() == bad.good.keys.keys()
    assert _frames_or_none(init, segments, bad.wrong_keys) != list(bad.good.frame_ids)


def test_fixtures_give_the_cached_streams(ffmpeg_clear, shaka_key_rotation):
    assert ffmpeg_clear is ffmpeg_dash()
    assert shaka_key_rotation is shaka_packager(on_demand=True, key_rotation=True)


def _videos_of(m):
    return [r for a in m.periods[0].adaptation_sets if a.kind == "video" for r in a.representations]


def _frames_or_none(init: bytes, segments: list[bytes], keys) -> list[int | None] | None:
    """Frame ids decoded with ``keys``; None when the garbage does not even decode."""
    try:
        return decode_video(clear_stream(init, segments, keys)).ids
    except (av.error.FFmpegError, SdkError):
        return None
