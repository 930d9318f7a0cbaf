from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.errors import InvalidArgument
from nrdp.scheduler.buffer import TimeRange, TrackBuffer, TrackKind


def test_adjacent_segments_merge_into_one_run() -> None:
    buf = TrackBuffer(TrackKind.VIDEO)
    for i in range(5):
        buf.append(i * 4.0, 4.0)
    assert buf.ranges == (TimeRange(0.0, 20.0),)
    assert buf.ahead(0.0) == 20.0
    assert buf.ahead(7.5) == 12.5
    assert buf.ahead(20.0) == 0.0
    assert buf.total == 20.0


def test_tiny_gaps_are_bridged_real_gaps_are_not() -> None:
    buf = TrackBuffer(TrackKind.AUDIO, gap_tolerance=0.05)
    buf.append(0.0, 1.98)
    buf.append(2.0, 2.0)  # 20 ms gap: bridged
    buf.append(6.0, 2.0)  # 2 s gap: real
    assert buf.ranges == (TimeRange(0.0, 4.0), TimeRange(6.0, 8.0))
    assert buf.ahead(1.0) == 3.0
    assert buf.ahead(5.0) == 0.0
    assert buf.ahead(5.97) == pytest.approx(2.03)  # within tolerance of the next run
    assert buf.gaps(0.0, 10.0) == [TimeRange(4.0, 6.0), TimeRange(8.0, 10.0)]
    assert buf.buffered_end(1.0) == 4.0
    assert buf.buffered_end(5.0) is None
    assert buf.contains(7.0) and not buf.contains(9.0)


def test_out_of_order_and_overlapping_appends() -> None:
    buf = TrackBuffer(TrackKind.VIDEO)
    buf.append(8.0, 4.0)
    buf.append(0.0, 4.0)
    buf.append(3.0, 6.0)  # overlaps both
    assert buf.ranges == (TimeRange(0.0, 12.0),)


def test_flush_evict_and_end_of_stream() -> None:
    buf = TrackBuffer(TrackKind.TEXT)
    buf.append(0.0, 10.0)
    buf.append(20.0, 10.0)
    assert buf.evict_before(5.0) == 5.0
    assert buf.evict_before(22.0) == 7.0
    assert buf.ranges == (TimeRange(22.0, 30.0),)
    buf.mark_end_of_stream()
    assert buf.end_of_stream
    assert not buf.reached_end(25.0)
    assert buf.reached_end(30.0)
    buf.flush()
    assert buf.ranges == () and not buf.end_of_stream
    assert "text" in repr(buf)


@pytest.mark.parametrize(
    ("start", "duration"), [(-1.0, 1.0), (0.0, 0.0), (math.nan, 1.0), (0.0, math.inf), (True, 1.0)]
)
def test_impossible_segments_are_refused(start: float, duration: float) -> None:
    with pytest.raises(InvalidArgument):
        TrackBuffer(TrackKind.VIDEO).append(start, duration)


def test_bad_tolerance_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        TrackBuffer(TrackKind.VIDEO, gap_tolerance=-1)


SEGMENTS = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(segments=SEGMENTS, probe=st.floats(0, 70))
def test_model_matches_a_brute_force_coverage_set(
    segments: list[tuple[int, int]], probe: float
) -> None:
    """With integer times and zero tolerance, the model equals a set of covered seconds."""
    buf = TrackBuffer(TrackKind.VIDEO, gap_tolerance=0.0)
    covered: set[int] = set()
    for start, dur in segments:
        buf.append(float(start), float(dur))
        covered.update(range(start, start + dur))
    ranges = buf.ranges
    assert all(r.start < r.end for r in ranges)
    assert all(a.end < b.start for a, b in itertools.pairwise(ranges))
    assert buf.total == len(covered)
    second = math.floor(probe)
    expected = 0.0
    if second in covered:
        end = second
        while end in covered:
            end += 1
        expected = end - probe
    assert buf.ahead(probe) == pytest.approx(expected)
    gaps = buf.gaps(0.0, 70.0)
    assert sum(g.duration for g in gaps) == pytest.approx(70 - len(covered))
