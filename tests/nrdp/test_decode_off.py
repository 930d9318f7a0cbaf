"""``PlayerConfig(decode=False)``: download, decrypt and present on schedule without PyAV.

The sample slots come from the fragments' boxes (:mod:`nrdp.media.samples`); they must
match what decoding the same segments gives, frame for frame.
"""

from __future__ import annotations

import contextlib
import struct
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.packager.frame_id import read_frame_id
from mediacore.boxes import box, full_box
from mediacore.errors import SdkError
from nrdp.config import BufferConfig, DeviceConfig, PlayerConfig
from nrdp.device import Device
from nrdp.errors import ConfigError, DemuxFailed
from nrdp.media.decoder import decode_segment
from nrdp.media.samples import segment_samples
from nrdp.media.sinks import HashSink
from nrdp.state import PlayerState
from nrdp.testing import VirtualClock


async def test_sample_slots_match_the_decoder_frame_for_frame(make_backend, nb):
    be = await make_backend(encrypted=False, ocas=1)
    root = be.origin.file_path(nb.TITLE.id, "manifest.mpd").parent
    renditions = sorted(p for p in root.iterdir() if (p / "init.mp4").exists())
    assert len(renditions) >= 2
    for rd in renditions:
        init = (rd / "init.mp4").read_bytes()
        segs = sorted(rd.glob("seg-*.m4s"), key=lambda p: int(p.stem.split("-")[1]))
        kind = "video" if rd.name.startswith("v") else "audio"
        total = 0
        for seg in segs:
            data, number = seg.read_bytes(), int(seg.stem.split("-")[1])
            slots = segment_samples(init, data, kind=kind, number=number)
            dec = decode_segment(init, data, kind=kind, number=number)
            frames = dec.video if kind == "video" else dec.audio
            assert len(slots) == len(frames)
            assert [round(s.pts, 6) for s in slots] == [round(f.pts, 6) for f in frames]
            total += len(slots)
        if kind == "video":
            assert total == nb.FRAMES


def test_no_samples_and_garbage_are_typed_errors():
    with pytest.raises(DemuxFailed):
        segment_samples(b"", b"", kind="video", number=1)
    with pytest.raises(ConfigError):
        PlayerConfig(decode="no")  # type: ignore[arg-type]


def _init(timescale: int, default_duration: int) -> bytes:
    tkhd = full_box("tkhd", 0, 3, b"\0" * 8, struct.pack(">I", 1), b"\0" * 68)
    mdhd = full_box("mdhd", 0, 0, b"\0" * 8, struct.pack(">II", timescale, 0), b"\0" * 4)
    trex = full_box("trex", 0, 0, struct.pack(">IIIII", 1, 1, default_duration, 0, 0))
    trak = box("trak", tkhd, box("mdia", mdhd))
    return box("ftyp", b"isom") + box("moov", trak, box("mvex", trex))


def _fragment(base: int, durations: list[int], ctos: list[int], per_sample: bool) -> bytes:
    tfhd = full_box("tfhd", 0, 0x20000, struct.pack(">I", 1))
    tfdt = full_box("tfdt", 1, 0, struct.pack(">Q", base))
    flags = 0x01 | 0x200 | 0x800 | (0x100 if per_sample else 0)
    rows = b"".join(
        (struct.pack(">I", d) if per_sample else b"") + struct.pack(">Ii", 100, c)
        for d, c in zip(durations, ctos, strict=True)
    )

    def moof(data_offset: int) -> bytes:
        trun = full_box("trun", 1, flags, struct.pack(">Ii", len(durations), data_offset), rows)
        return box("moof", box("traf", tfhd, tfdt, trun))

    # the samples lie in the mdat: a table pointing elsewhere is refused (mediacore.fmp4)
    return moof(len(moof(0)) + 8) + box("mdat", b"\0" * 100 * len(durations))


