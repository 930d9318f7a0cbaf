"""package_title on the tiny catalog: real encode, real CENC encryption, real decode.

The tiny catalog is packaged once per module (about 3-5 s); every test reads that tree back:
the MPD with ``manifest.parse_mpd``, the segments with ``drm`` and PyAV, frame ids with the
media factory's reader.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
from pathlib import Path

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm import KeyStore, decrypt_init, decrypt_segment, find_pssh, parse_init
from drm.errors import KeyNotFound
from fake_backend.packager import encode_title, read_frame_id
from fake_backend.packager.catalog_specs import (
    TINY_SPECS,
    AudioTrackSpec,
    PackageSpec,
    default_kids,
)
from fake_backend.packager.package import (
    MPD_NAME,
    PackagedTitle,
    package_title,
    protect_rendition,
)
from fake_backend.packager.package_errors import MissingContentKey
from fake_backend.packager.spec import TEST_LADDER
from fake_backend.packager.subtitles import vtt_timestamp, webvtt
from manifest import parse_mpd
from manifest.model import AdaptationSet, Manifest, SegmentTemplate
from manifest.protection import CLEARKEY_SYSTEM_ID, W3C_COMMON_SYSTEM_ID
from mediacore.boxes import find_first, iter_boxes
from mediacore.errors import SdkError

LICENSE_URL = "http://127.0.0.1:8000/license/v1/clearkey"
BASE = "http://oca.test/titles"
SPECS = {s.title_id: s for s in TINY_SPECS}


def _keys(title_id: str) -> dict[bytes, bytes]:
    return {
        kid: hashlib.sha256(b"test-key" + kid).digest()[:16]
        for kid in default_kids(title_id).values()
    }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PackagedTitle]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        s.title_id: package_title(
            s,
            root / s.title_id,
            keys=_keys(s.title_id),
            kids=default_kids(s.title_id),
            license_url=LICENSE_URL,
        )
        for s in TINY_SPECS
    }


def _mpd(p: PackagedTitle) -> Manifest:
    m = parse_mpd(p.mpd_path.read_bytes(), f"{BASE}/{p.spec.title_id}/{MPD_NAME}")
    assert m.warnings == ()
    return m


def _sets(p: PackagedTitle) -> tuple[AdaptationSet, ...]:
    return _mpd(p).periods[0].adaptation_sets


def _local(p: PackagedTitle, url: str) -> Path:
    prefix = f"{BASE}/{p.spec.title_id}/"
    assert url.startswith(prefix), url
    return p.root / url[len(prefix) :]


def _decode(data: bytes) -> list[int | None]:
    with av.open(io.BytesIO(data), "r") as c:
        return [read_frame_id(f) for f in c.decode(video=0)]


def _decode_audio_samples(data: bytes) -> int:
    with av.open(io.BytesIO(data), "r") as c:
        return sum(int(f.samples) for f in c.decode(audio=0))


def _clear_track(p: PackagedTitle, track_id: str, keys: KeyStore) -> bytes:
    t = p.track(track_id)
    assert t.init is not None
    init, prot = decrypt_init((p.root / t.init).read_bytes())
    parts = [bytes(init)]
    for rel in t.segments:
        parts.append(bytes(decrypt_segment((p.root / rel).read_bytes(), prot, keys)))
    return b"".join(parts)


# ---------------------------------------------------------------------------- MPD


def test_tiny_catalog_is_small_and_varied(tiny):
    assert 2 <= len(tiny) <= 3
    assert {p.scheme for p in tiny.values()} == {"cenc", "cbcs", "clear"}
    for p in tiny.values():
        assert p.spec.duration_s <= 10
        assert max(t.height or 0 for t in p.tracks) <= 480


def test_every_mpd_addresses_exactly_the_files_written(tiny):
    for p in tiny.values():
        media = {
            f for f in p.files if f not in (MPD_NAME, "poster.png", "title.json", "video.json")
        }
        referenced: set[str] = set()
        for aset in _sets(p):
            for rep in aset.representations:
                if aset.kind == "text":
                    path = _local(p, rep.primary_base_url)
                    referenced.add(path.relative_to(p.root).as_posix())
                    continue
                init = rep.init_segment()
                assert init is not None
                referenced.add(_local(p, init.url).relative_to(p.root).as_posix())
                refs = list(rep.segments())
                assert len(refs) == p.spec.title_spec().segment_count
                for ref in refs:
                    path = _local(p, ref.url)
                    assert path.is_file()
                    referenced.add(path.relative_to(p.root).as_posix())
        assert referenced == media


def test_segment_times_in_mpd_match_the_segments(tiny):
    """Start and duration of every reference equal the fragment's own tfdt and trun."""
    for p in tiny.values():
        for aset in _sets(p):
            for rep in aset.representations:
                if aset.kind == "text":
                    continue
                track = p.track(rep.id or "")
                for ref, info in zip(rep.segments(), track.segment_info, strict=True):
                    data = _local(p, ref.url).read_bytes()
                    tfdt = find_first(data, "moof/traf/tfdt")
                    assert tfdt is not None
                    r = tfdt.fields()
                    version = r.u8()
                    r.u24()
                    decode_time = r.u64() if version else r.u32()
                    assert ref.time == decode_time == info.start
                    assert round(ref.duration * ref.timescale) == info.duration


