"""Decrypt + decode of real packaged media: the licensed key, a wrong key, a missing key,
damaged bytes, and quality switches between representations."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading

import pytest

from drm import KeyStore
from drm.errors import KeyNotFound
from fake_backend.packager.frame_id import read_frame_id
from mediacore.boxes import find_all
from nrdp.config import DeviceConfig
from nrdp.device import Device
from nrdp.errors import ContentKeyMismatch, DemuxFailed, LicenseDenied
from nrdp.media.decoder import decode_segment
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink, luma_digest
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import fetch_playback_manifest


@pytest.fixture
async def licensed(backend, nb):  # type: ignore[no-untyped-def]
    async with Device(DeviceConfig("nrdp-pipe-device-0001", backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        pm = await fetch_playback_manifest(dev.playback, dev.auth, nb.TITLE.id)
        keys = await acquire_license(dev.playback, dev.auth, pm, pm.kids)
        yield dev, pm, keys


def read(be, title, path):  # type: ignore[no-untyped-def]
    return be.origin.file_path(title.id, path).read_bytes()


async def test_licensed_keys_decrypt_and_decode_with_quality_switches(backend, nb, licensed):
    _, _, keys = licensed
    assert set(keys.kids()) == set(nb.TITLE.kids)
    pipe = MediaPipeline(keys)
    sink = HashSink(read_frame_id)
    seen_threads: set[str] = set()
    try:
        for number, rung in enumerate(["v240", "v360", "v240", "v360"], start=1):
            init = await pipe.prepare_init(rung, read(backend, nb.TITLE, f"{rung}/init.mp4"))
            assert init.kids == (nb.TITLE.kids[0],)
            seg = read(backend, nb.TITLE, f"{rung}/seg-{number}.m4s")
            clear = await pipe.decrypt(init, seg)
            assert clear != seg and len(clear) == len(seg)
            decoded = await pipe.decode(init, clear, kind="video", number=number)
            for frame in decoded.video:
                sink.on_video(frame)
            seen_threads |= {t.name for t in threading.enumerate()}
        assert sink.frame_ids == list(range(nb.FRAMES))
        assert sink.rungs[:10] == ["v240"] * 10 and sink.rungs[10:20] == ["v360"] * 10
        assert sink.video_pts == pytest.approx([i / nb.FPS for i in range(nb.FRAMES)])
        assert any(n.startswith("nrdp-media") for n in seen_threads)
    finally:
        pipe.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("nrdp-media")]


async def test_reused_decoder_contexts_give_the_frames_of_a_fresh_decoder(backend, nb, licensed):
    """Segments decoded through the pipeline's pooled contexts, out of order and across
    quality switches, match a per-segment decoder frame by frame (pts, digest, frame id),
    and each rendition needs one context however many segments it decodes."""
    _, _, keys = licensed
    pipe = MediaPipeline(keys)
    try:
        order = [("v360", 2), ("v240", 1), ("v360", 1), ("v360", 2), ("v240", 4), ("v240", 3)]
        for rung, number in order:
            init = await pipe.prepare_init(rung, read(backend, nb.TITLE, f"{rung}/init.mp4"))
            clear = await pipe.decrypt(init, read(backend, nb.TITLE, f"{rung}/seg-{number}.m4s"))
            pooled = await pipe.decode(init, clear, kind="video", number=number)
            fresh = decode_segment(
                init.data, clear, kind="video", number=number, rung=rung, digests=True
            )
            assert len(pooled.video) == len(fresh.video) == nb.FRAMES // 4
            assert [f.pts for f in pooled.video] == [f.pts for f in fresh.video]
            assert [f.digest for f in pooled.video] == [f.digest for f in fresh.video]
            ids = [read_frame_id(f.luma) for f in pooled.video]
            first = (number - 1) * nb.FRAMES // 4
            assert ids == list(range(first, first + nb.FRAMES // 4))
            assert all(not f.luma.flags.writeable for f in pooled.video)
        assert pipe.decoders.created == 2  # one per rendition, reused across segments
        assert pipe.decoders.idle_keys == 2
    finally:
        pipe.close()


async def test_digests_are_the_same_eager_or_on_first_use(backend, nb, licensed):
    _, _, keys = licensed
    pipe = MediaPipeline(keys)
    try:
        init = await pipe.prepare_init("v240", read(backend, nb.TITLE, "v240/init.mp4"))
        clear = await pipe.decrypt(init, read(backend, nb.TITLE, "v240/seg-1.m4s"))
        eager = await pipe.decode(init, clear, kind="video", number=1, digests=True)
        lazy = await pipe.decode(init, clear, kind="video", number=1)
        assert all(f._digest is not None for f in eager.video)
        assert all(f._digest is None for f in lazy.video)
        assert [f.digest for f in lazy.video] == [f.digest for f in eager.video]
        assert [f.digest for f in lazy.video] == [luma_digest(f.luma) for f in lazy.video]
        assert len(set(f.digest for f in lazy.video)) == len(lazy.video)  # stamped ids differ
    finally:
        pipe.close()


async def test_wrong_key_is_a_typed_error(backend, nb, licensed):
    _, _, keys = licensed
    wrong = KeyStore({kid: bytes(b ^ 0xFF for b in keys.get(kid)) for kid in keys.kids()})
    pipe = MediaPipeline(wrong)
    try:
        for rung, kind in (("v240", "video"), ("a128", "audio")):
            init = await pipe.prepare_init(rung, read(backend, nb.TITLE, f"{rung}/init.mp4"))
            clear = await pipe.decrypt(init, read(backend, nb.TITLE, f"{rung}/seg-1.m4s"))
            with pytest.raises(ContentKeyMismatch) as info:
                await pipe.decode(init, clear, kind=kind, number=1)
            assert info.value.segment == 1
        created = pipe.decoders.created
        init = await pipe.prepare_init("v240", read(backend, nb.TITLE, "v240/init.mp4"))
        clear = await pipe.decrypt(init, read(backend, nb.TITLE, "v240/seg-2.m4s"))
        with pytest.raises(ContentKeyMismatch):
            await pipe.decode(init, clear, kind="video", number=2)
        assert pipe.decoders.created == created + 1  # a failed context is never reused
    finally:
        pipe.close()


async def test_decode_frames_hands_out_the_first_frame_before_the_rest(backend, nb, licensed):
    """The parts of ``decode_frames`` are ``decode``'s frames, the first alone; leaving early
    is clean, and a wrong key is the same typed error."""
    _, _, keys = licensed
    pipe = MediaPipeline(keys)
    try:
        for rung, kind in (("v360", "video"), ("a128", "audio")):
            init = await pipe.prepare_init(rung, read(backend, nb.TITLE, f"{rung}/init.mp4"))
            clear = await pipe.decrypt(init, read(backend, nb.TITLE, f"{rung}/seg-2.m4s"))
            whole = await pipe.decode(init, clear, kind=kind, number=2, digests=True)
            decoded = pipe.decoded
            parts = [
                p async for p in pipe.decode_frames(init, clear, kind=kind, number=2, digests=True)
            ]
            assert pipe.decoded == decoded + 1
            frames = [f for p in parts for f in (p.video or p.audio)]
            ref = whole.video or whole.audio
            sizes = [p.frames for p in parts]
            assert sizes[0] == 1 and sum(sizes) == len(ref) and len(ref) > 2
            assert len(sizes) >= 3 and all(1 <= n <= 8 for n in sizes)  # parts of <= chunk
            assert [(f.pts, f.digest) for f in frames] == [(f.pts, f.digest) for f in ref]
            assert all(p.number == 2 and p.kind == kind for p in parts)
        async with contextlib.aclosing(
            pipe.decode_frames(init, clear, kind="audio", number=2, first=2)
        ) as gen:
            async for part in gen:
                assert part.frames == 2
                break
    finally:
        pipe.close()
    wrong = KeyStore({kid: bytes(b ^ 0xFF for b in keys.get(kid)) for kid in keys.kids()})
    bad = MediaPipeline(wrong)
    try:
        init = await bad.prepare_init("v240", read(backend, nb.TITLE, "v240/init.mp4"))
        clear = await bad.decrypt(init, read(backend, nb.TITLE, "v240/seg-1.m4s"))
        with pytest.raises(ContentKeyMismatch):
            async for _ in bad.decode_frames(init, clear, kind="video", number=1):
                pass
    finally:
        bad.close()


async def test_decode_frames_queued_when_the_pipeline_closes_is_cancelled(backend, nb, licensed):
    """A ``decode_frames`` still queued when the session closes ends with ``CancelledError``
    (as ``decode`` does) instead of waiting for parts that never come."""
    _, _, keys = licensed
    pipe = MediaPipeline(keys, decoders=1)
    init = await pipe.prepare_init("v360", read(backend, nb.TITLE, "v360/init.mp4"))
    clear = await pipe.decrypt(init, read(backend, nb.TITLE, "v360/seg-1.m4s"))
    gate = threading.Event()
    loop = asyncio.get_running_loop()
    busy = loop.run_in_executor(pipe._stream, gate.wait, 10)  # holds the only stream worker

    async def frames() -> int | str:
        try:
            parts = pipe.decode_frames(init, clear, kind="video", number=1)
            return sum([p.frames async for p in parts])
        except asyncio.CancelledError:
            return "cancelled"

    queued = asyncio.create_task(frames())
    await asyncio.sleep(0)  # submitted, behind the busy worker
    closing = asyncio.ensure_future(asyncio.to_thread(pipe.close))
    assert await asyncio.wait_for(queued, 10) == "cancelled"
    gate.set()
    await closing
    assert await busy is True


async def test_missing_key_and_damaged_bytes_are_typed(backend, nb):
    pipe = MediaPipeline(KeyStore())
    try:
        init = await pipe.prepare_init("v240", read(backend, nb.TITLE, "v240/init.mp4"))
        with pytest.raises(KeyNotFound):
            await pipe.decrypt(init, read(backend, nb.TITLE, "v240/seg-1.m4s"))
        with pytest.raises(DemuxFailed):
            await pipe.decode(init, b"\x00" * 64, kind="video", number=2)
    finally:
        pipe.close()


async def test_license_for_a_kid_of_another_title_is_denied(nb, licensed):
    dev, pm, _ = licensed
    with pytest.raises(LicenseDenied) as info:
        await acquire_license(dev.playback, dev.auth, pm, [b"\x99" * 16])
    assert info.value.status == 403


async def test_decode_off_slots_are_read_off_the_loop_and_hostile_tables_are_typed(
    backend, nb, licensed, monkeypatch
):
    """``decode=False`` slots come from :meth:`MediaPipeline.sample_times`, in the decode
    pool (issue 17 item 4: no parsing of untrusted bytes on the event loop); they are the
    decoded frames' times, and a trun claiming 2^31 samples is a typed error at once."""
    import nrdp.media.pipeline as pipeline_module
    from mediacore.errors import SdkError

    threads: list[str] = []
    real = pipeline_module.segment_samples

    def recorded(*args, **kw):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(pipeline_module, "segment_samples", recorded)
    _, _, keys = licensed
    pipe = MediaPipeline(keys)
    try:
        init = await pipe.prepare_init("v240", read(backend, nb.TITLE, "v240/init.mp4"))
        clear = await pipe.decrypt(init, read(backend, nb.TITLE, "v240/seg-1.m4s"))
        slots = await pipe.sample_times(init, clear, kind="video", number=1)
        decoded = await pipe.decode(init, clear, kind="video", number=1)
        assert [s.pts for s in slots] == pytest.approx([f.pts for f in decoded.video])
        hostile = bytearray(clear)
        trun = next(iter(find_all(clear, "moof/traf/trun")))
        struct.pack_into(">I", hostile, trun.payload_offset + 4, 1 << 31)
        with pytest.raises(SdkError, match="trun"):
            await pipe.sample_times(init, bytes(hostile), kind="video", number=1)
    finally:
        pipe.close()
    assert threads and all(t.startswith("nrdp-media-decode") for t in threads)
