"""The trace link: downloads integrate the trace (bytes are conserved) and the trace loops."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abr.sim.network import TraceLink
from abr.sim.traces import Trace

TRACE = Trace("t", (0.0, 1.0, 3.0), (999.0, 800.0, 1600.0))  # line 0 unused


def test_download_integrates_throughput_with_payload_fraction() -> None:
    link = TraceLink(TRACE, payload_fraction=0.5)
    # first second: 800 kbit/s x 0.5 = 50 000 B; then 1600 x 0.5 = 100 000 B/s
    assert link.download(50_000) == pytest.approx(1.0)
    assert link.download(100_000) == pytest.approx(1.0)
    assert link.t == pytest.approx(2.0)


def test_trace_loops_from_sample_one() -> None:
    link = TraceLink(TRACE, payload_fraction=1.0)
    total = 100_000 + 400_000  # one full period
    assert link.download(total) == pytest.approx(3.0)
    assert link.download(100_000) == pytest.approx(1.0)  # back in the 800 kbit/s interval


def test_many_loops_are_skipped_not_iterated() -> None:
    link = TraceLink(TRACE, payload_fraction=1.0)
    # 10^6 periods of 500 000 B each, then half a period more
    assert link.download(5e11 + 100_000) == pytest.approx(3e6 + 1.0)
    assert link.t == pytest.approx(1.0)


def test_advance_returns_deliverable_bytes() -> None:
    link = TraceLink(TRACE, payload_fraction=1.0)
    assert link.advance(2.0) == pytest.approx(100_000 + 200_000)
    assert link.advance(2.0) == pytest.approx(200_000 + 100_000)  # wraps


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.1, 5.0), st.floats(0.0, 1e4)), min_size=2, max_size=15),
    st.lists(st.floats(1.0, 2e6), min_size=1, max_size=6),
    st.floats(0.5, 1.0),
)
def test_bytes_are_conserved(
    rows: list[tuple[float, float]], sizes: list[float], frac: float
) -> None:
    times = [0.0]
    for dt, _ in rows[1:]:
        times.append(times[-1] + dt)
    kbps = [v for _, v in rows]
    kbps[-1] = max(kbps[-1], 1.0)
    trace = Trace("h", tuple(times), tuple(kbps))
    link = TraceLink(trace, frac)
    for size in sizes:
        probe = link.copy()
        elapsed = link.download(size)
        # the same span of trace time delivers exactly the requested bytes
        assert probe.advance(elapsed) == pytest.approx(size, rel=1e-6, abs=1e-3)
        assert probe.t == pytest.approx(link.t, abs=1e-6 * max(1.0, elapsed))
