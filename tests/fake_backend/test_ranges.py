"""Range header parsing: every form, and a property test against a reference slice."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.oca.ranges import ByteRange, Unsatisfiable, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, ByteRange(0, 0)),
        ("bytes=2-5", 10, ByteRange(2, 5)),
        ("bytes=2-", 10, ByteRange(2, 9)),
        ("bytes=-3", 10, ByteRange(7, 9)),
        ("bytes=-30", 10, ByteRange(0, 9)),
        ("bytes=5-100", 10, ByteRange(5, 9)),
        (" bytes = 1 - 2 ", 10, ByteRange(1, 2)),
        ("bytes=5-2", 10, None),
        ("bytes=1-2,4-5", 10, None),
        ("bits=1-2", 10, None),
        ("bytes=-", 10, None),
        ("bytes=" + "9" * 30 + "-", 10, None),
    ],
)
def test_forms(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_unsatisfiable(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


def test_content_range():
    assert ByteRange(2, 5).content_range(10) == "bytes 2-5/10"
    assert ByteRange(2, 5).length == 4


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 2000),
    first=st.one_of(st.none(), st.integers(0, 3000)),
    last=st.one_of(st.none(), st.integers(0, 3000)),
)
def test_matches_reference_slice(size, first, last):
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    data = bytes(range(256)) * 8
    data = data[:size]
    try:
        br = parse_range(header, size)
    except Unsatisfiable:
        if first is None:
            assert last == 0 or size == 0
        else:
            assert first >= size
        return
    if br is None:
        assert (first is None and last is None) or (
            first is not None and last is not None and last < first
        )
        return
    assert 0 <= br.start <= br.end < size
    if first is None:
        assert data[br.start : br.end + 1] == data[-last:]
    else:
        end = size - 1 if last is None else min(last, size - 1)
        assert data[br.start : br.end + 1] == data[first : end + 1]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(0, 100))
def test_never_crashes(header, size):
    with contextlib.suppress(Unsatisfiable):
        parse_range(header, size)
