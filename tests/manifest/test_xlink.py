"""XLink: remote Periods/AdaptationSets are reported unresolved and spliced in on resolve."""

from __future__ import annotations

import pytest

from manifest import UnresolvedXlink, WarningKind, XlinkFragmentInvalid, parse_mpd
from manifest.xlink import resolve_xlink

MPD = b"""<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink"
 type="static" mediaPresentationDuration="PT30S">
<Period id="main" duration="PT10S"><AdaptationSet id="v"><Representation id="r" bandwidth="1">
 <SegmentTemplate media="main-$Number$.m4s" duration="2"/></Representation></AdaptationSet>
 <AdaptationSet xlink:href="https://ads.example/audio.xml" xlink:actuate="onLoad"/></Period>
<Period xlink:href="https://ads.example/ad-break.xml"/>
<Period id="tail" duration="PT10S"><AdaptationSet><Representation id="t" bandwidth="1">
 <SegmentTemplate media="tail-$Number$.m4s" duration="5"/></Representation></AdaptationSet>
</Period></MPD>"""

AD = b"""<?xml version="1.0"?>
<Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="ad" duration="PT10S"><AdaptationSet>
<Representation id="ad" bandwidth="1"><SegmentTemplate media="ad-$Number$.m4s" duration="5"/>
</Representation></AdaptationSet></Period>"""


def test_unresolved_elements_are_reported() -> None:
    m = parse_mpd(MPD, "https://cdn.example/m.mpd")
    assert m.unresolved_xlinks == (
        ("MPD/Period[1]/AdaptationSet[2]", "https://ads.example/audio.xml"),
        ("MPD/Period[2]", "https://ads.example/ad-break.xml"),
    )
    assert [w.kind for w in m.warnings] == [WarningKind.UNRESOLVED_XLINK] * 2
    assert m.periods[1].xlink_actuate is None and m.periods[0].adaptation_sets[1].xlink_actuate == (
        "onLoad"
    )


def test_resolving_a_period_fragment() -> None:
    m = parse_mpd(MPD, "https://cdn.example/m.mpd")
    r = resolve_xlink(m, "MPD/Period[2]", AD)
    assert [p.id for p in r.periods] == ["main", "ad", "tail"]
    assert [(p.start_time, p.end_time) for p in r.periods] == [(0, 10), (10, 20), (20, 30)]
    ad = r.periods[1].adaptation_sets[0].representations[0]
    assert [(s.url, s.start) for s in ad.segments()] == [
        ("https://cdn.example/ad-1.m4s", 10.0),
        ("https://cdn.example/ad-2.m4s", 15.0),
    ]
    assert r.unresolved_xlinks == (
        ("MPD/Period[1]/AdaptationSet[2]", "https://ads.example/audio.xml"),
    )


def test_resolving_an_adaptation_set_and_to_zero() -> None:
    m = parse_mpd(MPD, "https://cdn.example/m.mpd")
    frag = b'<AdaptationSet id="a1" lang="en"/><AdaptationSet id="a2" lang="fr"/>'
    r = resolve_xlink(m, "MPD/Period[1]/AdaptationSet[2]", frag)
    assert [a.id for a in r.periods[0].adaptation_sets] == ["v", "a1", "a2"]
    gone = resolve_xlink(r, "MPD/Period[2]", b"")
    assert [p.id for p in gone.periods] == ["main", "tail"] and gone.unresolved_xlinks == ()


def test_bad_resolutions() -> None:
    m = parse_mpd(MPD, "")
    with pytest.raises(UnresolvedXlink):
        resolve_xlink(m, "MPD/Period[3]", AD)  # not a remote element
    with pytest.raises(XlinkFragmentInvalid):
        resolve_xlink(m, "MPD/Period[2]", b"<AdaptationSet/>")
