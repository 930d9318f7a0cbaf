"""H.264 slice header sizes (cbcs layout): bit reader, parameter sets, real x264 slices."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.encrypt import encrypt_init, plan_from_init, video_subsamples
from drm.errors import SampleLayoutError
from drm.h264 import BitReader, SliceHeaderParser, avcc_parameter_sets
from drm.protection import parse_fragment, parse_init
from mediacore.boxes import iter_boxes


def _ue_bits(v: int) -> str:
    code = bin(v + 1)[2:]
    return "0" * (len(code) - 1) + code


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5000), min_size=1, max_size=20),
    st.lists(st.integers(-500, 500), max_size=5),
)
def test_exp_golomb_round_trip(values: list[int], signed: list[int]) -> None:
    bits = "".join(_ue_bits(v) for v in values)
    bits += "".join(_ue_bits(2 * s - 1 if s > 0 else -2 * s) for s in signed)
    bits += "1" + "0" * (-(len(bits) + 1) % 8)
    raw = int(bits, 2).to_bytes(len(bits) // 8, "big")
    # Insert emulation prevention bytes the way an encoder must.
    escaped = bytearray()
    zeros = 0
    for b in raw:
        if zeros >= 2 and b <= 3:
            escaped.append(3)
            zeros = 0
        escaped.append(b)
        zeros = zeros + 1 if b == 0 else 0
    r = BitReader(bytes(escaped))
    assert [r.ue() for _ in values] == values
    assert [r.se() for _ in signed] == signed
    assert r.escaped_bytes_consumed() <= len(escaped)


def test_bit_reader_past_the_end_is_typed() -> None:
    with pytest.raises(SampleLayoutError):
        BitReader(b"\x00").ue()
    with pytest.raises(SampleLayoutError):
        avcc_parameter_sets(b"\x01\x64\x00\x1f\xff\xe1\x00\x20\x67")


def _slices(clip: bytes, media: SimpleNamespace) -> tuple[SliceHeaderParser, list[bytes]]:
    init, _ = media.split_fmp4(clip)
    plan = plan_from_init(encrypt_init(init, "cbcs", media.KID))
    (video,) = [t for t in plan.tracks if t.handler == "vide"]
    assert len(video.parameter_sets) == 2
    info = parse_init(clip)
    nals = []
    for b in iter_boxes(clip):
        if b.type == "moof":
            for tf in parse_fragment(clip, b, info).trafs:
                if tf.track_id != video.track_id:
                    continue
                for s in tf.samples:
                    pos = s.offset
                    while pos < s.offset + s.size:
                        n = int.from_bytes(clip[pos : pos + 4], "big")
                        nals.append(clip[pos + 4 : pos + 4 + n])
                        pos += 4 + n
    return SliceHeaderParser(list(video.parameter_sets)), nals


def test_real_x264_slice_headers(clip: bytes, media: SimpleNamespace) -> None:
    parser, nals = _slices(clip, media)
    sizes = []
    for nal in nals:
        if (nal[0] & 0x1F) in (1, 5):
            size = parser.header_size(nal)
            assert size is not None
            assert 2 <= size < len(nal)
            sizes.append(size)
    assert len(sizes) == 24
    # I, P and B slices have different header lengths.
    assert len(set(sizes)) > 1
    # An unknown PPS id gives None (the caller falls back), a truncated slice a typed error.
    assert SliceHeaderParser().header_size(nals[-1]) is None
    with pytest.raises(SampleLayoutError):
        parser.header_size(next(n for n in nals if (n[0] & 0x1F) == 5)[:3])


def test_cbcs_protection_starts_after_the_slice_header(clip: bytes, media: SimpleNamespace) -> None:
    parser, nals = _slices(clip, media)
    for nal in nals:
        if (nal[0] & 0x1F) not in (1, 5):
            continue
        sample = memoryview(len(nal).to_bytes(4, "big") + nal)
        ((clear, protected),) = video_subsamples(sample, 4, 1, "cbcs", parser)
        assert clear == 4 + (parser.header_size(nal) or 0)
        assert clear + protected == len(sample)
