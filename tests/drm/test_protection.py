"""Protection box parsing against the corpus facts, and every kind of lying metadata."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drm.errors import (
    AuxInfoMismatch,
    MalformedProtectionBox,
    MissingProtectionInfo,
    SampleLayoutError,
    UnsupportedScheme,
)
from drm.protection import (
    PIFF_SENC_UUID,
    mdat_ranges,
    parse_init,
    parse_segment,
)
from mediacore.boxes import Box, find_first
from mediacore.errors import SdkError


def _fragments(data: bytes, init: bytes | None = None) -> list[Any]:
    info = parse_init(init if init is not None else data)
    return parse_segment(data, info)


def test_init_facts_match_expected_json(cenc_dir: Path, expected: dict[str, Any]) -> None:
    checked = 0
    for name, entry in expected.items():
        tracks = entry.get("facts", {}).get("tracks") or {}
        if not name.startswith("cenc/") or not tracks:
            continue
        info = parse_init((cenc_dir.parent / name).read_bytes())
        for tid, fact in tracks.items():
            t = info.track(int(tid))
            assert t is not None, name
            assert t.handler == fact["handler"]
            prot = t.protection
            if "scheme" not in fact:
                assert prot is None, name
                continue
            assert prot is not None, name
            assert prot.scheme == fact["scheme"]
            assert prot.entry_type == fact["sample_entry"]
            assert prot.original_format == fact["original_format"]
            tenc = fact["tenc"]
            assert prot.tenc.kid.hex() == tenc["kid"]
            assert prot.tenc.per_sample_iv_size == tenc["per_sample_iv_size"]
            assert prot.tenc.is_protected == bool(tenc["isProtected"])
            assert prot.tenc.pattern == (tenc["crypt_byte_block"], tenc["skip_byte_block"])
            const = prot.tenc.constant_iv.hex() if prot.tenc.constant_iv else None
            assert const == tenc.get("constant_iv"), name
            checked += 1
    assert checked >= 20


def test_sample_counts_match_verified_facts(cenc_dir: Path, expected: dict[str, Any]) -> None:
    checked = 0
    for name, entry in expected.items():
        v = entry.get("verified") or {}
        if "encrypted_samples" not in v or not name.endswith(".mp4"):
            continue
        data = (cenc_dir.parent / name).read_bytes()
        frags = _fragments(data)
        samples = [s for f in frags for tf in f.trafs for s in tf.samples if tf.scheme is not None]
        assert len(samples) == v["samples"], name
        assert sum(1 for s in samples if s.params is not None) == v["encrypted_samples"], name
        checked += 1
    assert checked >= 10


def test_clear_lead_uses_the_clear_sample_entry(cenc_dir: Path) -> None:
    data = (cenc_dir / "packager_cbcs" / "bear-640x360-video.mp4").read_bytes()
    info = parse_init(data)
    (track,) = info.tracks
    assert [e.entry_type if e else None for e in track.entries] == ["encv", None]
    first, second, _ = _fragments(data)
    assert {s.description_index for s in first.trafs[0].samples} == {2}
    assert all(s.params is None for s in first.trafs[0].samples)
    assert all(
        s.params is not None and s.iv == bytes.fromhex("3334353637383930")
        for s in second.trafs[0].samples
    )


def test_aux_info_from_saio_when_senc_is_absent(cenc_dir: Path) -> None:
    d = cenc_dir / "shakaplayer_multidrm"
    seg = (d / "multidrm-video-segment.mp4").read_bytes()
    init = (d / "multidrm-video-init.mp4").read_bytes()
    (frag,) = _fragments(seg, init)
    (tf,) = frag.trafs
    assert tf.aux_source in ("senc", "saio")
    # Strip the senc (rename it): the same IVs and subsamples must come from saiz/saio.
    moof = find_first(seg, "moof")
    assert moof is not None
    senc = find_first(moof, "traf/senc")
    assert senc is not None
    no_senc = bytearray(seg)
    no_senc[senc.offset + 4 : senc.offset + 8] = b"free"
    (frag2,) = _fragments(bytes(no_senc), init)
    assert frag2.trafs[0].aux_source == "saio"
    assert frag2.trafs[0].samples == tf.samples
    assert len(tf.samples) == 192 and all(s.subsamples for s in tf.samples)


def test_gpac_saio_relative_to_moof_with_explicit_base(cenc_dir: Path) -> None:
    data = (cenc_dir / "androidx_clearkey" / "sample_fragmented_clearkey.mp4").read_bytes()
    (frag,) = _fragments(data)
    video, audio = frag.trafs
    assert video.scheme == "cenc" and audio.scheme is None
    assert len(video.samples) == 30 and len(audio.samples) == 46
    assert all(len(s.iv) == 16 for s in video.samples if s.params is not None)


def test_seig_groups_in_stbl(cenc_dir: Path) -> None:
    info = parse_init((cenc_dir / "mp4parse" / "short-cenc.mp4").read_bytes())
    video = info.track(1)
    assert video is not None and len(video.seig_groups) == 1
    g = video.seig_groups[0]
    assert g.is_protected and g.per_sample_iv_size == 16
    assert g.kid.hex() == "7e571d017e571d017e571d017e571d01"
    assert set(info.kids) == {bytes.fromhex("7e571d01" * 4), bytes.fromhex("7e571d02" * 4)}


# ------------------------------------------------------------------- synthetic fragments


def _box(t: str, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), t.encode()) + payload


def _full(t: str, v: int, f: int, payload: bytes) -> bytes:
    return _box(t, bytes([v]) + f.to_bytes(3, "big") + payload)


KID = bytes(range(16))


def _init(scheme: str = "cenc", iv_size: int = 8, seig: bytes = b"") -> bytes:
    tenc = _full(
        "tenc",
        1,
        0,
        bytes([0, 0x19 if scheme in ("cens", "cbcs") else 0, 1, iv_size])
        + KID
        + (bytes([16]) + bytes(16) if iv_size == 0 else b""),
    )
    sinf = _box(
        "sinf",
        _box("frma", b"avc1")
        + _full("schm", 0, 0, scheme.encode() + (0x10000).to_bytes(4, "big"))
        + _box("schi", tenc),
    )
    entry = _box("encv", bytes(78) + sinf)
    stsd = _full("stsd", 0, 0, (1).to_bytes(4, "big") + entry)
    stbl = _box("stbl", stsd + seig)
    hdlr = _full("hdlr", 0, 0, bytes(4) + b"vide" + bytes(13))
    tkhd = _full("tkhd", 0, 0, bytes(8) + (1).to_bytes(4, "big") + bytes(68))
    trak = _box("trak", tkhd + _box("mdia", hdlr + _box("minf", stbl)))
    trex = _full("trex", 0, 0, struct.pack(">IIIII", 1, 1, 0, 0, 0))
    return _box("ftyp", b"isom" + bytes(4)) + _box("moov", trak + _box("mvex", trex))


def _segment(
    sizes: list[int],
    *,
    senc_count: int | None = None,
    iv_size: int = 8,
    subsamples: list[list[tuple[int, int]]] | None = None,
    saiz: bytes | None = None,
    data_offset_delta: int = 0,
    trun_count: int | None = None,
    extra_traf: bytes = b"",
    iv_sizes: list[int] | None = None,
) -> bytes:
    n = len(sizes)
    tfhd = _full("tfhd", 0, 0x20000, (1).to_bytes(4, "big"))
    flags = 0x200 | 0x1
    entries = b""
    for i in range(n):
        entries += bytes([i]) * (iv_size if iv_sizes is None else iv_sizes[i])
        if subsamples is not None:
            entries += struct.pack(">H", len(subsamples[i]))
            for c, p in subsamples[i]:
                entries += struct.pack(">HI", c, p)
    senc = _full(
        "senc",
        0,
        2 if subsamples is not None else 0,
        (n if senc_count is None else senc_count).to_bytes(4, "big") + entries,
    )

    def build(offset: int) -> bytes:
        trun = _full(
            "trun",
            0,
            flags,
            struct.pack(">Ii", n if trun_count is None else trun_count, offset)
            + b"".join(s.to_bytes(4, "big") for s in sizes),
        )
        traf = _box("traf", tfhd + trun + (saiz or b"") + senc + extra_traf)
        return _box("moof", _full("mfhd", 0, 0, (1).to_bytes(4, "big")) + traf)

    moof_size = len(build(0))
    mdat = _box("mdat", bytes(sum(sizes)))
    return build(moof_size + 8 + data_offset_delta) + mdat


def test_synthetic_segment_parses() -> None:
    seg = _segment([100, 50], subsamples=[[(10, 90)], [(2, 16), (0, 32)]])
    (frag,) = _fragments(seg, _init())
    s = frag.trafs[0].samples
    assert [x.size for x in s] == [100, 50]
    assert s[0].offset == mdat_ranges(seg)[0][0] and s[1].offset == s[0].offset + 100
    assert s[1].subsamples == ((2, 16), (0, 32)) and s[1].iv == bytes([1]) * 8


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"senc_count": 3}, AuxInfoMismatch),
        ({"senc_count": 1}, AuxInfoMismatch),
        ({"iv_size": 16}, AuxInfoMismatch),  # senc entries bigger than the tenc IV size
        ({"subsamples": [[(10, 80)], [(0, 50)]]}, SampleLayoutError),  # 90 != 100
        ({"subsamples": [[(10, 90)], [(0, 5000)]]}, SampleLayoutError),
        ({"data_offset_delta": 20}, SampleLayoutError),  # second sample past mdat end
        ({"data_offset_delta": -400}, SampleLayoutError),  # points into the moof
        ({"trun_count": 100000}, SampleLayoutError),
        ({"saiz": _full("saiz", 0, 0, bytes([8]) + (5).to_bytes(4, "big"))}, AuxInfoMismatch),
        ({"saiz": _full("saiz", 0, 0, bytes([9]) + (2).to_bytes(4, "big"))}, AuxInfoMismatch),
        ({"saiz": _full("saiz", 0, 0, bytes([0]) + (200).to_bytes(4, "big"))}, AuxInfoMismatch),
        (
            {
                "extra_traf": _full("saio", 0, 0, (1).to_bytes(4, "big") + (3).to_bytes(4, "big")),
                "saiz": _full("saiz", 0, 0, bytes([8]) + (2).to_bytes(4, "big")),
            },
            AuxInfoMismatch,
        ),
    ],
)
def test_lying_fragment_metadata_is_typed(kwargs: dict[str, Any], error: type) -> None:
    seg = _segment([100, 50], **kwargs)
    with pytest.raises(error) as info:
        _fragments(seg, _init())
    assert isinstance(info.value, SdkError)


def test_unknown_scheme_and_missing_boxes() -> None:
    with pytest.raises(UnsupportedScheme) as info:
        parse_init(_init(scheme="abcd"))
    assert info.value.scheme == "abcd"
    with pytest.raises(MissingProtectionInfo):
        parse_init(_box("ftyp", b"isom" + bytes(4)))
    bad_tenc = _init(iv_size=8).replace(bytes([0, 0, 1, 8]) + KID, bytes([0, 0, 1, 7]) + KID)
    with pytest.raises(MalformedProtectionBox):
        parse_init(bad_tenc)


def test_seig_group_overrides_kid_and_marks_clear_samples() -> None:
    other_kid = bytes([0xAA]) * 16
    seig_entries = (bytes([0, 0, 1, 8]) + other_kid, bytes([0, 0, 0, 0]) + bytes(16))
    sgpd = _full(
        "sgpd",
        1,
        0,
        b"seig" + (20).to_bytes(4, "big") + (2).to_bytes(4, "big") + b"".join(seig_entries),
    )
    sbgp = _full(
        "sbgp",
        0,
        0,
        b"seig" + (2).to_bytes(4, "big") + struct.pack(">IIII", 1, 0x10001, 1, 0x10002),
    )
    seg = _segment([100, 50], extra_traf=sgpd + sbgp, iv_sizes=[8, 0])
    (frag,) = _fragments(seg, _init())
    a, b = frag.trafs[0].samples
    assert a.params is not None and a.params.kid == other_kid
    assert b.params is None
    bad = _full("sbgp", 0, 0, b"seig" + (1).to_bytes(4, "big") + struct.pack(">II", 2, 0x10009))
    with pytest.raises(MalformedProtectionBox):
        _fragments(_segment([100, 50], extra_traf=sgpd + bad, iv_sizes=[8, 0]), _init())


def test_piff_uuid_senc_is_read() -> None:
    seg = bytearray(_segment([100, 50]))
    senc = find_first(seg, "moof/traf/senc")
    assert isinstance(senc, Box)
    # Turn 'senc' into the PIFF uuid form in a rebuilt traf.
    payload = bytes(senc.payload)
    piff = struct.pack(">I4s", 8 + 16 + len(payload), b"uuid") + PIFF_SENC_UUID + payload
    traf = find_first(seg, "moof/traf")
    assert traf is not None
    body = b"".join(bytes(c.raw()) if c.type != "senc" else piff for c in traf.children())
    new_traf = _box("traf", body)
    moof = find_first(seg, "moof")
    assert moof is not None
    mfhd = bytes(seg[moof.payload_offset : traf.offset])
    new_moof = _box("moof", mfhd + new_traf)
    grow = len(new_moof) - moof.size
    rebuilt = bytearray(new_moof + bytes(seg[moof.end :]))
    trun = find_first(rebuilt, "moof/traf/trun")
    assert trun is not None
    at = trun.payload_offset + 8
    rebuilt[at : at + 4] = (int.from_bytes(rebuilt[at : at + 4], "big") + grow).to_bytes(4, "big")
    (frag,) = _fragments(bytes(rebuilt), _init())
    assert frag.trafs[0].aux_source == "senc"
    assert [s.iv for s in frag.trafs[0].samples] == [bytes(8), bytes([1]) * 8]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_corpus_segment_raises_only_typed_errors(
    cenc_dir: Path, data: st.DataObject
) -> None:
    d = cenc_dir / "packager_live_cenc"
    init = (d / "bear-640x360-audio-init.mp4").read_bytes()
    seg = bytearray((d / "bear-640x360-audio-1.m4s").read_bytes()[:3000])
    moof = find_first(seg, "moof")
    assert moof is not None
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(moof.offset, moof.end - 1))
        seg[pos] = data.draw(st.integers(0, 255))
    with contextlib.suppress(SdkError):
        _fragments(bytes(seg), init)


def test_two_truns_without_and_with_data_offset_and_saio_per_run() -> None:
    """A traf with two runs: the second continues after the first (no data offset); aux
    info comes from saiz/saio with one offset per run."""
    sizes1, sizes2 = [40, 24], [32]
    tfhd = _full("tfhd", 0, 0x20000 | 0x10, (1).to_bytes(4, "big") + (32).to_bytes(4, "big"))
    # saiz: 8-byte IVs, no subsamples; 3 samples.
    saiz = _full("saiz", 0, 0, bytes([8]) + (3).to_bytes(4, "big"))
    ivs = [bytes([9, i, 0, 0, 0, 0, 0, 0]) for i in range(3)]

    def build(data_offset: int, aux_at: tuple[int, int]) -> bytes:
        trun1 = _full(
            "trun",
            0,
            0x201,
            struct.pack(">Ii", 2, data_offset) + b"".join(s.to_bytes(4, "big") for s in sizes1),
        )
        trun2 = _full("trun", 0, 0x000, (1).to_bytes(4, "big"))  # default size 32, no offset
        saio = _full("saio", 0, 0, (2).to_bytes(4, "big") + struct.pack(">II", *aux_at))
        traf = _box("traf", tfhd + trun1 + trun2 + saiz + saio)
        return _box("moof", _full("mfhd", 0, 0, (1).to_bytes(4, "big")) + traf)

    size = len(build(0, (0, 0)))
    aux = b"".join(ivs)
    payload_start = size + 8
    # mdat: [aux for run 1 (16 bytes)][aux for run 2 (8 bytes)][samples]
    moof = build(payload_start + len(aux), (payload_start, payload_start + 16))
    seg = moof + _box("mdat", aux + bytes(sum(sizes1) + sum(sizes2)))
    (frag,) = _fragments(seg, _init())
    (tf,) = frag.trafs
    assert tf.aux_source == "saio"
    assert [s.size for s in tf.samples] == [40, 24, 32]
    first = size + 8 + len(aux)
    assert [s.offset for s in tf.samples] == [first, first + 40, first + 64]
    assert [s.iv for s in tf.samples] == ivs
