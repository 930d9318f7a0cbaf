"""Encryption: identity round trips (Hypothesis), independent oracles, PyAV and FFmpeg."""

from __future__ import annotations

import itertools
import struct
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.cenc import crypt_sample, decrypt, decrypt_init, decrypt_segment
from drm.clearkey import CLEARKEY_SYSTEM_ID_BYTES, KeyStore
from drm.encrypt import encrypt_init, encrypt_segment, plan_from_init, video_subsamples
from drm.errors import AuxInfoMismatch, InvalidKey, SampleLayoutError, UnsupportedScheme
from drm.info import describe
from drm.protection import EncryptionParams, Sample, parse_init
from drm.pssh import build_pssh, find_pssh
from mediacore.boxes import find_all, find_first, iter_boxes

KEY = bytes(range(16, 32))
SCHEMES = ["cenc", "cens", "cbc1", "cbcs"]


# ------------------------------------------------------------------ sample level


@st.composite
def samples(draw: st.DrawFn) -> tuple[str, bytes, Sample]:
    scheme = draw(st.sampled_from(SCHEMES))
    size = draw(st.integers(0, 1200))
    data = draw(st.binary(min_size=size, max_size=size))
    subs: list[tuple[int, int]] = []
    if draw(st.booleans()) and size:
        left = size
        while left:
            c = draw(st.integers(0, min(left, 300)))
            p = draw(st.integers(0, left - c))
            subs.append((c, p))
            left -= c + p
    iv_size = draw(st.sampled_from([8, 16]))
    if scheme in ("cens", "cbcs"):
        crypt, skip = draw(st.integers(0, 15)), draw(st.integers(0, 15))
        if crypt == 0:
            skip = 0
    else:
        crypt = skip = 0
    iv = draw(st.binary(min_size=iv_size, max_size=iv_size))
    params = EncryptionParams(True, iv_size, bytes(16), crypt, skip)
    return scheme, data, Sample(0, size, 1, params, iv, tuple(subs))


@settings(max_examples=300, deadline=None)
@given(samples())
def test_encrypt_then_decrypt_is_identity(case: tuple[str, bytes, Sample]) -> None:
    scheme, data, s = case
    buf = bytearray(data)
    crypt_sample(memoryview(buf), s, scheme, KEY, encrypt=True)
    # Clear bytes of every subsample stay clear.
    pos = 0
    for c, p in s.subsamples:
        assert buf[pos : pos + c] == data[pos : pos + c]
        pos += c + p
    crypt_sample(memoryview(buf), s, scheme, KEY, encrypt=False)
    assert bytes(buf) == data


def _ranges(s: Sample) -> list[tuple[int, int]]:
    if not s.subsamples:
        return [(0, s.size)]
    out, pos = [], 0
    for c, p in s.subsamples:
        out.append((pos + c, p))
        pos += c + p
    return out