def test_video_uses_number_template_audio_the_real_durations(tiny):
    p = tiny["t-ocean"]
    sets = {a.id: a for a in _sets(p)}
    video = sets["1"]
    assert isinstance(video.segment_info, SegmentTemplate)
    assert video.segment_info.duration == 2 * 90000
    assert video.segment_info.timeline is None
    assert "$Number$" in (video.segment_info.media or "")
    audio = [a for a in sets.values() if a.kind == "audio"]
    for a in audio:
        durations = [r.duration for r in a.representations[0].segments()]
        assert len(set(durations)) > 1  # 94 and 93 AAC frames: the timeline is exact


def test_codecs_bandwidth_and_sizes(tiny):
    for p in tiny.values():
        for aset in _sets(p):
            for rep in aset.representations:
                assert rep.bandwidth and rep.bandwidth > 0
                if aset.kind == "video":
                    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", rep.codecs or "")
                    assert (rep.width, rep.height) == (
                        p.track(rep.id or "").width,
                        p.track(rep.id or "").height,
                    )
                    assert rep.frame_rate == str(p.spec.fps)
                elif aset.kind == "audio":
                    assert rep.codecs == "mp4a.40.2"
                    assert rep.audio_sampling_rate == "48000"
                if aset.kind == "text":
                    continue
                for ref in rep.segments():
                    bits = _local(p, ref.url).stat().st_size * 8
                    assert bits / ref.duration <= rep.bandwidth + 1


def test_protected_sets_carry_scheme_default_kid_and_clearkey_laurl(tiny):
    for p in (tiny["t-ocean"], tiny["t-heist"]):
        kids = default_kids(p.spec.title_id)
        for aset in _sets(p):
            if aset.kind == "text":
                assert aset.content_protection == ()
                continue
            mp4 = [c for c in aset.content_protection if c.is_mp4protection]
            ck = [c for c in aset.content_protection if c.system_id == CLEARKEY_SYSTEM_ID]
            assert len(mp4) == 1 and len(ck) == 1
            assert mp4[0].scheme == p.scheme
            kid = kids[aset.kind or ""]
            assert mp4[0].default_kid_bytes == kid
            assert ck[0].license_url == LICENSE_URL
            assert ck[0].value == "ClearKey1.0"
            assert ck[0].pssh is None  # DASH-IF IOP: dash.js needs no (and chokes on a W3C) pssh
    raw = tiny["t-ocean"].mpd_path.read_text()
    assert "dashif:Laurl" in raw and "cenc:default_KID" in raw and "cenc:pssh" not in raw
    assert 'xmlns:dashif="https://dashif.org/CPS"' in raw
    assert "1077efec" not in raw.lower()


def test_mpd_base_urls_are_relative(tiny):
    for p in tiny.values():
        raw = p.mpd_path.read_text()
        for url in re.findall(r"<BaseURL>([^<]*)</BaseURL>", raw):
            assert "://" not in url and not url.startswith("/")
        assert "http://" not in raw.replace(LICENSE_URL, "").split("?>", 1)[1].replace(
            'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
        )


