from __future__ import annotations

import dataclasses
import json
import math

import pytest

from nrdp.errors import AllOcasFailed, InvalidArgument, StallTimeout
from nrdp.events import (
    BandwidthEstimated,
    ErrorEvent,
    QualityChanged,
    RebufferEnded,
    SegmentDownloaded,
    StateChanged,
    SwitchReason,
)
from nrdp.scheduler.buffer import TrackKind
from nrdp.state import PlayerState


def segment(**kw: object) -> SegmentDownloaded:
    fields = dict(
        at=1.0,
        track=TrackKind.VIDEO,
        number=3,
        size=500_000,
        seconds=0.5,
        ttfb=0.05,
        oca="oca1",
        rung=2,
        bitrate=3_000_000,
    )
    fields.update(kw)
    return SegmentDownloaded(**fields)  # type: ignore[arg-type]


def test_events_are_frozen_and_serialise_to_json() -> None:
    ev = segment()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.size = 1  # type: ignore[misc]
    assert ev.throughput_bps == 8_000_000
    d = ev.to_dict()
    assert d["type"] == "SegmentDownloaded" and d["track"] == "video"
    json.dumps(d)
    sc = StateChanged(at=0.0, old=PlayerState.IDLE, new=PlayerState.LOADING)
    assert sc.to_dict()["new"] == "loading"


@pytest.mark.parametrize(
    "kw",
    [
        {"size": -1},
        {"seconds": math.nan},
        {"ttfb": 1.0},
        {"at": math.inf},
        {"number": True},
        {"at": "now"},
    ],
)
def test_events_check_their_fields(kw: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        segment(**kw)


def test_other_events_check_fields_too() -> None:
    with pytest.raises(InvalidArgument):
        QualityChanged(
            at=0.0,
            track=TrackKind.VIDEO,
            old_bitrate=None,
            new_bitrate=-5,
            rung=0,
            reason=SwitchReason.INITIAL,
        )
    with pytest.raises(InvalidArgument):
        RebufferEnded(at=0.0, position=1.0, duration=-1.0)
    with pytest.raises(InvalidArgument):
        BandwidthEstimated(at=0.0, bps=math.nan)
    assert segment(seconds=0.0, ttfb=0.0).throughput_bps is None


def test_error_events_carry_a_dict_and_severity_decides_fatal() -> None:
    ev = ErrorEvent.from_error(StallTimeout(url="http://o/s?token=zz", timeout_s=2), at=3.0)
    assert not ev.fatal
    assert ev.error["code"] == 2006
    assert "zz" not in json.dumps(ev.to_dict())
    assert ErrorEvent.from_error(AllOcasFailed(tried=("a",), last_reason="x"), at=4.0).fatal
    forced = ErrorEvent.from_error(StallTimeout(url="u", timeout_s=1), at=1.0, fatal=True)
    assert forced.fatal


def test_state_changed_comes_from_a_machine_transition() -> None:
    from nrdp.state import PlayerEvent, PlayerStateMachine

    t = PlayerStateMachine().process(PlayerEvent.LOAD, 2.5)
    ev = StateChanged.from_transition(t)
    assert (ev.at, ev.old, ev.new) == (2.5, PlayerState.IDLE, PlayerState.LOADING)
