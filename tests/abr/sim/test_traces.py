"""Trace parsers: the three formats, Pensieve interval semantics, and typed errors on garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abr.errors import TraceFormatError
from abr.sim.traces import parse_trace


def test_kbps_and_cooked_formats_agree() -> None:
    a = parse_trace("0.000 1000.0\n1.000 2000.0\n2.5 500\n", "a")
    b = parse_trace("0 1.0\n1 2.0\n2.5 0.5\n", "b", "cooked")
    assert a.times_s == b.times_s == (0.0, 1.0, 2.5)
    assert a.kbps == b.kbps == (1000.0, 2000.0, 500.0)
    # interval semantics: line i holds on (t[i-1], t[i]]; line 0 is unused
    assert a.mean_kbps() == pytest.approx((1 * 2000 + 1.5 * 500) / 2.5)


def test_mahimahi_bins_packets() -> None:
    # 4 packets in the first 500 ms, 2 in the second
    t = parse_trace("100\n200\n300\n500\n600\n1000\n", "m", "mahimahi", bin_ms=500)
    assert t.times_s == (0.0, 0.5, 1.0)
    assert t.kbps[1] == pytest.approx(4 * 1500 * 8 / 1000 / 0.5)
    assert t.kbps[2] == pytest.approx(2 * 1500 * 8 / 1000 / 0.5)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("0 100\n1 abc\n", 2, "number"),
        ("0 100\n1\n", 2, "columns"),
        ("0 100\n2 100\n1 100\n", 3, "order"),
        ("0 100\n1 -5\n", 2, "negative"),
        ("0 100\n1 nan\n", 2, "number"),
        ("0 100\n", 0, "too_short"),
        ("0 100\n0 100\n", 0, "zero_duration"),
        ("0 100\n1 0\n2 0\n", 0, "no_throughput"),
        ("", 0, "too_short"),
    ],
)
def test_bad_lines_are_named(text: str, line: int, reason: str) -> None:
    with pytest.raises(TraceFormatError) as info:
        parse_trace(text, "bad.txt")
    err = info.value
    assert (err.line, err.reason, err.code) == (line, reason, 9001)
    assert f"bad.txt:{line}" in str(err)


def test_mahimahi_garbage_and_unknown_format() -> None:
    with pytest.raises(TraceFormatError) as info:
        parse_trace("10\n20\nx\n", "m", "mahimahi")
    assert info.value.line == 3
    with pytest.raises(TraceFormatError):
        parse_trace("10\n5\n", "m", "mahimahi")
    with pytest.raises(TraceFormatError):
        parse_trace("0 1\n1 1\n", "t", "csv")


def test_all_dev_traces_parse(abr_data_dir: Path) -> None:
    files = sorted((abr_data_dir / "traces").glob("*/*.txt"))
    assert len(files) == 80
    for p in files:
        t = parse_trace(p.read_text(), p.stem)
        assert t.times_s[0] == 0.0 and t.duration_s > 60


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["kbps", "cooked", "mahimahi"]))
def test_garbage_gives_a_trace_or_a_typed_error(text: str, fmt: str) -> None:
    try:
        t = parse_trace(text, "fuzz", fmt)
    except TraceFormatError as err:
        assert err.code == 9001 and err.line >= 0
    else:
        assert len(t.times_s) == len(t.kbps) >= 2
        assert all(b >= a for a, b in zip(t.times_s, t.times_s[1:], strict=False))
        assert t.duration_s > 0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 10, allow_nan=False), st.floats(0, 1e5)), min_size=2, max_size=30
    )
)
def test_well_formed_lines_round_trip(rows: list[tuple[float, float]]) -> None:
    times = [0.0]
    for dt, _ in rows[1:]:
        times.append(times[-1] + dt)
    text = "\n".join(f"{t!r} {v!r}" for t, (_, v) in zip(times, rows, strict=True))
    try:
        tr = parse_trace(text, "ok")
    except TraceFormatError as err:
        assert err.reason in ("zero_duration", "no_throughput")
    else:
        assert tr.times_s == tuple(times) and tr.kbps == tuple(v for _, v in rows)
