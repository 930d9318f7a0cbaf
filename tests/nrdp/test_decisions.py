"""The engine's pure decisions, without a loop: rung rules, readiness, stalls, late and
skipped frames, switch reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrdp.delivery.policy import Fallback, FallbackType
from nrdp.errors import ConnectionReset, ThroughputTooLow
from nrdp.events import SwitchReason
from nrdp.scheduler.decisions import (
    TrackLevel,
    allowed_rung,
    apply_rung_rules,
    dry_tracks,
    dry_within,
    is_late,
    live_exclusions,
    readiness_need,
    ready,
    segments_left,
    skip_frame,
    switch_reason,
    track_fallback,
)


def test_cap_pin_and_exclusion_in_that_order() -> None:
    assert apply_rung_rules(4, 5, cap=None, pin=None, excluded={}) == 4
    assert apply_rung_rules(4, 5, cap=2, pin=None, excluded={}) == 2
    assert apply_rung_rules(0, 5, cap=None, pin=3, excluded={}) == 3  # the pin wins over ABR
    assert apply_rung_rules(0, 5, cap=1, pin=3, excluded={}) == 1  # the cap wins over the pin
    assert apply_rung_rules(4, 5, cap=None, pin=None, excluded={4: 9.0, 3: 9.0}) == 2
    assert apply_rung_rules(9, 5, cap=None, pin=None, excluded={}) == 4  # clamped
    assert apply_rung_rules(1, 2, cap=None, pin=None, excluded={0: 1.0, 1: 1.0}) == 0


@given(
    wanted=st.integers(-3, 12),
    count=st.integers(1, 8),
    cap=st.none() | st.integers(-2, 10),
    pin=st.none() | st.integers(-2, 10),
    excluded=st.sets(st.integers(0, 8)),
)
def test_the_rung_is_always_on_the_ladder_under_the_cap_and_not_excluded_unless_zero(
    wanted: int, count: int, cap: int | None, pin: int | None, excluded: set[int]
) -> None:
    rung = apply_rung_rules(wanted, count, cap=cap, pin=pin, excluded=dict.fromkeys(excluded, 1.0))
    assert 0 <= rung <= allowed_rung(count, cap) <= count - 1
    assert rung == 0 or rung not in excluded


def test_exclusions_expire() -> None:
    assert live_exclusions({1: 5.0, 2: 10.0}, 5.0) == {2: 10.0}


def test_segments_left_and_switch_reason() -> None:
    assert segments_left(10, 1) == 10 and segments_left(10, 10) == 1
    assert segments_left(None, 3) is None
    assert switch_reason(None, pinned=True) is SwitchReason.INITIAL
    assert switch_reason(2, pinned=False) is SwitchReason.ABR
    assert switch_reason(2, pinned=True) is SwitchReason.MANUAL


def test_readiness_needs_every_track_or_its_end() -> None:
    full, short = TrackLevel(2.0, 12.0), TrackLevel(0.4, 10.45)
    assert readiness_need(1.0, 0.5, stalled=False, realtime=True) == 1.0
    assert readiness_need(1.0, 0.5, stalled=True, realtime=True) == 0.5
    assert readiness_need(1.0, 0.5, stalled=False, realtime=False) == 1e-3
    assert ready([full, full], 1.0, None)
    assert not ready([full, short], 1.0, None)
    assert ready([full, short], 1.0, 10.5)  # short, but buffered to the end
    assert ready([full, TrackLevel(0.0, None, end_of_stream=True)], 1.0, None)


def test_dry_tracks_ignore_ended_and_switching_ones() -> None:
    levels = [
        TrackLevel(0.0, None),
        TrackLevel(0.0, None, end_of_stream=True),
        TrackLevel(0.0, None, switching=True),
        TrackLevel(0.5, 3.0),
    ]
    assert dry_tracks(levels) == [0]


def test_a_track_can_run_dry_once_its_lead_over_the_dry_margin_is_played() -> None:
    levels = [TrackLevel(3.02, 5.0), TrackLevel(1.02, 3.0), TrackLevel(0.0, None, switching=True)]
    assert dry_within(levels, 1.0) == pytest.approx(1.0)  # the shorter lead, not the switch
    assert dry_within(levels, 2.0) == pytest.approx(0.5)  # played twice as fast
    assert dry_within(levels, 0.5) == pytest.approx(1.0)  # slower: never assumed below 1x
    assert dry_within([TrackLevel(0.0, None)], 1.0) == 0.0  # dry already
    assert dry_within([TrackLevel(0.0, None, end_of_stream=True)], 1.0) == float("inf")


def test_late_and_skipped_frames() -> None:
    assert not is_late(1.03, 1.0, 0.04)  # within one frame
    assert is_late(1.05, 1.0, 0.04)
    assert skip_frame(0.9, 0.04, floor=1.0, skip_before=0.0)  # before the seek target
    assert not skip_frame(0.98, 0.04, floor=1.0, skip_before=0.0)  # straddles it: shown
    assert skip_frame(2.0, 0.04, floor=0.0, skip_before=2.03)  # shown from the old track


def test_the_policys_track_fallback_is_read_from_the_error_not_rebuilt() -> None:
    slow = ThroughputTooLow(url="u", measured_bps=1.0, required_bps=2.0)
    assert track_fallback(slow, 7.0) == 7.0  # no decision attached: too slow = lower track
    reset = ConnectionReset(url="u")
    assert track_fallback(reset, 7.0) is None
    reset.decision = Fallback(FallbackType.TRACK, exclusion=3.0)  # type: ignore[attr-defined]
    assert track_fallback(reset, 7.0) == 3.0
    slow.decision = Fallback(FallbackType.LOCATION, exclusion=3.0)  # type: ignore[attr-defined]
    assert track_fallback(slow, 7.0) is None  # the policy said: another location, not lower
