"""The presentation timeline of Periods (pure): per-Period track selection, typed errors
for an unplayable Period, period lookup, media offsets and location-relative paths."""

from __future__ import annotations

import pytest

from manifest import parse_mpd
from nrdp.config import DeviceCapabilities
from nrdp.errors import NoPlayableTrack
from nrdp.timeline import media_offset, next_period, period_at, period_plans, relative_path

REP = (
    '<Representation id="{id}" bandwidth="{bw}" codecs="{codec}" width="320" height="240">'
    '<SegmentTemplate media="{id}-$Number$.m4s" initialization="{id}-init.mp4" '
    'timescale="1000" duration="2000" presentationTimeOffset="{pto}"/></Representation>'
)


def _mpd(*periods: str) -> bytes:
    body = "".join(periods)
    return (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
        'mediaPresentationDuration="PT10S" minBufferTime="PT2S" '
        f'profiles="urn:mpeg:dash:profile:isoff-live:2011">{body}</MPD>'
    ).encode()


def _period(pid: str, start: str, reps: list[tuple[str, int, str, int]]) -> str:
    inner = "".join(REP.format(id=i, bw=bw, codec=c, pto=pto) for i, bw, c, pto in reps)
    return (
        f'<Period id="{pid}" start="{start}"><AdaptationSet mimeType="video/mp4">'
        f"{inner}</AdaptationSet></Period>"
    )


def test_each_period_gets_its_own_ladder_and_offset() -> None:
    mpd = _mpd(
        _period("a", "PT0S", [("0", 100000, "avc1.64001e", 0), ("1", 300000, "avc1.64001e", 0)]),
        _period("b", "PT4S", [("0", 200000, "avc1.64001e", 10000)]),
    )
    plans = period_plans(parse_mpd(mpd, "http://h/x/m.mpd"), DeviceCapabilities())
    assert [p.start for p in plans] == [0.0, 4.0]
    assert [p.end for p in plans] == [4.0, 10.0]
    assert [len(p.tracks[0].representations) for p in plans] == [2, 1]
    rep_b = plans[1].tracks[0].representations[0]
    assert media_offset(rep_b) == pytest.approx(4.0 - 10.0)  # Period start - PTO
    assert rep_b.index().by_number(1).start == pytest.approx(4.0)
    assert period_at(plans, 0.0) == 0 and period_at(plans, 3.99) == 0
    assert period_at(plans, 4.0) == 1 and period_at(plans, 99.0) == 1
    assert next_period(plans, 0) == 1 and next_period(plans, 1) is None
    assert plans[0].key != plans[1].key


def test_an_unplayable_period_is_a_typed_error_naming_it() -> None:
    mpd = _mpd(
        _period("a", "PT0S", [("0", 100000, "avc1.64001e", 0)]),
        _period("b", "PT4S", [("0", 100000, "dvh1.05.06", 0)]),
    )
    with pytest.raises(NoPlayableTrack, match="period b"):
        period_plans(parse_mpd(mpd, "http://h/x/m.mpd"), DeviceCapabilities())


def test_relative_paths_keep_failover_possible() -> None:
    assert relative_path("http://a/t/", "http://a/t/v/1.m4s") == "v/1.m4s"
    assert relative_path("http://a/t/m.mpd", "http://a/t/v/1.m4s") == "v/1.m4s"
    assert relative_path("http://a/t/", "http://b/z/1.m4s") == "http://b/z/1.m4s"
