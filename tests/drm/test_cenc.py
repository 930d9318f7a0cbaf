"""Decryption proven against implementations nobody here wrote: the corpus and FFmpeg."""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.cenc import (
    _decrypt_cbcs_batch,
    _decrypt_ctr_samples,
    _Scratch,
    crypt_sample,
    decrypt,
    decrypt_init,
    decrypt_segment,
    decrypt_segment_into,
)
from drm.clearkey import KeyStore
from drm.errors import AuxInfoMismatch, KeyNotFound, MissingProtectionInfo, SampleLayoutError
from drm.protection import EncryptionParams, Sample, parse_init
from mediacore.boxes import find_all, iter_boxes, walk

PACKAGER_SETS = [
    "packager_cenc",
    "packager_cens",
    "packager_cbc1",
    "packager_cbcs",
    "packager_cbcs_full",
]
PROTECTION_BOXES = {"sinf", "pssh", "senc", "saiz", "saio", "encv", "enca"}


def _types(data: bytes | bytearray) -> set[str]:
    containers = frozenset({"moov", "trak", "mdia", "minf", "stbl", "moof", "traf", "mvex"})
    return {b.type for b in walk(data, containers)}


def _entry_types(data: bytes | bytearray) -> list[str]:
    return [e.type for s in find_all(data, "moov/trak/mdia/minf/stbl/stsd") for e in s.children(8)]


@pytest.mark.parametrize("name", PACKAGER_SETS)
@pytest.mark.parametrize("kind", ["audio", "video"])
def test_packager_sets_equal_the_golden_sample_by_sample(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace, name: str, kind: str
) -> None:
    enc = (cenc_dir / name / f"bear-640x360-{kind}.mp4").read_bytes()
    golden = (cenc_dir / name / f"decrypted-bear-640x360-{kind}-0.mp4").read_bytes()
    out = decrypt(enc, corpus_keys)
    assert len(out) == len(enc)
    assert media.mdat_bytes(enc) != media.mdat_bytes(golden)
    assert media.mdat_bytes(out) == media.mdat_bytes(golden)
    assert not _types(out) & {"sinf", "pssh", "senc", "saiz", "saio"}
    assert set(_entry_types(out)) == {"avc1" if kind == "video" else "mp4a"}


def test_androidx_16_byte_ivs_equal_the_clear_file(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace
) -> None:
    d = cenc_dir / "androidx_clearkey"
    out = decrypt((d / "sample_fragmented_clearkey.mp4").read_bytes(), corpus_keys)
    assert media.mdat_bytes(out) == media.mdat_bytes((d / "sample_fragmented.mp4").read_bytes())


def _segments(paths: list[Path], keys: KeyStore) -> bytearray:
    clear_init, info = decrypt_init(paths[0].read_bytes())
    out = bytearray(clear_init)
    for p in paths[1:]:
        out += decrypt_segment(p.read_bytes(), info, keys)
    return out


SEGMENT_SETS = {
    "live-video": (
        "packager_live_cenc",
        ["bear-640x360-video-init.mp4"] + [f"bear-640x360-video-{i}.m4s" for i in (1, 2, 3)],
        82,
    ),
    "live-audio": (
        "packager_live_cenc",
        ["bear-640x360-audio-init.mp4"] + [f"bear-640x360-audio-{i}.m4s" for i in (1, 2, 3)],
        118,
    ),
    "dash-clearkey": (
        "shakaplayer_dash-clearkey",
        ["video-H264-288-400k_init.mp4"] + [f"video-H264-288-400k_{i}.m4s" for i in range(1, 6)],
        480,
    ),
    "multidrm-video": (
        "shakaplayer_multidrm",
        ["multidrm-video-init.mp4", "multidrm-video-segment.mp4"],
        192,
    ),
    "multidrm-audio": (
        "shakaplayer_multidrm",
        ["multidrm-audio-init.mp4", "multidrm-audio-segment.mp4"],
        375,
    ),
}


@pytest.mark.parametrize("set_name", sorted(SEGMENT_SETS))
def test_segment_sets_decode_without_errors(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace, set_name: str
) -> None:
    folder, names, frames = SEGMENT_SETS[set_name]
    paths = [cenc_dir / folder / n for n in names]
    out = _segments(paths, corpus_keys)
    hashes, errors = media.decode_hashes(out)
    assert errors == 0
    assert len(hashes) == frames
    encrypted = bytearray(paths[0].read_bytes())
    for p in paths[1:]:
        encrypted += p.read_bytes()
    assert media.mdat_bytes(out) != media.mdat_bytes(encrypted)


