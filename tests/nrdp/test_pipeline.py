"""Decrypt + decode of real packaged media: the licensed key, a wrong key, a missing key,
damaged bytes, and quality switches between representations."""

from __future__ import annotations

import threading

import pytest

from drm import KeyStore
from drm.errors import KeyNotFound
from fake_backend.packager.frame_id import read_frame_id
from nrdp.config import DeviceConfig
from nrdp.device import Device
from nrdp.errors import ContentKeyMismatch, DemuxFailed, LicenseDenied
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink
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
    finally:
        pipe.close()


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
