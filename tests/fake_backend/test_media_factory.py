"""The media factory: real PyAV encodes, decoded back from memory, frame ids checked.

One small title (6 s, 2 s segments, 240p/360p/480p + AAC) is encoded once per module and
every property is checked against it by decoding with PyAV.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_backend.packager import (
    TEST_LADDER,
    EncodedTitle,
    EncodeFailed,
    InvalidTitleSpec,
    Rendition,
    RungSpec,
    SegmentationFailed,
    TitleSpec,
    encode_title,
    read_frame_id,
)
from fake_backend.packager.codecs import codec_string
from fake_backend.packager.fragments import (
    fragment_timing,
    split_fragmented,
    track_defaults,
)
from fake_backend.packager.media_factory import AAC_FRAME
from fake_backend.packager.tone import tone_frequency
from mediacore.boxes import find_first, iter_boxes
from mediacore.errors import ContainerError

SPEC = TitleSpec("t-test", duration_s=6.0, rungs=TEST_LADDER, fps=30, segment_duration_s=2.0)


@pytest.fixture(scope="module")
def title() -> EncodedTitle:
    return encode_title(SPEC)


def _decode_ids(*parts: bytes) -> list[tuple[int | None, bool, float | None, int, int]]:
    """(frame id, keyframe, time, width, height) of every decoded frame of ``parts``."""
    with av.open(io.BytesIO(b"".join(parts))) as c:
        return [
            (read_frame_id(f), f.key_frame, f.time, f.width, f.height) for f in c.decode(video=0)
        ]


def _top_level(data: bytes) -> list[str]:
    return [b.type for b in iter_boxes(data)]


def test_every_rung_decodes_every_frame_once_in_order(title: EncodedTitle) -> None:
    assert [r.id for r in title.video] == ["v240", "v360", "v480"]
    for r in title.video:
        frames = _decode_ids(r.init, *r.segments)
        assert len(frames) == SPEC.fps * SPEC.duration_s == 180
        assert [f[0] for f in frames] == list(range(180)), r.id
        assert {(f[3], f[4]) for f in frames} == {(r.width, r.height)}


def test_each_segment_decodes_alone_and_starts_with_a_keyframe(title: EncodedTitle) -> None:
    per = SPEC.frames_per_segment
    for r in title.video:
        assert len(r.segments) == 3
        for k, seg in enumerate(r.segments):
            frames = _decode_ids(r.init, seg)
            assert frames[0][1], f"{r.id} segment {k + 1} does not start with a keyframe"
            assert not any(f[1] for f in frames[1:]), "a keyframe inside a segment"
            assert [f[0] for f in frames] == list(range(k * per, (k + 1) * per))
            assert frames[0][2] == pytest.approx(k * SPEC.segment_duration_s)


@pytest.mark.parametrize("path", [(0, 2, 1), (2, 0, 2), (1, 1, 0)])
def test_switching_rungs_between_segments_keeps_ids_continuous(
    title: EncodedTitle, path: tuple[int, int, int]
) -> None:
    ids: list[int | None] = []
    sizes = []
    for k, rung in enumerate(path):
        r = title.video[rung]
        frames = _decode_ids(r.init, r.segments[k])
        ids.extend(f[0] for f in frames)
        sizes.append((frames[0][3], frames[0][4]))
    assert ids == list(range(SPEC.frame_count))
    assert sizes == [(title.video[i].width, title.video[i].height) for i in path]


def test_init_is_ftyp_moov_with_mvex_and_segments_are_styp_moof_mdat(
    title: EncodedTitle,
) -> None:
    for r in title.renditions:
        assert _top_level(r.init) == ["ftyp", "moov"]
        assert find_first(r.init, "moov/mvex/trex") is not None
        for seg in r.segments:
            assert _top_level(seg) == ["styp", "moof", "mdat"]


def test_reported_sizes_and_times_match_the_boxes(title: EncodedTitle) -> None:
    for r in title.renditions:
        assert [s.number for s in r.segment_info] == [1, 2, 3]
        assert [s.size for s in r.segment_info] == [len(b) for b in r.segments]
        for info, seg in zip(r.segment_info, r.segments, strict=True):
            tfdt = find_first(seg, "moof/traf/tfdt")
            assert tfdt is not None
            version, _ = tfdt.full_header()
            fields = tfdt.fields(4)
            assert (fields.u64() if version == 1 else fields.u32()) == info.start
        # contiguous timeline, starting at 0
        assert r.segment_info[0].start == 0
        for a, b in zip(r.segment_info, r.segment_info[1:], strict=False):
            assert a.end == b.start
    for r in title.video:
        assert r.timescale == SPEC.video_timescale
        assert [s.start_s for s in r.segment_info] == [0.0, 2.0, 4.0]
        assert {s.duration_s for s in r.segment_info} == {2.0}


def test_every_rung_shares_the_same_segment_grid(title: EncodedTitle) -> None:
    grids = {tuple((s.start, s.duration) for s in r.segment_info) for r in title.video}
    assert len(grids) == 1


def test_higher_rungs_produce_larger_segments(title: EncodedTitle) -> None:
    means = [sum(len(s) for s in r.segments) / len(r.segments) for r in title.video]
    assert means == sorted(means) and len(set(means)) == len(means)
    for r in title.video:
        # the rate control lands near the target; peak >= average by definition
        assert 0.6 * r.target_bitrate < r.average_bandwidth < 1.4 * r.target_bitrate, r.id
        assert r.bandwidth >= r.average_bandwidth


def test_codecs_strings_come_from_the_real_parameter_sets(title: EncodedTitle) -> None:
    for r in title.video:
        assert re.fullmatch(r"avc1\.[0-9a-f]{6}", r.codecs)
        with av.open(io.BytesIO(r.init + r.segments[0])) as c:
            profile = c.streams.video[0].codec_context.profile
        assert profile == "High" and r.codecs.startswith("avc1.64")
    levels = [int(r.codecs[-2:], 16) for r in title.video]
    assert levels == sorted(levels)  # bigger pictures need an equal or higher level
    assert title.audio is not None and title.audio.codecs == "mp4a.40.2"


def test_audio_decodes_with_the_expected_duration_and_segment_grid(title: EncodedTitle) -> None:
    audio = title.audio
    assert audio is not None
    rate = SPEC.audio_sample_rate
    assert audio.timescale == rate and audio.channels == 2 and audio.language == "en"
    with av.open(io.BytesIO(audio.init + b"".join(audio.segments))) as c:
        frames = list(c.decode(audio=0))
    samples = sum(f.samples for f in frames)
    assert rate * SPEC.duration_s <= samples < rate * SPEC.duration_s + AAC_FRAME
    assert audio.duration_s == pytest.approx(SPEC.duration_s, abs=AAC_FRAME / rate)
    for k, info in enumerate(audio.segment_info):
        # each segment starts at the AAC frame nearest to the video boundary
        assert info.start % AAC_FRAME == 0
        assert abs(info.start_s - k * SPEC.segment_duration_s) <= AAC_FRAME / 2 / rate


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_each_audio_segment_decodes_alone_and_plays_the_right_tone(title: EncodedTitle) -> None:
    audio = title.audio
    assert audio is not None
    rate = SPEC.audio_sample_rate
    for info, seg in zip(audio.segment_info, audio.segments, strict=True):
        with av.open(io.BytesIO(audio.init + seg)) as c:
            pcm = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
        assert len(pcm) == pytest.approx(info.duration, abs=AAC_FRAME)
        for second in range(2):  # the tone steps once per second of title time
            t0 = info.start_s + second + 0.25
            a = round((t0 - info.start_s) * rate)
            hz = _dominant_hz(pcm[a : a + rate // 2], rate)
            assert hz == pytest.approx(tone_frequency(math.floor(t0)), abs=4)


def test_write_lays_out_files_the_backend_serves(title: EncodedTitle, tmp_path: Path) -> None:
    written = title.write(tmp_path)
    assert len(written) == 4 * (1 + 3) + 1
    for r in title.renditions:
        assert (tmp_path / r.id / "init.mp4").read_bytes() == r.init
        for n, seg in enumerate(r.segments, start=1):
            assert (tmp_path / r.id / f"seg-{n}.m4s").read_bytes() == seg
        assert not (tmp_path / r.id / "seg-0.m4s").exists()
    meta = json.loads((tmp_path / "title.json").read_text())
    assert meta["title_id"] == "t-test" and meta["frames_per_segment"] == 60
    by_id = {r["id"]: r for r in meta["renditions"]}
    assert by_id["v360"]["codecs"] == title.rendition("v360").codecs
    assert by_id["audio"]["segments"][1]["path"] == "audio/seg-2.m4s"
    # files on disk decode: init + a segment from another rung's folder still plays on
    v240 = tmp_path / "v240"
    frames = _decode_ids((v240 / "init.mp4").read_bytes(), (v240 / "seg-3.m4s").read_bytes())
    assert [f[0] for f in frames] == list(range(120, 180))


def test_rendition_lookup(title: EncodedTitle) -> None:
    assert isinstance(title.rendition("audio"), Rendition)
    with pytest.raises(KeyError):
        title.rendition("v9999")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"segment_duration_s": 0.75}, "segment_duration_s"),
        ({"fps": 0}, "fps"),
        ({"duration_s": -1.0}, "duration_s"),
        ({"rungs": ()}, "rungs"),
        ({"rungs": (TEST_LADDER[0], TEST_LADDER[0])}, "rungs"),
        ({"fps": 7}, "video_timescale"),
        ({"audio_channels": 6}, "audio"),
        ({"picture": "noise"}, "picture"),
    ],
)
def test_bad_title_specs_raise_a_typed_error(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"title_id": "x", "duration_s": 4.0, "rungs": TEST_LADDER}
    args.update(kwargs)
    with pytest.raises(InvalidTitleSpec) as info:
        TitleSpec(**args)  # type: ignore[arg-type]
    assert info.value.code == 8001 and info.value.field == field


@pytest.mark.parametrize(
    ("width", "height", "kbps", "rid"),
    [(427, 240, 300, "a"), (426, 16, 300, "a"), (426, 240, 0, "a"), (426, 240, 300, "../x")],
)
def test_bad_rungs_raise_a_typed_error(width: int, height: int, kbps: int, rid: str) -> None:
    with pytest.raises(InvalidTitleSpec):
        RungSpec(rid, width, height, kbps)


def test_an_encoder_failure_is_a_typed_error() -> None:
    spec = TitleSpec("bad", 1.0, (RungSpec("v", 320, 180, 200),), preset="no-such-preset")
    with pytest.raises(EncodeFailed) as info:
        encode_title(spec)
    assert info.value.code == 8002 and info.value.rendition == "v"


def test_short_last_segment_and_video_only_title() -> None:
    spec = TitleSpec(
        "short", 2.5, (RungSpec("v", 320, 180, 200),), fps=24, segment_duration_s=1.0, audio=False
    )
    title = encode_title(spec)
    assert title.audio is None
    (r,) = title.video
    assert [s.duration_s for s in r.segment_info] == [1.0, 1.0, 0.5]
    assert [f[0] for f in _decode_ids(r.init, *r.segments)] == list(range(60))
    assert [f[0] for f in _decode_ids(r.init, r.segments[2])] == list(range(48, 60))


# -- the fMP4 splitter and box readers on bad input --------------------------------------


def test_split_rejects_a_non_fragmented_file(title: EncodedTitle) -> None:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((96, 64), np.uint8), format="yuv420p")
            frame.pts = i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    with pytest.raises(ContainerError):
        split_fragmented(buf.getvalue())


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_truncated_or_corrupted_segments_raise_only_container_errors(
    title: EncodedTitle, data: st.DataObject
) -> None:
    r = title.video[0]
    whole = r.init + r.segments[0]
    cut = data.draw(st.integers(0, len(whole) - 1))
    flip = data.draw(st.integers(0, len(whole) - 1))
    damaged = bytearray(whole[:cut] if data.draw(st.booleans()) else whole)
    if flip < len(damaged):
        damaged[flip] ^= 0xFF
    try:
        init, segments = split_fragmented(bytes(damaged))
        codec_string(init)
        defaults = track_defaults(init)
        for seg in segments:
            fragment_timing(seg, defaults)
    except ContainerError:
        pass


def test_segmentation_failure_is_typed() -> None:
    err = SegmentationFailed("x", rendition="v240", segment=2)
    assert err.code == 8003 and err.to_dict()["attributes"] == {"rendition": "v240", "segment": 2}


def test_frames_are_flagged_intra_only_on_the_segment_grid() -> None:
    # FFmpeg sources (testsrc) flag every frame I and libx264 obeys: the flag must be reset.
    from av.video.frame import PictureType

    from fake_backend.packager.media_factory import scaled_frames

    frames = scaled_frames(SPEC)
    types = [frames(n)["v360"].pict_type for n in range(0, 130)]
    intra = [n for n, t in enumerate(types) if t == PictureType.I]
    assert intra == [0, 60, 120]
    assert all(t == PictureType.NONE for n, t in enumerate(types) if n not in intra)


def test_cli_writes_a_title_and_prints_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fake_backend.packager.__main__ import main

    out = tmp_path / "t"
    code = main([str(out), "--title-id", "cli", "--duration", "2", "--segment", "1", "--fps", "24"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["title_id"] == "cli" and summary["frame_count"] == 48
    assert [r["segment_count"] for r in summary["renditions"]] == [2, 2, 2, 2]
    assert summary["files"] == 4 * 3 + 1
    init = (out / "v480" / "init.mp4").read_bytes()
    seg = (out / "v480" / "seg-2.m4s").read_bytes()
    assert [f[0] for f in _decode_ids(init, seg)] == list(range(24, 48))


def test_cli_reports_a_bad_spec_as_json_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fake_backend.packager.__main__ import main

    assert main([str(tmp_path), "--segment", "0.75"]) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == 8001 and error["attributes"] == {"field": "segment_duration_s"}
    assert not any(tmp_path.iterdir())


def test_encoding_is_deterministic() -> None:
    # The backend packages on first start and may cache or ETag the files: same spec, same bytes.
    spec = TitleSpec("det", 2.0, (RungSpec("v", 320, 180, 200),), segment_duration_s=1.0)
    a, b = encode_title(spec), encode_title(spec)
    for x, y in zip(a.renditions, b.renditions, strict=True):
        assert x.init == y.init and x.segments == y.segments, x.id