def test_clear_title_has_no_protection_anywhere(tiny):
    p = tiny["t-detect"]
    assert p.scheme == "clear"
    for aset in _sets(p):
        assert aset.content_protection == ()
        for rep in aset.representations:
            assert rep.content_protection == ()
    for t in p.tracks:
        if t.init is not None:
            data = (p.root / t.init).read_bytes()
            assert not parse_init(data).encrypted
            assert find_pssh(data) == ()
    info = json.loads((p.root / "title.json").read_text())
    assert info["scheme"] == "clear" and info["kids"] == {}


def test_cbcs_title_is_cbcs_and_cenc_title_is_cenc(tiny):
    for title_id, scheme, pattern, iv in (
        ("t-heist", "cbcs", (1, 9), 0),
        ("t-ocean", "cenc", (0, 0), 8),
    ):
        p = tiny[title_id]
        kids = default_kids(title_id)
        for t in p.tracks:
            if t.init is None:
                continue
            prot = parse_init((p.root / t.init).read_bytes())
            (track,) = prot.tracks
            entry = track.protection
            assert entry is not None
            assert entry.scheme == scheme
            assert entry.original_format == ("avc1" if t.kind == "video" else "mp4a")
            tenc = entry.tenc
            assert tenc.kid == kids[t.kind]
            if t.kind == "video":
                assert (tenc.crypt_byte_block, tenc.skip_byte_block) == pattern
            else:
                assert (tenc.crypt_byte_block, tenc.skip_byte_block) == (0, 0)
            assert tenc.per_sample_iv_size == iv
            if scheme == "cbcs":
                assert tenc.constant_iv is not None and len(tenc.constant_iv) == 16
            assert {x.system_uuid for x in prot.pssh} == {W3C_COMMON_SYSTEM_ID}  # init keeps it
            seg = (p.root / t.segments[0]).read_bytes()
            assert find_first(seg, "moof/traf/senc") is not None


# ----------------------------------------------------------------- decrypt + decode


@pytest.mark.parametrize("title_id", ["t-ocean", "t-heist"])
def test_every_frame_decrypts_and_decodes_in_order(tiny, title_id):
    p = tiny[title_id]
    keys = KeyStore(_keys(title_id))
    frames = p.spec.title_spec().frame_count
    for t in p.tracks:
        if t.kind == "video":
            assert _decode(_clear_track(p, t.id, keys)) == list(range(frames)), t.id
        elif t.kind == "audio":
            samples = _decode_audio_samples(_clear_track(p, t.id, keys))
            assert abs(samples - p.spec.duration_s * 48_000) <= 1024 * 2, t.id


def test_segments_decode_across_rungs_after_decryption(tiny):
    """A quality switch: segment 1 of the lowest rung, then segment 2 of the highest."""
    p = tiny["t-ocean"]
    keys = KeyStore(_keys("t-ocean"))
    low, high = p.track("v240"), p.track("v480")
    parts = []
    for t, rel in ((low, low.segments[0]), (high, high.segments[1])):
        assert t.init is not None
        init, prot = decrypt_init((p.root / t.init).read_bytes())
        parts.append(bytes(init) + bytes(decrypt_segment((p.root / rel).read_bytes(), prot, keys)))
    ids = _decode(parts[0]) + _decode(parts[1])
    assert ids == list(range(p.spec.title_spec().frame_count))


def test_clear_title_decodes_directly(tiny):
    p = tiny["t-detect"]
    t = p.track("v240")
    assert t.init is not None
    data = (p.root / t.init).read_bytes() + b"".join((p.root / s).read_bytes() for s in t.segments)
    assert _decode(data) == list(range(p.spec.title_spec().frame_count))


@pytest.mark.parametrize("title_id", ["t-ocean", "t-heist"])
def test_wrong_key_is_not_silent(tiny, title_id):
    p = tiny[title_id]
    wrong = KeyStore({kid: bytes(16) for kid in default_kids(title_id).values()})
    expected = list(range(p.spec.title_spec().frame_count))
    try:
        ids = _decode(_clear_track(p, "v240", wrong))
    except (av.error.FFmpegError, SdkError):
        return  # a typed error is fine
    assert ids != expected
    assert sum(i is not None for i in ids) < len(expected) // 2


