"""Frame ids drawn as luma blocks: round trips, rejection, downscaling, real H.264 at low rates."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.packager.errors import FrameIdUnreadable
from fake_backend.packager.frame_id import (
    MAX_FRAME_ID,
    band_geometry,
    draw_frame_id,
    read_frame_id,
    require_frame_id,
    stamp,
)
from fake_backend.packager.picture import SyntheticPicture

frame_numbers = st.integers(min_value=0, max_value=MAX_FRAME_ID)
even = st.integers(min_value=16, max_value=960).map(lambda v: 2 * v)


def _block_average(luma: np.ndarray, factor: int) -> np.ndarray:
    h, w = (luma.shape[0] // factor) * factor, (luma.shape[1] // factor) * factor
    blocks = luma[:h, :w].reshape(h // factor, factor, w // factor, factor).astype(np.float64)
    return blocks.mean(axis=(1, 3)).round().astype(np.uint8)


@settings(max_examples=200, deadline=None)
@given(n=frame_numbers, width=even, height=even)
def test_draw_then_read_round_trips(n: int, width: int, height: int) -> None:
    assert read_frame_id(draw_frame_id(n, width, height)) == n


@settings(max_examples=100, deadline=None)
@given(n=frame_numbers, factor=st.sampled_from([2, 3, 4]), seed=st.integers(0, 2**32 - 1))
def test_stamped_picture_still_reads_after_block_average_downscale(
    n: int, factor: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    luma = rng.integers(0, 256, size=(720, 1280), dtype=np.uint8)
    stamp(luma, n)
    small = _block_average(luma, factor)
    # The band geometry is proportional only up to rounding; the reader must cope.
    assert read_frame_id(small) == n


@settings(max_examples=100, deadline=None)
@given(n=frame_numbers, seed=st.integers(0, 2**32 - 1))
def test_stamp_survives_additive_noise(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    luma = draw_frame_id(n, 640, 360).astype(np.int32)
    noisy = np.clip(luma + rng.normal(0, 25, size=luma.shape), 0, 255).astype(np.uint8)
    assert read_frame_id(noisy) == n


@settings(max_examples=150, deadline=None)
@given(level=st.integers(0, 255), width=even, height=even)
def test_flat_picture_has_no_frame_id(level: int, width: int, height: int) -> None:
    assert read_frame_id(np.full((height, width), level, dtype=np.uint8)) is None


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), width=even, height=even)
def test_noise_picture_has_no_frame_id(seed: int, width: int, height: int) -> None:
    rng = np.random.default_rng(seed)
    assert read_frame_id(rng.integers(0, 256, size=(height, width), dtype=np.uint8)) is None


@settings(max_examples=200, deadline=None)
@given(n=frame_numbers, data=st.data())
def test_any_single_flipped_cell_is_rejected_by_the_check_bits(n: int, data: st.DataObject) -> None:
    luma = draw_frame_id(n, 320, 240)
    geo = band_geometry(320, 240)
    markers = {(0, 0), (0, 15), (1, 0), (1, 15)}
    cells = [(r, c) for r in range(2) for c in range(16) if (r, c) not in markers]
    r, c = data.draw(st.sampled_from(cells))
    y0, y1, x0, x1 = geo.cells[r][c]
    luma[y0:y1, x0:x1] = 251 - luma[y0:y1, x0:x1]  # 16 <-> 235
    assert read_frame_id(luma) is None


def test_missing_marker_is_rejected() -> None:
    luma = draw_frame_id(1234, 640, 360)
    y0, y1, x0, x1 = band_geometry(640, 360).cells[0][0]
    luma[y0:y1, x0:x1] = 16
    assert read_frame_id(luma) is None


def test_require_frame_id_raises_a_typed_error_with_reason() -> None:
    with pytest.raises(FrameIdUnreadable) as info:
        require_frame_id(np.full((240, 426), 128, dtype=np.uint8))
    assert info.value.code == 8004
    assert "contrast" in info.value.reason
    assert require_frame_id(draw_frame_id(77, 426, 240)) == 77


def test_too_small_or_wrong_shape_reads_as_none() -> None:
    assert read_frame_id(np.zeros((20, 20), dtype=np.uint8)) is None
    assert read_frame_id(np.zeros((64, 64, 3), dtype=np.uint8)) is None


def test_out_of_range_frame_number_is_refused() -> None:
    with pytest.raises(ValueError):
        draw_frame_id(MAX_FRAME_ID + 1, 320, 240)
    with pytest.raises(ValueError):
        draw_frame_id(-1, 320, 240)


def test_reads_from_video_frames_of_any_pixel_format() -> None:
    luma = draw_frame_id(4242, 640, 360)
    rgb = np.repeat(luma[:, :, None], 3, axis=2)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    assert read_frame_id(frame) == 4242
    assert read_frame_id(frame.reformat(format="yuv420p")) == 4242
    assert read_frame_id(frame.reformat(width=256, height=144, format="yuv420p")) == 4242


def test_pyav_downscale_of_a_1080p_picture_reads_at_every_rung_size() -> None:
    source = SyntheticPicture(1920, 1080).render(98765).to_video_frame()
    for width, height in [(1280, 720), (854, 480), (640, 360), (426, 240), (256, 144)]:
        for interpolation in ("AREA", "BILINEAR", "BICUBIC"):
            small = source.reformat(width=width, height=height, interpolation=interpolation)
            assert read_frame_id(small) == 98765, (width, height, interpolation)


@pytest.mark.parametrize(
    ("width", "height", "kbps"),
    [(426, 240, 150), (640, 360, 250), (854, 480, 400), (1280, 720, 700), (1920, 1080, 1200)],
)
def test_ids_survive_low_bitrate_h264_at_every_resolution(
    width: int, height: int, kbps: int
) -> None:
    fps, count = 30, 30
    picture = SyntheticPicture(width, height)
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = width, height, "yuv420p"
    enc.time_base = Fraction(1, fps)
    enc.framerate = Fraction(fps)
    enc.bit_rate = kbps * 1000
    enc.options = {
        "preset": "ultrafast",
        "g": "30",
        "bf": "0",
        "maxrate": f"{kbps}k",
        "bufsize": f"{kbps}k",
    }
    dec = av.CodecContext.create("h264", "r")
    start = 5000  # exercise high bits too
    ids = []
    packets = []
    for i in range(count):
        frame = picture.render(start + i).to_video_frame()
        frame.pts = i
        packets.extend(enc.encode(frame))
    packets.extend(enc.encode(None))
    for packet in packets:
        ids.extend(read_frame_id(f) for f in dec.decode(packet))
    ids.extend(read_frame_id(f) for f in dec.decode(None))
    achieved_kbps = sum(p.size for p in packets) * 8 * fps / count / 1000
    assert achieved_kbps < 1.5 * kbps  # really a starved encode
    assert ids == list(range(start, start + count))
