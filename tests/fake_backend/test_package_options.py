"""Packager options: on-demand profile (SegmentBase + sidx), media time offset
(presentationTimeOffset), key rotation (seig groups). Each title is read back the way a
player would: parse the MPD, fetch what its addressing names, decrypt with drm, decode."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import av
import pytest

from drm import find_pssh, parse_init
from drm.errors import KeyNotFound
from fake_backend.packager import encode_title, read_frame_id
from fake_backend.packager.catalog_specs import AudioTrackSpec, PackageSpec
from fake_backend.packager.on_demand import ON_DEMAND_PROFILE
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package import PackagedTitle, package_title
from fake_backend.packager.periods import PeriodPart, package_periods
from fake_backend.packager.rendition import EncodedTitle
from fake_backend.packager.spec import TEST_LADDER
from fake_backend.packager.thumbnails import ThumbnailSpec
from manifest.model import Manifest, Representation, SegmentBase, SegmentTemplate
from mediacore.boxes import find_first
from tests.support.media_check import clear_stream, decode_video, load, rendition_bytes

SPEC = PackageSpec(
    "t-opts",
    "Options",
    3.0,
    TEST_LADDER[:2],
    fps=24,
    segment_duration_s=1.0,
    audio=(AudioTrackSpec("a64", bitrate_kbps=64),),
)
KIDS = {"video": b"\x01" * 16, "audio": b"\x02" * 16}


def _key(kid: bytes) -> bytes:
    return hashlib.sha256(b"opts" + kid).digest()[:16]


@pytest.fixture(scope="module")
def encoded() -> EncodedTitle:
    return encode_title(SPEC.title_spec())


def _package(
    encoded: EncodedTitle, dest: Path, options: PackageOptions, spec: PackageSpec = SPEC
) -> PackagedTitle:
    kids = {*KIDS.values(), *(k for seq in options.rotation.values() for k in seq)}
    return package_title(
        spec,
        dest,
        kids=KIDS,
        keys={k: _key(k) for k in kids},
        encoded=encoded,
        poster=False,
        license_url="http://lic.test/ck",
        options=options,
    )


def _reps(m: Manifest, kind: str) -> list[Representation]:
    return [r for a in m.periods[0].adaptation_sets if a.kind == kind for r in a.representations]


def _frame_ids(p: PackagedTitle, rep: Representation, keys: dict[bytes, bytes]) -> list[int | None]:
    init, segments = rendition_bytes(p.root, rep)
    return decode_video(clear_stream(init, segments, keys)).ids


def test_on_demand_profile_one_file_per_representation(encoded, tmp_path):
    p = _package(encoded, tmp_path, PackageOptions(on_demand=True))
    m = load(p.root, p.mpd)
    assert m.profiles == ON_DEMAND_PROFILE and m.warnings == ()
    keys = {k: _key(k) for k in KIDS.values()}
    for rep in _reps(m, "video") + _reps(m, "audio"):
        info = rep.addressing
        assert isinstance(info, SegmentBase)
        assert info.index_range is not None and info.initialization is not None
        assert info.initialization.range is not None
        assert info.initialization.range.first == 0
        assert info.initialization.range.last + 1 == info.index_range.first
        assert [b.url for b in rep.base_urls] == [f"{rep.id}.mp4"]
        data = (p.root / f"{rep.id}.mp4").read_bytes()
        sidx = data[info.index_range.first : info.index_range.last + 1]
        assert sidx[4:8] == b"sidx"
        init, segments = rendition_bytes(p.root, rep)
        assert len(segments) == 3
        assert all(s[4:8] == b"moof" for s in segments)  # ranges land on fragments
        assert parse_init(init).encrypted
    assert not list(p.root.glob("*/seg-*.m4s"))  # no segment files in this layout
    for rep in _reps(m, "video"):
        assert _frame_ids(p, rep, keys) == list(range(72))


def test_media_time_offset_becomes_presentation_time_offset(encoded, tmp_path):
    p = _package(encoded, tmp_path, PackageOptions(media_time_offset_s=10.0))
    m = load(p.root, p.mpd)
    keys = {k: _key(k) for k in KIDS.values()}
    for rep in _reps(m, "video") + _reps(m, "audio"):
        info = rep.addressing
        assert isinstance(info, SegmentTemplate)
        ts = info.timescale or 1
        assert info.presentation_time_offset == 10 * ts
        refs = list(rep.segments())
        assert refs[0].start == 0.0  # Period time still starts at 0
        assert refs[0].time == 10 * ts
        first = (p.root / refs[0].url.removeprefix("http://media.test/")).read_bytes()
        tfdt = find_first(first, "moof/traf/tfdt")
        assert tfdt is not None and tfdt.fields(4).u64() == 10 * ts
    (video,) = _reps(m, "video")[:1]
    assert _frame_ids(p, video, keys) == list(range(72))


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
def test_key_rotation_changes_kid_every_crypto_period(encoded, tmp_path, scheme):
    rotation = {
        "video": (b"\x01" * 16, b"\x11" * 16, b"\x21" * 16),
        "audio": (b"\x02" * 16, b"\x12" * 16),
    }
    spec = PackageSpec(**{**SPEC.__dict__, "scheme": scheme})
    p = _package(encoded, tmp_path, PackageOptions(rotation=rotation), spec)
    m = load(p.root, p.mpd)
    keys = {k: _key(k) for seq in rotation.values() for k in seq}
    for kind, seq in rotation.items():
        for rep in _reps(m, kind):
            mp4 = next(
                c
                for a in m.periods[0].adaptation_sets
                if a.kind == kind
                for c in a.content_protection
                if c.is_mp4protection
            )
            assert mp4.default_kid_bytes == seq[0]
            init, segments = rendition_bytes(p.root, rep)
            (pssh,) = find_pssh(init)
            assert set(pssh.kids) == set(seq)  # every key can be asked for ahead of need
            used = [_seig_kid(s) for s in segments]
            assert used == [seq[i % len(seq)] for i in range(len(segments))]
            clear_stream(init, segments, keys)  # decrypts with every key present
            missing = {k: v for k, v in keys.items() if k != seq[1]}
            with pytest.raises(KeyNotFound):
                clear_stream(init, segments, missing)
    for rep in _reps(m, "video"):
        assert _frame_ids(p, rep, keys) == list(range(72))


def _seig_kid(segment: bytes) -> bytes:
    sgpd = find_first(segment, "moof/traf/sgpd")
    assert sgpd is not None and bytes(sgpd.payload[4:8]) == b"seig"
    entry = bytes(sgpd.payload[16:])  # v1: grouping, default_length, entry_count
    return entry[4:20]


def test_rotation_needs_every_key(encoded, tmp_path):
    from fake_backend.packager.package_errors import MissingContentKey

    options = PackageOptions(rotation={"video": (b"\x01" * 16, b"\x31" * 16)})
    with pytest.raises(MissingContentKey):
        package_title(
            SPEC,
            tmp_path,
            kids=KIDS,
            keys={k: _key(k) for k in KIDS.values()},
            encoded=encoded,
            options=options,
        )
    with pytest.raises(ValueError):
        PackageOptions(rotation={"video": (b"short",)})


def test_two_periods_with_new_ladder_keys_and_offset(encoded, tmp_path):
    second = PackageSpec(
        "t-opts-2",
        "Options, part 2",
        2.0,
        TEST_LADDER[1:],
        fps=24,
        segment_duration_s=1.0,
        audio=(AudioTrackSpec("a64", bitrate_kbps=64),),
        first_frame_id=72,
    )
    kids_2 = {"video": b"\x05" * 16, "audio": b"\x06" * 16}
    all_kids = [*KIDS.values(), *kids_2.values()]
    title = package_periods(
        [
            PeriodPart(SPEC, KIDS, encoded=encoded),
            PeriodPart(second, kids_2, PackageOptions(media_time_offset_s=5.0)),
        ],
        tmp_path,
        keys={k: _key(k) for k in all_kids},
        license_url="http://lic.test/ck",
    )
    m = load(title.root, title.mpd)
    assert m.warnings == () and m.media_presentation_duration == 5.0
    assert [(p.id, p.start, p.duration) for p in m.periods] == [("p1", 0.0, 3.0), ("p2", 3.0, 2.0)]
    ladders = [
        {r.height for a in p.adaptation_sets if a.kind == "video" for r in a.representations}
        for p in m.periods
    ]
    assert ladders == [{240, 360}, {360, 480}]
    ids: list[int | None] = []
    keys = {k: _key(k) for k in all_kids}
    for period, kids in zip(m.periods, (KIDS, kids_2), strict=True):
        video = next(a for a in period.adaptation_sets if a.kind == "video")
        mp4 = next(c for c in video.content_protection if c.is_mp4protection)
        assert mp4.default_kid_bytes == kids["video"]  # a new key per Period
        rep = video.representations[-1]
        info = rep.addressing
        assert isinstance(info, SegmentTemplate)
        pto = (info.presentation_time_offset or 0) / (info.timescale or 1)
        assert pto == (5.0 if period.id == "p2" else 0.0)
        refs = list(rep.segments())
        assert refs[0].start == period.start and refs[0].url.startswith(
            f"http://media.test/{period.id}/"
        )
        init, segments = rendition_bytes(title.root, rep)
        ids += decode_video(clear_stream(init, segments, keys)).ids
    assert ids == list(range(120))  # frame ids run on across the boundary


def test_thumbnail_tiles_follow_dash_if(encoded, tmp_path):
    thumbs = ThumbnailSpec(columns=2, rows=1, interval_s=1.0)  # 3 s: tiles of 2 + 1 cells
    p = _package(encoded, tmp_path, PackageOptions(thumbnails=thumbs))
    m = load(p.root, p.mpd)
    assert m.warnings == ()
    (images,) = [a for a in m.periods[0].adaptation_sets if a.kind == "image"]
    assert images.content_type == "image" and images.mime_type == "image/jpeg"
    (rep,) = images.representations
    (prop,) = rep.essential_properties
    assert (prop.scheme_id_uri, prop.value) == ("http://dashif.org/thumbnail_tile", "2x1")
    assert (rep.width, rep.height) == (320, 90)
    refs = list(rep.segments())
    assert [(r.start, r.duration) for r in refs] == [(0.0, 2.0), (2.0, 2.0)]
    shown = []
    for ref in refs:
        data = (p.root / ref.url.removeprefix("http://media.test/")).read_bytes()
        with av.open(io.BytesIO(data), "r") as c:
            frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (320, 90)
        luma = frame.to_ndarray(format="gray")
        shown += [read_frame_id(luma[:, i * 160 : (i + 1) * 160].copy()) for i in range(2)]
    assert shown == [0, 24, 48, None]  # one thumbnail a second; the spare cell is black


def test_spec_thumbnails_are_written_without_options(encoded, tmp_path):
    spec = PackageSpec(**{**SPEC.__dict__, "thumbnails": ThumbnailSpec(columns=3, rows=1)})
    p = _package(encoded, tmp_path, PackageOptions(), spec)
    (images,) = [a for a in load(p.root, p.mpd).periods[0].adaptation_sets if a.kind == "image"]
    assert images.representations[0].essential_properties[0].value == "3x1"
    assert p.track("thumbs").segments == ("thumbs/tile-1.jpg",)


K1 = "01" * 16 + ":" + "02" * 16
K2 = "03" * 16 + ":" + "04" * 16


def test_cli_package_mode_writes_every_option(tmp_path, capsys):
    from fake_backend.packager.__main__ import main

    out = tmp_path / "cli"
    args = [str(out), "--duration", "2", "--segment", "1", "--fps", "24", "--preset", "ultrafast"]
    args += ["--scheme", "cenc", "--key", K1, "--key", K2, "--on-demand", "--rotate-every", "1"]
    args += ["--thumbnails", "2x1", "--media-time-offset", "3", "--license-url", "http://l/ck"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scheme"] == "cenc" and "keys" not in json.dumps(summary)
    m = load(out, "manifest.mpd")
    kinds = [a.kind for a in m.periods[0].adaptation_sets]
    assert kinds == ["video", "audio", "image"]
    top = _reps(m, "video")[-1]
    assert isinstance(top.addressing, SegmentBase)
    assert top.addressing.presentation_time_offset == 3 * 90_000
    init, segments = rendition_bytes(out, top)
    keys = {bytes.fromhex(k.split(":")[0]): bytes.fromhex(k.split(":")[1]) for k in (K1, K2)}
    assert [_seig_kid(s) for s in segments] == list(keys)
    assert decode_video(clear_stream(init, segments, keys)).ids == list(range(48))


def test_cli_package_mode_errors_exit_2(tmp_path, capsys):
    from fake_backend.packager.__main__ import main

    base = [str(tmp_path / "x"), "--duration", "1", "--segment", "1"]
    with pytest.raises(SystemExit) as exc:
        main([*base, "--scheme", "cenc", "--key", "nothex:00"])
    assert exc.value.code == 2
    capsys.readouterr()
    assert main([*base, "--scheme", "cenc"]) == 2  # encrypted without a key
    assert json.loads(capsys.readouterr().err)["error"]["code"] == 8005


def test_on_demand_file_plays_in_ffmpeg_as_is(encoded, tmp_path):
    """An independent reader: FFmpeg's mov demuxer takes the file (init + sidx + fragments)."""
    clear = PackageSpec(**{**SPEC.__dict__, "scheme": "clear"})
    p = _package(encoded, tmp_path, PackageOptions(on_demand=True), clear)
    track = p.track("v360")
    assert track.media_file == "v360.mp4"
    with av.open(str(p.root / track.media_file), "r") as c:
        ids = [read_frame_id(f) for f in c.decode(video=0)]
    assert ids == list(range(72))