@settings(max_examples=150, deadline=None)
@given(
    timescale=st.integers(1, 90_000),
    base=st.integers(0, 2**40),
    durations=st.lists(st.integers(1, 10_000), min_size=1, max_size=40),
    per_sample=st.booleans(),
    cut=st.integers(0, 400),
)
def test_parser_counts_every_sample_and_truncation_is_typed(
    timescale, base, durations, per_sample, cut
):
    default = durations[0]
    if not per_sample:
        durations = [default] * len(durations)
    init = _init(timescale, default)
    seg = _fragment(base, durations, [0] * len(durations), per_sample)
    slots = segment_samples(init, seg, kind="video", number=1)
    assert len(slots) == len(durations)
    assert slots[0].pts * timescale == pytest.approx(base)
    assert sum(s.duration for s in slots) * timescale == pytest.approx(sum(durations))
    with contextlib.suppress(SdkError):  # a cut fragment: typed error or fewer boxes, no crash
        segment_samples(init, seg[: len(seg) - cut], kind="video", number=1)


async def _play(backend, nb, config, n, clock=None):  # type: ignore[no-untyped-def]
    cfg = DeviceConfig(f"nrdp-nodecode-{n:04d}", backend.gateway_url)
    async with Device(cfg, clock=clock) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        sink = HashSink(read_frame_id)
        player = dev.player(sink=sink, config=config)
        await player.load(nb.TITLE.id)
        engine = player.engine
        assert engine is not None
        pipeline = engine.pipeline
        cpu0 = time.process_time()
        state = await player.wait_until_done(timeout=30)
        cpu = time.process_time() - cpu0
        assert state is PlayerState.ENDED, player.stats().last_error
        stats = player.stats()
        decoded, decrypted = pipeline.decoded, pipeline.decrypted
        await player.stop()
        return sink, stats, decoded, decrypted, cpu


async def test_decode_off_plays_to_the_end_without_pyav(backend, nb):
    sink, stats, decoded, decrypted, _ = await _play(
        backend, nb, PlayerConfig(realtime=False, decode=False), 1
    )
    assert decoded == 0  # the pipeline's decode counter: PyAV never ran
    assert decrypted >= 8  # every segment was still decrypted (key errors would surface)
    assert stats.presented_frames == nb.FRAMES  # one slot per packaged frame
    assert stats.decoded_frames == 0 and stats.dropped_frames == 0
    assert sink.video_frames == 0 and sink.audio_frames == 0 and sink.ended
    assert stats.segments_downloaded >= 8 and stats.stall_count == 0


async def test_decode_off_presents_on_schedule_in_real_time(backend, nb):
    cfg = PlayerConfig(
        decode=False, buffer=BufferConfig(start=0.5, rebuffer=0.5, target=2.0, max_ahead=3.0)
    )
    clock = VirtualClock()  # on virtual time: a busy machine cannot cause a stall
    sink, stats, decoded, _, _ = await _play(backend, nb, cfg, 2, clock)
    assert clock.now() >= nb.TITLE.duration_s - 0.2  # paced, not as fast as possible
    assert decoded == 0 and stats.presented_frames == nb.FRAMES
    assert stats.stall_count == 0 and sink.video_frames == 0


async def test_decode_on_counts_decoded_as_presented(backend, nb):
    sink, stats, decoded, _, _ = await _play(backend, nb, PlayerConfig(realtime=False), 3)
    assert decoded >= 8
    assert stats.decoded_frames == stats.presented_frames == nb.FRAMES
    assert sink.frame_ids == list(range(nb.FRAMES))


@pytest.mark.parametrize(("runs", "count"), [(1, 1 << 31), (16, 1 << 20)])
def test_hostile_sample_counts_fail_fast_in_bounded_memory(runs: int, count: int) -> None:
    """Issue 17 item 4: a trun claiming 2^31 samples hung the loop 67 s, then MemoryError;
    16 x 2^20 froze it 36.5 s and took 2.1 GiB. Now a typed error, at once, in little
    memory (and the player reads slots off the loop: test_pipeline)."""
    tfhd = full_box("tfhd", 0, 0x20000, struct.pack(">I", 1))
    truns = [full_box("trun", 0, 0, struct.pack(">I", count)) for _ in range(runs)]
    seg = box("moof", box("traf", tfhd, *truns)) + box("mdat", bytes(90_000))
    tracemalloc.start()
    cpu = time.thread_time()
    with pytest.raises(SdkError, match="samples in"):
        segment_samples(_init(90_000, 3000), seg, kind="video", number=1)
    spent = time.thread_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert spent < 0.5 and peak < 16 << 20