def test_missing_key_is_a_typed_error(tiny):
    p = tiny["t-ocean"]
    with pytest.raises(KeyNotFound):
        _clear_track(p, "v240", KeyStore({}))


def test_segments_are_really_encrypted(tiny):
    """The protected bytes differ from the clear encode and decode to no frame ids."""
    p = tiny["t-ocean"]
    t = p.track("v240")
    assert t.init is not None
    raw = (p.root / t.init).read_bytes() + b"".join((p.root / s).read_bytes() for s in t.segments)
    assert b"encv" in raw and b"sinf" in raw
    try:
        ids = _decode(raw)
    except av.error.FFmpegError:
        return
    assert sum(i is not None for i in ids) < len(ids) // 2


# ------------------------------------------------------------- extras and metadata


def test_two_audio_languages_and_webvtt_subtitles(tiny):
    p = tiny["t-ocean"]
    sets = _sets(p)
    audio = [a for a in sets if a.kind == "audio"]
    assert [a.lang for a in audio] == ["en", "es"]
    assert [a.roles[0].value for a in audio] == ["main", "dub"]
    assert len({a.representations[0].id for a in audio}) == 2
    (text,) = [a for a in sets if a.kind == "text"]
    assert text.lang == "en" and text.mime_type == "text/vtt"
    assert text.roles[0].value == "subtitle"
    vtt = _local(p, text.representations[0].primary_base_url).read_text()
    assert vtt.startswith("WEBVTT\n")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})", vtt)
    assert len(cues) == p.spec.title_spec().segment_count
    assert cues[-1][1] == vtt_timestamp(p.spec.duration_s)


def test_posters_are_png_images(tiny):
    sizes = set()
    for p in tiny.values():
        assert p.poster is not None
        data = (p.root / p.poster).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        with av.open(io.BytesIO(data), "r") as c:
            frame = next(c.decode(video=0))
            assert (frame.width, frame.height) == (300, 450)
        sizes.add(hashlib.sha256(data).hexdigest())
    assert len(sizes) == len(tiny)  # one poster per title, all different


def test_title_json_describes_files_and_never_keys(tiny):
    for title_id, p in tiny.items():
        text = (p.root / "title.json").read_text()
        info = json.loads(text)
        assert info["mpd"] == MPD_NAME and info["scheme"] == p.scheme
        for t in info["tracks"]:
            for s in t["segments"]:
                assert (p.root / s["path"]).is_file()
        for key in _keys(title_id).values():
            assert key.hex() not in text
        assert {f for f in p.files} == {
            q.relative_to(p.root).as_posix() for q in p.root.rglob("*") if q.is_file()
        }


def test_missing_content_key_raises_before_encoding(tmp_path):
    spec = SPECS["t-heist"]
    with pytest.raises(MissingContentKey) as err:
        package_title(spec, tmp_path / "x", keys={}, kids=default_kids("t-heist"))
    assert err.value.code == 8005 and err.value.kind == "video"
    assert not (tmp_path / "x").exists()
    with pytest.raises(MissingContentKey):
        package_title(spec, tmp_path / "y", keys=_keys("t-heist"), kids={})


