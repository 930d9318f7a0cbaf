"""Issue 17 item 3: a segment whose sample tables claim far more than it holds fails fast,
typed, in bounded memory, in :func:`drm.decrypt_segment` (every downloaded segment goes
through it). Before the one fMP4 reader, 16 truns of 2^20 zero-size samples in 95 KB took
54 s and 2.5 GiB, and 64 of them ended in an untyped MemoryError."""

from __future__ import annotations

import struct
import time
import tracemalloc
from types import SimpleNamespace

import pytest

from drm import KeyStore, decrypt_init, decrypt_segment
from drm.encrypt import encrypt_init
from drm.errors import SampleLayoutError
from mediacore.boxes import box, full_box


def _hostile(track_id: int, runs: int, count: int, size: int = 95_000) -> bytes:
    tfhd = full_box("tfhd", 0, 0x02_0000, struct.pack(">I", track_id))
    tfdt = full_box("tfdt", 1, 0, struct.pack(">Q", 0))
    truns = [full_box("trun", 0, 0, struct.pack(">I", count)) for _ in range(runs)]
    moof = box("moof", full_box("mfhd", 0, 0, b"\0\0\0\1"), box("traf", tfhd, tfdt, *truns))
    return moof + box("mdat", bytes(size - len(moof) - 8))


@pytest.mark.parametrize(("runs", "count"), [(16, 1 << 20), (64, 1 << 20), (1, 1 << 31)])
def test_runs_of_empty_samples_fail_fast_and_small(
    video_clip: bytes, media: SimpleNamespace, runs: int, count: int
) -> None:
    init, _ = media.split_fmp4(video_clip)
    _, protection = decrypt_init(encrypt_init(init, "cenc", media.KID))
    segment = _hostile(protection.tracks[0].track_id, runs, count)
    assert 94_000 < len(segment) <= 95_000
    keys = KeyStore({media.KID: media.KEY})
    tracemalloc.start()
    cpu = time.thread_time()
    with pytest.raises(SampleLayoutError, match="samples in"):
        decrypt_segment(segment, protection, keys)
    spent = time.thread_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert spent < 0.5, f"{spent:.2f} s of CPU"
    assert peak < 16 << 20, f"{peak >> 20} MiB"