def test_wrong_key_gives_decoder_errors(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace
) -> None:
    """The zero-error check above can fail: with a wrong key the decoder complains.

    (Only for this H.264 set: FFmpeg's AAC decoder may crash on garbage input.)
    """
    folder, names, _ = SEGMENT_SETS["dash-clearkey"]
    wrong = KeyStore({k: bytes(16) for k in corpus_keys.kids()})
    _, errors = media.decode_hashes(_segments([cenc_dir / folder / n for n in names], wrong))
    assert errors > 50


def test_av1_cenc_decodes(cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace) -> None:
    data = (cenc_dir / "androidx_clearkey" / "sample_av1c_fragmented_clearkey.mp4").read_bytes()
    hashes, errors = media.decode_hashes(decrypt(data, corpus_keys))
    assert (len(hashes), errors) == (30, 0)


@pytest.mark.parametrize("kind", ["a", "v"])
def test_signalled_but_clear_segments_pass_through(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace, kind: str
) -> None:
    d = cenc_dir / "shakaplayer_clear-encrypted"
    clear_init, info = decrypt_init((d / f"enc-{kind}-init.mp4").read_bytes())
    assert info.encrypted
    assert "sinf" not in _types(clear_init)
    for i in (1, 2):
        out = decrypt_segment((d / f"enc-{kind}-s{i}.mp4").read_bytes(), info, corpus_keys)
        assert media.mdat_bytes(out) == media.mdat_bytes(
            (d / f"clear-{kind}-s{i}.mp4").read_bytes()
        )


def test_cbcs_signalled_without_senc_is_clear(
    cenc_dir: Path, corpus_keys: KeyStore, media: SimpleNamespace
) -> None:
    data = (cenc_dir / "mp4parse" / "av1-clearkey-cbcs-video.mp4").read_bytes()
    out = decrypt(data, corpus_keys)
    assert media.mdat_bytes(out) == media.mdat_bytes(data)
    assert media.decode_hashes(out)[1] == 0


@pytest.mark.parametrize("name", ["bipbop_cbcs_audio_init.mp4", "bipbop_cbcs_video_init.mp4"])
def test_init_only_files(cenc_dir: Path, name: str) -> None:
    data = (cenc_dir / "mp4parse" / name).read_bytes()
    clear, info = decrypt_init(data)
    assert len(clear) == len(data)
    assert info.kids == (bytes.fromhex("7e571d047e571d047e571d047e571d21"),)
    assert not set(_entry_types(clear)) & {"encv", "enca"}
    assert "sinf" not in _types(clear) and "pssh" not in _types(clear)


def test_missing_key_names_the_kid_never_a_key_and_leaves_input_untouched(
    cenc_dir: Path, corpus_keys: KeyStore
) -> None:
    d = cenc_dir / "packager_live_cenc"
    info = parse_init((d / "bear-640x360-video-init.mp4").read_bytes())
    seg = bytearray((d / "bear-640x360-video-2.m4s").read_bytes())
    before = bytes(seg)
    other = KeyStore({bytes(16): bytes.fromhex("32333435363738393021323334353637")})
    with pytest.raises(KeyNotFound) as exc:
        decrypt_segment_into(seg, info, other)
    assert "31323334353637383930313233343536" in str(exc.value)
    assert "32333435363738393021323334353637" not in str(exc.value)
    assert "32333435363738393021323334353637" not in repr(exc.value.to_dict())
    assert bytes(seg) == before


def test_segment_without_init_info_is_typed(cenc_dir: Path, corpus_keys: KeyStore) -> None:
    seg = (cenc_dir / "packager_live_cenc" / "bear-640x360-video-1.m4s").read_bytes()
    with pytest.raises(MissingProtectionInfo):
        decrypt(seg, corpus_keys)
    audio_info = parse_init(
        (cenc_dir / "packager_live_cenc" / "bear-640x360-audio-init.mp4").read_bytes()
    )
    # The audio init describes track 1 as audio: the video segment's samples then lie.
    with contextlib.suppress(SampleLayoutError, AuxInfoMismatch, KeyNotFound):
        decrypt_segment(seg, audio_info, corpus_keys)