def _naive(scheme: str, data: bytes, s: Sample) -> bytes:
    """A block-by-block reference written straight from ISO/IEC 23001-7, no batching."""
    p = s.params
    assert p is not None
    iv = s.iv + bytes(16 - len(s.iv))
    out = bytearray(data)
    aes = algorithms.AES(KEY)
    ecb = Cipher(aes, modes.ECB()).encryptor()
    if scheme == "cenc":
        prot = b"".join(data[a : a + n] for a, n in _ranges(s))
        ks = Cipher(aes, modes.CTR(iv)).encryptor().update(bytes(len(prot)))
        k = 0
        for a, n in _ranges(s):
            for i in range(n):
                out[a + i] ^= ks[k]
                k += 1
        return bytes(out)
    crypt, skip = p.crypt_byte_block, p.skip_byte_block
    if crypt == 0:
        crypt, skip = 1, 0
    counter = int.from_bytes(iv, "big")
    chain = iv
    if scheme == "cbc1":
        blocks = []
        for a, n in _ranges(s):
            blocks.extend(range(a, a + n))
        whole = len(blocks) - len(blocks) % 16
        for b0 in range(0, whole, 16):
            idx = blocks[b0 : b0 + 16]
            x = bytes(out[i] ^ chain[j] for j, i in enumerate(idx))
            chain = ecb.update(x)
            for j, i in enumerate(idx):
                out[i] = chain[j]
        return bytes(out)
    for a, n in _ranges(s):
        if scheme == "cbcs":
            chain = iv
        nblocks = n // 16
        b = 0
        while b < nblocks:
            for _ in range(crypt):
                if b >= nblocks:
                    break
                at = a + 16 * b
                if scheme == "cens":
                    ks = ecb.update(counter.to_bytes(16, "big"))
                    counter = (counter + 1) % (1 << 128)
                    out[at : at + 16] = bytes(
                        x ^ y for x, y in zip(out[at : at + 16], ks, strict=True)
                    )
                else:
                    chain = ecb.update(
                        bytes(x ^ y for x, y in zip(out[at : at + 16], chain, strict=True))
                    )
                    out[at : at + 16] = chain
                b += 1
            b += skip
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(samples())
def test_encryption_matches_a_naive_block_by_block_reference(
    case: tuple[str, bytes, Sample],
) -> None:
    scheme, data, s = case
    buf = bytearray(data)
    crypt_sample(memoryview(buf), s, scheme, KEY, encrypt=True)
    assert bytes(buf) == _naive(scheme, data, s)


# ---------------------------------------------------------------- NAL subsamples