def test_short_last_segment_uses_a_timeline(tmp_path):
    spec = PackageSpec(
        "t-short",
        "Short",
        3.0,
        TEST_LADDER[:1],
        fps=12,
        scheme="cenc",
        audio=(AudioTrackSpec("a64", bitrate_kbps=64, sample_rate=24_000, channels=1),),
    )
    kids = {"video": b"\x11" * 16, "audio": b"\x22" * 16}
    keys = {b"\x11" * 16: b"\x33" * 16, b"\x22" * 16: b"\x44" * 16}
    a = package_title(spec, tmp_path / "a", keys=keys, kids=kids, poster=False)
    assert a.poster is None and "poster.png" not in a.files
    m = parse_mpd(a.mpd_path.read_bytes(), "http://o/t/manifest.mpd")
    video = m.periods[0].adaptation_sets[0]
    assert isinstance(video.segment_info, SegmentTemplate)
    assert video.segment_info.timeline is not None
    assert [r.duration for r in video.representations[0].segments()] == [2.0, 1.0]
    ck = [c for c in video.content_protection if c.system_id == CLEARKEY_SYSTEM_ID]
    assert ck[0].license_urls == () and ck[0].pssh is None  # no URL given: no Laurl
    assert "Laurl" not in a.mpd_path.read_text()
    assert _decode(_clear_track(a, "v240", KeyStore(keys))) == list(range(36))
    samples = _decode_audio_samples(_clear_track(a, "a64", KeyStore(keys)))
    assert abs(samples - 3 * 24_000) <= 2048


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
def test_protection_is_deterministic_and_ivs_differ(scheme):
    spec = PackageSpec("t-det", "Det", 2.0, TEST_LADDER[:1], fps=12, scheme=scheme, audio=())
    video = encode_title(spec.title_spec()).video[0]
    kid, key = b"\x05" * 16, b"\x06" * 16
    init_a, segs_a = protect_rendition(spec, video, kid, key)
    init_b, segs_b = protect_rendition(spec, video, kid, key)
    assert (init_a, segs_a) == (init_b, segs_b)
    assert segs_a[0] != video.segments[0]
    prot = parse_init(init_a)
    (track,) = prot.tracks
    assert track.protection is not None and track.protection.scheme == scheme
    other_key = protect_rendition(spec, video, kid, b"\x07" * 16)[1]
    assert other_key[0] != segs_a[0]


@settings(max_examples=100, deadline=None)
@given(
    duration=st.floats(min_value=0.1, max_value=900, allow_nan=False),
    cue=st.sampled_from([1.0, 2.0, 4.0]),
)
def test_webvtt_cues_tile_the_title(duration, cue):
    text = webvtt("T", "en", duration, cue)
    spans = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})", text)
    assert spans
    ms = [
        (
            ((int(a) * 60 + int(b)) * 60 + int(c)) * 1000 + int(d),
            ((int(e) * 60 + int(f)) * 60 + int(g)) * 1000 + int(h),
        )
        for a, b, c, d, e, f, g, h in spans
    ]
    assert ms[0][0] == 0 and ms[-1][1] == round(duration * 1000)
    for (s0, e0), (s1, _) in itertools.pairwise(ms):
        assert e0 == s1 and s0 < e0


def test_boxes_of_every_written_segment_parse(tiny):
    for p in tiny.values():
        for t in p.tracks:
            for rel in t.segments:
                if rel.endswith(".m4s"):
                    data = (p.root / rel).read_bytes()
                    assert [b.type for b in iter_boxes(data)] == ["styp", "moof", "mdat"]


def test_an_independent_parser_reads_the_mpd(tiny):
    """mpegdash (a second, unrelated MPD parser) sees the same protection and addressing."""
    from mpegdash.parser import MPEGDASHParser

    p = tiny["t-ocean"]
    kids = default_kids("t-ocean")
    mpd = MPEGDASHParser.parse(p.mpd_path.read_text())
    sets = mpd.periods[0].adaptation_sets
    assert [a.content_type for a in sets] == ["video", "audio", "audio", "text"]
    for a in sets[:3]:
        cps = {c.scheme_id_uri: c for c in a.content_protections}
        mp4 = cps["urn:mpeg:dash:mp4protection:2011"]
        assert mp4.value == "cenc"
        assert mp4.cenc_default_kid.replace("-", "") == kids[a.content_type].hex()
        assert cps["urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"].value == "ClearKey1.0"
        template = a.segment_templates[0]
        assert template.media == "$RepresentationID$/seg-$Number$.m4s"
        assert template.initialization == "$RepresentationID$/init.mp4"
    assert sets[0].segment_templates[0].duration == 180000
    assert [r.id for r in sets[0].representations] == ["v240", "v360", "v480"]
    text_rep = sets[3].representations[0]
    assert text_rep.base_urls[0].base_url_value == "text-en/subtitles.vtt"
    assert (p.root / text_rep.base_urls[0].base_url_value).is_file()
