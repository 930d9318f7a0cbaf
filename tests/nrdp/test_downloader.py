"""The segment downloader against real OCA servers with injected faults (127.0.0.1)."""

from __future__ import annotations

import asyncio

import pytest

from nrdp.channels.http import Channel
from nrdp.channels.retry import Backoff
from nrdp.config import PlaybackChannelConfig, RetryPolicy
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector, OcaState
from nrdp.delivery.policy import DefaultLoadErrorPolicy
from nrdp.delivery.resume import ByteRange
from nrdp.errors import AllOcasFailed, HttpStatusError

SEG = "v360/seg-1.m4s"


def ocas(be, title_id):  # type: ignore[no-untyped-def]
    return [
        Oca(id=f"oca-{i + 1}", url=f"{url}/titles/{title_id}/", rank=i)
        for i, url in enumerate(be.oca_urls)
    ]


def origin_bytes(be, title_id, path):  # type: ignore[no-untyped-def]
    return be.origin.file_path(title_id, path).read_bytes()


@pytest.fixture
async def channel():  # type: ignore[no-untyped-def]
    async with Channel(PlaybackChannelConfig()) as ch:
        yield ch


async def test_plain_download_measures_ttfb_and_transfer_apart(backend, channel, nb):
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)))
    res = await dl.fetch(SEG)
    assert res.data == origin_bytes(backend, nb.TITLE.id, SEG)
    assert res.oca_id == "oca-1"
    assert res.ttfb_s > 0 and res.transfer_s >= 0
    sample = res.sample
    assert sample.bytes == len(res.data) and sample.ttfb_s == res.ttfb_s


async def test_byte_range_is_exact(backend, channel, nb):
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)))
    res = await dl.fetch(SEG, ByteRange(100, 4099))
    assert res.data == origin_bytes(backend, nb.TITLE.id, SEG)[100:4100]


async def test_truncated_mid_segment_resumes_on_next_oca_without_loss(backend, channel, http, nb):
    await nb.set_faults(http, backend, 0, truncate_after_bytes=20_000)
    failovers = []
    sel = OcaSelector(ocas(backend, nb.TITLE.id))
    dl = Downloader(channel, sel, on_failover=lambda a, b, r: failovers.append((a, b, r)))
    res = await dl.fetch(SEG)
    full = origin_bytes(backend, nb.TITLE.id, SEG)
    assert res.data == full
    assert res.oca_id == "oca-2"
    first, second = res.attempts
    assert first.oca_id == "oca-1" and first.received == 20_000 and first.error
    # the second OCA was asked only for the rest: nothing fetched twice
    assert second.resumed_from == 20_000 and second.received == len(full) - 20_000
    assert failovers and failovers[0][:2] == ("oca-1", "oca-2")
    assert sel.health("oca-1").state is OcaState.EXCLUDED


async def test_stall_mid_segment_fails_over(backend, channel, http, nb):
    await nb.set_faults(http, backend, 0, stall_after_bytes=8_000, stall_ms=1_500)
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)), stall_timeout=0.3)
    res = await dl.fetch(SEG)
    assert res.data == origin_bytes(backend, nb.TITLE.id, SEG)
    assert res.attempts[0].error == "StallTimeout" and res.attempts[0].received == 8_000
    assert res.attempts[1].resumed_from == 8_000


async def test_503_and_killed_oca_fall_back(backend, channel, http, nb):
    await nb.set_faults(http, backend, 0, error_rate=1.0, error_status=503)
    await nb.set_faults(http, backend, 1, down=True)
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)))
    res = await dl.fetch(SEG)
    assert res.oca_id == "oca-3"
    assert [a.error for a in res.attempts[:2]] == ["HttpStatusError", "ConnectFailed"]


async def test_sticky_oca_after_success(backend, channel, nb):
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)))
    ids = {(await dl.fetch(f"v240/seg-{n}.m4s")).oca_id for n in (1, 2, 3)}
    assert ids == {"oca-1"}


async def test_every_oca_down_raises_all_ocas_failed(backend, channel, http, nb):
    for i in range(3):
        await nb.set_faults(http, backend, i, down=True)
    policy = DefaultLoadErrorPolicy(backoff=Backoff(RetryPolicy(base_delay=0.01, max_delay=0.02)))
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)), policy, all_down_wait=0.2)
    with pytest.raises(AllOcasFailed) as info:
        await dl.fetch(SEG)
    assert set(info.value.tried) == {"oca-1", "oca-2", "oca-3"}
    # the policy kept trying the last OCA with backoff before giving up
    assert info.value.__cause__ is not None


async def test_missing_file_is_typed(backend, channel, nb):
    only = ocas(backend, nb.TITLE.id)[:1]
    policy = DefaultLoadErrorPolicy(backoff=Backoff(RetryPolicy(base_delay=0.01, max_delay=0.02)))
    dl = Downloader(channel, OcaSelector(only), policy, all_down_wait=0.0)
    with pytest.raises((HttpStatusError, AllOcasFailed)):
        await dl.fetch("v240/seg-99.m4s")


async def test_oca_killed_while_sending_resumes_elsewhere(backend, channel, http, nb):
    # The OCA sends 40 KB, holds the rest, and is taken down meanwhile. (fake_backend's
    # ``down`` does not abort a response already being sent, so the stall timeout may be
    # what notices it; either way the download resumes elsewhere from byte 40000.)
    await nb.set_faults(http, backend, 0, stall_after_bytes=40_000, stall_ms=5_000)
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)), stall_timeout=1.0)
    task = asyncio.create_task(dl.fetch(SEG))
    await asyncio.sleep(0.3)
    async with http.post(backend.control_urls[0] + "/down") as r:
        assert r.status == 200
    res = await asyncio.wait_for(task, 20)
    full = origin_bytes(backend, nb.TITLE.id, SEG)
    assert res.data == full and res.oca_id != "oca-1"
    first, last = res.attempts[0], res.attempts[-1]
    assert first.oca_id == "oca-1" and first.received == 40_000
    assert first.error in ("ConnectionReset", "StallTimeout")
    assert last.resumed_from == 40_000  # nothing fetched twice, nothing lost


async def test_reset_connections_fail_over(backend, channel, http, nb):
    await nb.set_faults(http, backend, 0, reset_rate=1.0)
    dl = Downloader(channel, OcaSelector(ocas(backend, nb.TITLE.id)))
    res = await dl.fetch(SEG)
    assert res.data == origin_bytes(backend, nb.TITLE.id, SEG)
    assert res.attempts[0].oca_id == "oca-1" and res.attempts[0].error == "ConnectionReset"