def _mutate_first(seg: bytes, box_type: str, field_at: int, value: int) -> bytes:
    out = bytearray(seg)
    for b in iter_boxes(out):
        if b.type == "moof":
            for t in find_all(b, f"traf/{box_type}"):
                at = t.payload_offset + field_at
                out[at : at + 4] = value.to_bytes(4, "big")
                return bytes(out)
    raise AssertionError(box_type)


@pytest.mark.parametrize(
    ("box", "at", "value", "error"),
    [
        ("senc", 4, 29, AuxInfoMismatch),  # sample count lies (30 samples)
        ("senc", 4, 31, AuxInfoMismatch),
        ("saiz", 5, 7, AuxInfoMismatch),  # saiz sample count (after default size) lies
        ("trun", 4, 31, SampleLayoutError),  # trun claims one more sample
        ("trun", 8, 0x7FFFFF00, SampleLayoutError),  # data offset outside mdat
        ("trun", 12, 0x00FFFFFF, SampleLayoutError),  # first sample size beyond mdat
    ],
)
def test_lying_counts_in_a_real_segment(
    cenc_dir: Path, corpus_keys: KeyStore, box: str, at: int, value: int, error: type
) -> None:
    d = cenc_dir / "packager_live_cenc"
    info = parse_init((d / "bear-640x360-video-init.mp4").read_bytes())
    seg = (d / "bear-640x360-video-2.m4s").read_bytes()
    bad = _mutate_first(seg, box, at, value)
    with pytest.raises(error):
        decrypt_segment(bad, info, corpus_keys)


def test_every_corpus_file_with_keys_is_handled(
    cenc_dir: Path, corpus_keys: KeyStore, expected: dict[str, Any], media: SimpleNamespace
) -> None:
    """Every corpus file that has keys decrypts (alone or with its init) to clear fMP4."""
    done = 0
    for name, entry in sorted(expected.items()):
        if not name.startswith("cenc/") or not entry.get("keys") or name.endswith(".mpd"):
            continue
        path = cenc_dir.parent / name
        data = path.read_bytes()
        init = media.init_for(path)
        if init is not None and init != path:
            out = decrypt(data, corpus_keys, parse_init(init.read_bytes()))
        else:
            out = decrypt(data, corpus_keys)
        assert len(out) == len(data)
        assert not _types(out) & PROTECTION_BOXES, name
        done += 1
    assert done >= 25


# ------------------------------------------------------- batched fast paths (Hypothesis)


@st.composite
def _fragment(draw: st.DrawFn, scheme: str) -> tuple[bytes, list[Sample]]:
    data = b""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        size = draw(st.integers(0, 700))
        subs: list[tuple[int, int]] = []
        if draw(st.booleans()) and size:
            left = size
            while left:
                c = draw(st.integers(0, min(left, 200)))
                p = draw(st.integers(0, left - c))
                subs.append((c, p))
                left -= c + p
        crypt, skip = (
            (draw(st.integers(0, 9)), draw(st.integers(0, 9))) if scheme == "cbcs" else (0, 0)
        )
        iv = (
            draw(st.binary(min_size=16, max_size=16))
            if draw(st.booleans())
            else draw(st.binary(min_size=8, max_size=8))
        )
        params = EncryptionParams(True, len(iv), bytes(16), crypt, skip)
        out.append(Sample(len(data), size, 1, params, iv, tuple(subs)))
        data += draw(st.binary(min_size=size, max_size=size))
    return data, out


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_batched_decryption_equals_per_sample_reference(scheme: str, data: st.DataObject) -> None:
    clear, samples = data.draw(_fragment(scheme))
    key = bytes(range(16))
    buf = bytearray(clear)
    for s in samples:
        crypt_sample(memoryview(buf), s, scheme, key, encrypt=True)
    aes = algorithms.AES(key)
    items = [(s, aes) for s in samples]
    if scheme == "cenc":
        _decrypt_ctr_samples(memoryview(buf), items)
    else:
        _decrypt_cbcs_batch(memoryview(buf), items, _Scratch())
    assert bytes(buf) == clear
