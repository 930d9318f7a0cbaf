"""FaultPlan values: JSON round trip, validation, pacing rates, trace lookup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.errors import InvalidFaultPlan
from fake_backend.oca.faults import FaultPlan, parse_trace_text


def test_default_is_healthy_fast_path():
    p = FaultPlan()
    assert p.is_healthy and not p.shapes_body and p.rate_bytes_per_s(0) is None
    assert FaultPlan(seed=3).is_healthy
    assert not FaultPlan(latency_ms=1).is_healthy
    assert FaultPlan(bandwidth_kbps=8).shapes_body


def test_roundtrip():
    p = FaultPlan(
        latency_ms=5,
        bandwidth_kbps=800,
        trace=((0.0, 100.0), (2.0, 50.0)),
        error_rate=0.25,
        error_status=502,
        stall_after_bytes=10,
        paths="*/seg-*",
    )
    assert FaultPlan.from_json(p.to_json()) == p


def test_rates():
    assert FaultPlan(bandwidth_kbps=800).rate_bytes_per_s(123) == 100_000
    p = FaultPlan(trace=((0.0, 800.0), (2.0, 1600.0)))  # period 4 s
    assert p.rate_bytes_per_s(0.5) == 100_000
    assert p.rate_bytes_per_s(2.5) == 200_000
    assert p.rate_bytes_per_s(4.5) == 100_000  # loops
    capped = FaultPlan(trace=((0.0, 800.0), (2.0, 1600.0)), bandwidth_kbps=1000)
    assert capped.rate_bytes_per_s(2.5) == 125_000
    assert FaultPlan(trace=((0.0, 0.0),)).rate_bytes_per_s(0) == 125  # never zero


def test_trace_text(abr_data_dir):
    path = sorted((abr_data_dir / "traces" / "hsdpa").glob("*.txt"))[0]
    pts = parse_trace_text(path.read_text())
    assert pts[0][0] == 0.0 and len(pts) == len(path.read_text().split()) // 2
    for bad in ("", "1 2 3", "a b", "5 1\n1 1", "0 -1"):
        with pytest.raises(InvalidFaultPlan):
            parse_trace_text(bad)


def test_paths_glob():
    p = FaultPlan(error_rate=1, paths="t-*/v1080/*")
    assert p.applies_to("t-a/v1080/seg-1.m4s") and not p.applies_to("t-a/v240/seg-1.m4s")
    assert FaultPlan(error_rate=1).applies_to("anything")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=10,
)
fields = st.sampled_from(
    [
        "latency_ms",
        "ttfb_ms",
        "bandwidth_kbps",
        "trace",
        "trace_text",
        "error_rate",
        "error_status",
        "reset_rate",
        "stall_after_bytes",
        "stall_ms",
        "truncate_after_bytes",
        "down",
        "paths",
        "seed",
        "bogus",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(fields, json_values, max_size=5) | json_values)
def test_from_json_only_raises_typed_error(doc):
    try:
        plan = FaultPlan.from_json(doc)
    except InvalidFaultPlan:
        return
    assert FaultPlan.from_json(plan.to_json()) == plan