def _nal(t: int, size: int) -> bytes:
    return (
        size.to_bytes(4, "big") + bytes([0x60 | t]) + bytes((i * 7) & 0xFF for i in range(size - 1))
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([1, 5, 6, 7, 8, 9]), st.integers(1, 70000)),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(SCHEMES),
)
def test_video_subsamples_cover_the_sample(nals: list[tuple[int, int]], scheme: str) -> None:
    sample = b"".join(_nal(t, n) for t, n in nals)
    subs = video_subsamples(memoryview(sample), 4, 1, scheme)
    assert sum(c + p for c, p in subs) == len(sample)
    assert all(c <= 0xFFFF for c, _ in subs)
    pos = 0
    starts = []
    for _, n in nals:
        starts.append(pos)
        pos += 4 + n
    prot_total = sum(p for _, p in subs)
    vcl = [(s, n) for s, (t, n) in zip(starts, nals, strict=True) if t in (1, 5)]
    if scheme != "cbcs":
        assert all(p % 16 == 0 for _, p in subs)
        assert prot_total == sum((n - 1) // 16 * 16 for _, n in vcl)
    # Every protected range starts after its NAL unit's header (and cbcs slice header).
    lead = 4 + (32 if scheme == "cbcs" else 1)
    pos = 0
    for c, p in subs:
        pos += c
        if p:
            start = max(s for s, _ in vcl if s <= pos)
            assert pos >= start + min(lead, 4 + 1)
            if scheme == "cbcs":
                assert pos - start >= lead
        pos += p


def test_truncated_nal_is_typed() -> None:
    with pytest.raises(SampleLayoutError):
        video_subsamples(memoryview(_nal(5, 100)[:-1]), 4, 1, "cenc")
    with pytest.raises(SampleLayoutError):
        video_subsamples(memoryview(b"\0\0"), 4, 1, "cenc")


# ---------------------------------------------------------------- PyAV clips


def _encrypt_clip(
    clip: bytes, media: SimpleNamespace, scheme: str, **kw: object
) -> tuple[bytes, list[bytes], bytes]:
    init, segments = media.split_fmp4(clip)
    enc_init = encrypt_init(init, scheme, media.KID, **kw)  # type: ignore[arg-type]
    plan = plan_from_init(enc_init)
    enc_segments = [encrypt_segment(s, plan, media.KEY) for s in segments]
    return enc_init, enc_segments, enc_init + b"".join(enc_segments)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_clip_round_trip_and_info(clip: bytes, media: SimpleNamespace, scheme: str) -> None:
    enc_init, enc_segments, whole = _encrypt_clip(clip, media, scheme)
    info = parse_init(enc_init)
    assert {t.protection.scheme for t in info.tracks if t.protection} == {scheme}
    assert [
        e.type for s in find_all(enc_init, "moov/trak/mdia/minf/stbl/stsd") for e in s.children(8)
    ] == ["encv", "enca"]
    (ck,) = [p for p in find_pssh(enc_init) if p.system_id == CLEARKEY_SYSTEM_ID_BYTES]
    assert ck.kids == (media.KID,)
    assert media.mdat_bytes(whole) != media.mdat_bytes(clip)
    doc = describe(whole)
    video = next(t for t in doc["tracks"] if t["handler"] == "vide")
    assert video["encrypted_samples"] == video["samples"] > 0
    assert video["subsamples"] >= video["samples"]
    # Segment by segment, like the player.
    clear_init, prot = decrypt_init(enc_init)
    keys = KeyStore({media.KID: media.KEY})
    out = clear_init + b"".join(bytes(decrypt_segment(s, prot, keys)) for s in enc_segments)
    assert media.mdat_bytes(out) == media.mdat_bytes(clip)
    assert media.decode_hashes(out) == media.decode_hashes(clip)


@pytest.mark.parametrize("scheme", ["cenc", "cbc1", "cbcs"])
def test_ffmpeg_decrypts_what_drm_encrypted(
    clip: bytes, media: SimpleNamespace, scheme: str
) -> None:
    """FFmpeg's mov demuxer (decryption_key) is an independent decrypter.

    (Not cens: FFmpeg mishandles the 0:0 audio pattern, see the corpus README.)
    """
    _, _, whole = _encrypt_clip(clip, media, scheme)
    clear_hashes, clear_errors = media.decode_hashes(clip)
    hashes, errors = media.decode_hashes(whole, {"decryption_key": media.KEY.hex()})
    assert clear_errors == errors == 0
    assert hashes == clear_hashes


def test_ffmpeg_decrypts_drm_cens_video(video_clip: bytes, media: SimpleNamespace) -> None:
    _, _, whole = _encrypt_clip(video_clip, media, "cens")
    hashes, errors = media.decode_hashes(whole, {"decryption_key": media.KEY.hex()})
    assert errors == 0 and hashes == media.decode_hashes(video_clip)[0]


def test_drm_decrypts_what_ffmpeg_encrypted(media: SimpleNamespace) -> None:
    opts = {
        "encryption_scheme": "cenc-aes-ctr",
        "encryption_key": media.KEY.hex(),
        "encryption_kid": media.KID.hex(),
    }
    clear = media.remux(media.make_clip(audio=False), {})
    enc = media.remux(clear, opts)
    prot = parse_init(enc).tracks[0].protection
    assert prot is not None and prot.scheme == "cenc" and prot.tenc.kid == media.KID
    assert media.mdat_bytes(enc) != media.mdat_bytes(clear)
    out = decrypt(enc, KeyStore({media.KID: media.KEY}))
    assert media.mdat_bytes(out) == media.mdat_bytes(clear)
    hashes, errors = media.decode_hashes(out)
    assert errors == 0
    assert hashes == media.decode_hashes(clear)[0]
    assert len(hashes) == 24


def test_ffmpeg_audio_senc_bug_is_a_typed_error(media: SimpleNamespace) -> None:
    """FFmpeg's muxer keeps appending earlier fragments' audio senc entries (its own demuxer
    fails too); the counts lie, so decrypting must refuse rather than guess."""
    opts = {
        "encryption_scheme": "cenc-aes-ctr",
        "encryption_key": media.KEY.hex(),
        "encryption_kid": media.KID.hex(),
    }
    enc = media.remux(media.make_clip(audio=True), opts)
    with pytest.raises(AuxInfoMismatch):
        decrypt(enc, KeyStore({media.KID: media.KEY}))


def test_options_constant_iv_pattern_and_extra_pssh(clip: bytes, media: SimpleNamespace) -> None:
    widevine = build_pssh("edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", [media.KID], b"\x12\x10")
    enc_init, _, whole = _encrypt_clip(
        clip, media, "cbcs", constant_iv=bytes(range(8)), pattern=(2, 8), pssh=[widevine]
    )
    info = parse_init(enc_init)
    video = next(t for t in info.tracks if t.handler == "vide")
    audio = next(t for t in info.tracks if t.handler == "soun")
    assert video.protection is not None and audio.protection is not None
    assert video.protection.tenc.pattern == (2, 8)
    assert audio.protection.tenc.pattern == (0, 0)
    assert video.protection.tenc.constant_iv == bytes(range(8))
    assert {p.system_name for p in find_pssh(enc_init)} == {"ClearKey", "Widevine"}
    out = decrypt(whole, KeyStore({media.KID: media.KEY}))
    assert media.mdat_bytes(out) == media.mdat_bytes(clip)


def test_16_byte_ctr_ivs_never_share_keystream(clip: bytes, media: SimpleNamespace) -> None:
    init, segments = media.split_fmp4(clip)
    enc_init = encrypt_init(init, "cenc", media.KID, iv_size=16)
    seg = encrypt_segment(segments[0], enc_init, media.KEY, iv=bytes(16))
    info = parse_init(enc_init)
    moof = find_first(seg, "moof")
    assert moof is not None
    from drm.protection import parse_fragment

    frag = parse_fragment(seg, moof, info)
    for tf in frag.trafs:
        spans = []
        for s in tf.samples:
            start = int.from_bytes(s.iv, "big")
            spans.append((start, start + (s.size + 15) // 16))
        for (a0, a1), (b0, _) in itertools.pairwise(spans):
            assert b0 >= a1 > a0


def test_sidx_sizes_follow_the_grown_moofs(clip: bytes, media: SimpleNamespace) -> None:
    init, segments = media.split_fmp4(clip)
    seg = segments[0]
    # Prefix a sidx with one reference covering the moof+mdat.
    ref = struct.pack(">III", len(seg), 1000, 0x90000000)
    sidx_payload = bytes(4) + struct.pack(">IIIIHH", 1, 1000, 0, 0, 0, 1) + ref
    sidx = struct.pack(">I4s", 8 + len(sidx_payload), b"sidx") + sidx_payload
    enc_init = encrypt_init(init, "cenc", media.KID)
    out = encrypt_segment(sidx + seg, enc_init, media.KEY)
    boxes = list(iter_boxes(out))
    assert boxes[0].type == "sidx"
    size = int.from_bytes(bytes(boxes[0].payload[24:28]), "big") & 0x7FFFFFFF
    assert size == len(out) - boxes[0].size > len(seg)
    dec = decrypt_segment(out, parse_init(enc_init), KeyStore({media.KID: media.KEY}))
    assert media.mdat_bytes(dec) == media.mdat_bytes(seg)


def test_bad_arguments_are_typed(clip: bytes, media: SimpleNamespace) -> None:
    init, segments = media.split_fmp4(clip)
    with pytest.raises(UnsupportedScheme):
        encrypt_init(init, "aes1", media.KID)
    with pytest.raises(InvalidKey):
        encrypt_init(init, "cenc", b"short")
    with pytest.raises(UnsupportedScheme):
        encrypt_init(init, "cenc", media.KID, pattern=(1, 9))
    enc_init = encrypt_init(init, "cenc", media.KID)
    with pytest.raises(InvalidKey):
        encrypt_segment(segments[0], enc_init, b"short")
    with pytest.raises(InvalidKey):
        encrypt_segment(segments[0], enc_init, media.KEY, iv=bytes(3))
