"""The in-memory transport drives the real downloader deterministically (no sockets)."""

from __future__ import annotations

import pytest

from nrdp.channels.retry import Backoff
from nrdp.config import LoadErrorConfig, RetryPolicy
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import DefaultLoadErrorPolicy
from nrdp.delivery.resume import ByteRange
from nrdp.errors import AllOcasFailed, ThroughputTooLow
from nrdp.testing import FakeClock, Fault, MemoryTransport

BODY = bytes(range(256)) * 1000  # 256000 bytes
OCAS = [Oca("a", "http://a/t/", rank=0), Oca("b", "http://b/t/", rank=1)]
FILES = {"http://a/t/seg.m4s": BODY, "http://b/t/seg.m4s": BODY}


def make(transport: MemoryTransport, **kw):  # type: ignore[no-untyped-def]
    policy = DefaultLoadErrorPolicy(
        LoadErrorConfig(), Backoff(RetryPolicy(base_delay=0.01, max_delay=0.02))
    )
    return Downloader(transport, OcaSelector(OCAS), policy, clock=transport.clock, **kw)


async def test_exact_throughput_sample_on_a_fake_clock():
    t = MemoryTransport(FILES, clock=FakeClock(), bandwidth_bps=2_048_000, ttfb=0.05)
    res = await make(t).fetch("seg.m4s")
    assert res.data == BODY
    assert res.ttfb_s == pytest.approx(0.05) and res.transfer_s == pytest.approx(1.0)
    assert res.sample.transfer_kbps == pytest.approx(2048.0)


@pytest.mark.parametrize("then", ["reset", "truncate", "stall"])
async def test_fault_mid_body_resumes_on_the_next_oca_from_the_last_byte(then):
    t = MemoryTransport(FILES)
    t.script("http://a/*", Fault(after_bytes=100_000, then=then))
    res = await make(t).fetch("seg.m4s")
    assert res.data == BODY and res.oca_id == "b"
    (url_a, h_a), (url_b, h_b) = t.requests
    assert url_a.startswith("http://a/") and url_b.startswith("http://b/")
    assert "Range" not in h_a and h_b["Range"] == "bytes=100000-255999"
    assert res.attempts[0].received == 100_000


async def test_byte_range_and_status_faults():
    t = MemoryTransport(FILES)
    t.script("http://a/*", Fault(status=503))
    res = await make(t).fetch("seg.m4s", ByteRange(10, 19))
    assert res.data == BODY[10:20] and res.oca_id == "b"


async def test_refused_everywhere_is_all_ocas_failed():
    t = MemoryTransport(FILES)
    t.script("http://*", *[Fault(refuse=True)] * 20)
    with pytest.raises(AllOcasFailed):
        await make(t, all_down_wait=0.0).fetch("seg.m4s")


async def test_too_slow_with_a_lower_rung_is_abandoned():
    t = MemoryTransport({"http://a/t/seg.m4s": BODY}, bandwidth_bps=100_000)
    d = Downloader(t, OcaSelector(OCAS[:1]), clock=t.clock)
    with pytest.raises(ThroughputTooLow) as info:
        await d.fetch("seg.m4s", required_bps=1_000_000, lower_tracks=1)
    assert info.value.measured_bps == pytest.approx(100_000, rel=0.01)
