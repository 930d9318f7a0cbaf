"""The progress rule: a server trickling one byte a second trips it, the download fails
over with Range resume, and with no OCA left a typed error comes in bounded time
(issue 17 #2: on main a 1 byte/s OCA held LOADING/BUFFERING for 120 s with 0 failovers)."""

from __future__ import annotations

import time

import pytest

from nrdp.channels.http import Channel
from nrdp.config import PlaybackChannelConfig
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import Fallback, FallbackType, Fatal, Retry
from nrdp.delivery.progress import ProgressMeter, ProgressRule
from nrdp.errors import AllOcasFailed, ThroughputTooLow

SEG = "v360/seg-1.m4s"
RULE = ProgressRule(window_s=1.0, min_bytes=4096)


def _ocas(be, title_id, only=None):  # type: ignore[no-untyped-def]
    return [
        Oca(id=f"oca-{i + 1}", url=f"{url}/titles/{title_id}/", rank=i)
        for i, url in enumerate(be.oca_urls)
        if only is None or i in only
    ]


@pytest.fixture
async def channel():  # type: ignore[no-untyped-def]
    async with Channel(PlaybackChannelConfig()) as ch:
        yield ch


# -- pure ----------------------------------------------------------------------------------


def test_one_byte_a_second_trips_the_window_and_a_steady_flow_does_not():
    trickle = ProgressMeter(ProgressRule(window_s=4, min_bytes=16384), 0.0, None)
    trips = [trickle.update(n, 10_000 - n, float(n)) for n in range(1, 6)]
    assert trips[:3] == [None, None, None] and trips[3] is not None
    assert trips[3].reason == "window" and trips[3].measured_bps == pytest.approx(8.0)
    steady = ProgressMeter(ProgressRule(window_s=4, min_bytes=16384), 0.0, None)
    assert all(steady.update(n * 5000, None, float(n)) is None for n in range(1, 60))


def test_the_end_of_a_small_body_satisfies_the_window():
    m = ProgressMeter(ProgressRule(window_s=1, min_bytes=16384), 0.0, None)
    assert m.update(500, 100, 1.5) is None  # 500 of 600 bytes: less than min_bytes left
    m2 = ProgressMeter(ProgressRule(window_s=1, min_bytes=16384), 0.0, None)
    assert m2.update(400, 5000, 1.5) is not None


def test_deadline_trips_however_steady_the_flow():
    m = ProgressMeter(ProgressRule(window_s=1, min_bytes=1), 0.0, deadline_s=3.0)
    assert m.update(1000, 9000, 2.9) is None and m.seconds_left(2.9) == pytest.approx(0.1)
    trip = m.update(1100, 8900, 3.0)
    assert trip is not None and trip.reason == "deadline"
    assert trip.required_bps == pytest.approx(10_000 * 8 / 3.0)


# -- against real OCAs ------------------------------------------------------------------------


async def test_trickling_oca_fails_over_and_resumes_on_a_healthy_one(backend, channel, http, nb):
    await nb.set_faults(http, backend, 0, trickle_bps=1)
    failovers: list[tuple[str, str | None, str]] = []
    sel = OcaSelector(_ocas(backend, nb.TITLE.id))
    dl = Downloader(channel, sel, progress=RULE, on_failover=lambda *a: failovers.append(a))
    t0 = time.monotonic()
    res = await dl.fetch(SEG)
    assert time.monotonic() - t0 < 10  # window (1 s) + failover, not the stall timer forever
    assert res.data == backend.origin.file_path(nb.TITLE.id, SEG).read_bytes()
    assert res.oca_id != "oca-1" and failovers[0][0] == "oca-1" and failovers[0][2] == "slow"
    first, last = res.attempts[0], res.attempts[-1]
    assert first.error == "ThroughputTooLow" and first.received >= 1
    assert last.resumed_from == first.received  # Range resume: no byte fetched twice


async def test_only_oca_trickling_ends_in_a_typed_error_with_the_decision(
    backend, channel, http, nb
):
    await nb.set_faults(http, backend, 0, trickle_bps=1)
    sel = OcaSelector(_ocas(backend, nb.TITLE.id, only={0}))
    dl = Downloader(channel, sel, progress=RULE)
    t0 = time.monotonic()
    with pytest.raises((ThroughputTooLow, AllOcasFailed)) as info:
        await dl.fetch("manifest.mpd")
    assert time.monotonic() - t0 < 10
    assert isinstance(info.value.decision, Retry | Fallback | Fatal)  # type: ignore[attr-defined]


async def test_deadline_from_the_buffer_fails_over_a_steady_but_late_oca(
    backend, channel, http, nb
):
    await nb.set_faults(http, backend, 0, bandwidth_kbps=40)  # 5 kB/s: passes the window
    sel = OcaSelector(_ocas(backend, nb.TITLE.id))
    dl = Downloader(channel, sel, progress=RULE)
    t0 = time.monotonic()
    res = await dl.fetch(SEG, deadline_s=1.5)
    assert time.monotonic() - t0 < 10 and res.oca_id != "oca-1"
    assert res.attempts[0].error == "ThroughputTooLow" and res.attempts[0].received > 4096


async def test_a_lower_rung_decision_rides_on_the_error(backend, channel, http, nb):
    """Regression (issue 14): the policy's Fallback TRACK was thrown away; the engine had to
    re-derive it from the exception type. Now it is ``err.decision``."""
    await nb.set_faults(http, backend, 0, trickle_bps=1)
    sel = OcaSelector(_ocas(backend, nb.TITLE.id, only={0}))
    dl = Downloader(channel, sel, progress=RULE)
    with pytest.raises(ThroughputTooLow) as info:
        await dl.fetch(SEG, lower_tracks=2)
    decision = info.value.decision  # type: ignore[attr-defined]
    assert isinstance(decision, Fallback) and decision.kind is FallbackType.TRACK
