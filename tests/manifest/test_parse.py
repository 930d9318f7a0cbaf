"""Bad values: fatal ones raise typed errors naming element path and line; recoverable ones
become warnings on the model."""

from __future__ import annotations

import pytest

from manifest import (
    InvalidValue,
    ManifestError,
    MissingAttribute,
    WarningKind,
    parse_mpd,
)

NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"'


def _doc(body: str, attrs: str = 'type="static" mediaPresentationDuration="PT30S"') -> bytes:
    return f"<MPD {NS} {attrs}>\n{body}\n</MPD>".encode()


def _timeline(s_elems: str) -> bytes:
    return _doc(
        '<Period>\n<AdaptationSet>\n<Representation id="r" bandwidth="1">\n'
        f'<SegmentTemplate media="$Time$">\n<SegmentTimeline>\n{s_elems}\n</SegmentTimeline>\n'
        "</SegmentTemplate>\n</Representation>\n</AdaptationSet>\n</Period>"
    )


def test_missing_s_duration_names_path_and_line() -> None:
    data = _timeline('<S t="0" d="2"/>\n<S t="2"/>')
    with pytest.raises(MissingAttribute) as info:
        parse_mpd(data, "", eager_timelines=True)
    err = info.value
    assert err.attribute == "d" and err.line == 8
    assert err.path == (
        "MPD/Period[1]/AdaptationSet[1]/Representation[1]/SegmentTemplate/SegmentTimeline/S[2]"
    )
    # Lazily decoded (the default), the same error surfaces at first use.
    rep = next(parse_mpd(data, "").representations())
    with pytest.raises(MissingAttribute):
        rep.segment_count()


@pytest.mark.parametrize(
    ("body", "attribute"),
    [
        ('<Period duration="-PT5S"/>', "duration"),
        ('<Period start="PTxS"/>', "start"),
        (
            '<Period><AdaptationSet><SegmentTemplate media="a" duration="-2"/></AdaptationSet>'
            "</Period>",
            "duration",
        ),
        (
            '<Period><AdaptationSet><SegmentTemplate media="a" timescale="0" duration="2"/>'
            "</AdaptationSet></Period>",
            "timescale",
        ),
        (
            '<Period><AdaptationSet><Representation><SegmentBase indexRange="10-2"/>'
            "</Representation></AdaptationSet></Period>",
            "indexRange",
        ),
    ],
)
def test_invalid_values_are_typed(body: str, attribute: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_mpd(_doc(body), "")
    assert info.value.attribute == attribute and info.value.line == 2
    assert info.value.code == 3006


def test_negative_s_duration_and_repeat() -> None:
    for s in ('<S t="0" d="-2"/>', '<S t="0" d="2" r="-5"/>', '<S t="-1" d="2"/>'):
        with pytest.raises(InvalidValue):
            parse_mpd(_timeline(s), "", eager_timelines=True)


def test_negative_media_presentation_duration() -> None:
    with pytest.raises(InvalidValue):
        parse_mpd(_doc("<Period/>", 'type="static" mediaPresentationDuration="-PT1S"'), "")


def test_timeline_gaps_and_overlaps_are_warnings() -> None:
    m = parse_mpd(_timeline('<S t="0" d="2"/>\n<S t="5" d="2"/>\n<S t="6" d="2"/>'), "")
    kinds = [w.kind for w in m.warnings]
    assert kinds == [WarningKind.TIMELINE_GAP, WarningKind.TIMELINE_OVERLAP]
    gap = m.warnings[0]
    assert gap.path.endswith("SegmentTimeline/S[2]") and "previous end=2" in gap.detail
    rep = next(m.representations())
    assert [r.time for r in rep.segments()] == [0, 5, 6]


def test_malformed_protection_does_not_break_the_rest() -> None:
    m = parse_mpd(
        _doc(
            '<Period><AdaptationSet xmlns:cenc="urn:mpeg:cenc:2013">'
            '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"'
            ' cenc:default_KID="not-a-uuid"/>'
            '<ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed">'
            "<cenc:pssh>%%%not base64%%%</cenc:pssh></ContentProtection>"
            "<ContentProtection/>"
            '<Representation id="v" bandwidth="9"><SegmentTemplate media="$Number$" duration="3"/>'
            "</Representation></AdaptationSet></Period>"
        ),
        "",
    )
    cps = m.periods[0].adaptation_sets[0].content_protection
    assert cps[0].scheme == "cenc" and cps[0].default_kid is None
    assert cps[1].system_id == "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed" and cps[1].pssh is None
    assert cps[2].scheme_id_uri == ""
    kinds = [w.kind for w in m.warnings]
    assert kinds.count(WarningKind.MALFORMED_PROTECTION) == 2
    assert WarningKind.MISSING_ATTRIBUTE in kinds
    assert next(m.representations()).segment_count() == 10


def test_missing_representation_id_and_bandwidth_are_warnings() -> None:
    m = parse_mpd(
        _doc('<Period><AdaptationSet><Representation width="abc"/></AdaptationSet></Period>'), ""
    )
    details = sorted(w.detail for w in m.warnings)
    assert details == ["@bandwidth missing", "@id missing", "@width='abc': not an integer"]


def test_every_error_is_a_manifest_error_with_code_in_range() -> None:
    import manifest.errors as errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, ManifestError)
        if cls is not ManifestError:
            assert 3001 <= cls.code <= 3999


def test_undecodable_timeline_is_a_warning_until_used() -> None:
    m = parse_mpd(_timeline('<S t="0" d="2"/>\n<S t="2" d="x"/>'), "")
    (w,) = m.warnings
    assert w.kind is WarningKind.INVALID_VALUE and w.line == 8 and w.path.endswith("S[2]")
    with pytest.raises(InvalidValue):
        next(m.representations()).segment_count()


# ---------------------------------------------------------------------- fast-path safety
def _periods(body: str, count: int = 3) -> bytes:
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">\n{body}\n</Period>' for i in range(count)
    )
    return _doc(periods)


def test_model_instances_carry_exactly_their_dataclass_fields() -> None:
    # The parser builds the dict-based classes from complete field dicts (no __init__):
    # a missing or extra key would break equality, replace() and pickling.
    import dataclasses
    import pickle

    from manifest import AdaptationSet, Manifest, Period, Representation

    data = _periods(
        '<AdaptationSet mimeType="video/mp4" lang="en"><Role schemeIdUri="r" value="main"/>'
        '<SegmentTemplate timescale="10" duration="20" media="$Number$.m4s"/>'
        '<Representation id="v" bandwidth="5" width="4"><BaseURL>v/</BaseURL></Representation>'
        "</AdaptationSet>"
    )
    m = parse_mpd(data, "https://cdn.example/m.mpd")
    for obj, cls in [
        (m.periods[1], Period),
        (m.periods[1].adaptation_sets[0], AdaptationSet),
        (next(m.representations()), Representation),
    ]:
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(vars(obj)) - {"_static_index"} == names
    clone = pickle.loads(pickle.dumps(m))
    assert clone == m and isinstance(clone, Manifest)
    assert dataclasses.replace(m.periods[0]) == m.periods[0]


def test_repeated_elements_still_warn_at_each_path() -> None:
    # Identical Representations/AdaptationSets/ContentProtections across Periods share parsed
    # values, but only those that produced no warning: each bad copy is reported where it is.
    rep = '<Representation id="v" bandwidth="5" width="wide"/>'
    cp = '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" default_KID="x"/>'
    m = parse_mpd(_periods(f'<AdaptationSet group="g">{cp}{rep}</AdaptationSet>'), "")
    bad_width = [w for w in m.parse_warnings if "@width" in w.detail]
    assert [w.path for w in bad_width] == [
        f"MPD/Period[{i}]/AdaptationSet[1]/Representation[1]" for i in (1, 2, 3)
    ]
    bad_group = [w for w in m.parse_warnings if "@group" in w.detail]
    assert [w.path for w in bad_group] == [f"MPD/Period[{i}]/AdaptationSet[1]" for i in (1, 2, 3)]
    bad_kid = [w for w in m.parse_warnings if w.kind is WarningKind.MALFORMED_PROTECTION]
    assert [w.path for w in bad_kid] == [
        f"MPD/Period[{i}]/AdaptationSet[1]/ContentProtection[1]" for i in (1, 2, 3)
    ]
    assert [w.line for w in bad_width] == [3, 6, 9]
    reps = list(m.representations())
    assert all(r.width is None and r.bandwidth == 5 for r in reps)


def test_shared_representation_attributes_link_per_period() -> None:
    # Equal attribute sets reuse parsed fields; linking must still give each Period's copy
    # its own context and BaseURL candidates.
    m = parse_mpd(
        _periods(
            "<BaseURL>p/</BaseURL><AdaptationSet>"
            '<SegmentTemplate timescale="1" duration="2" media="$Number$.m4s"/>'
            '<Representation id="v" bandwidth="5"/></AdaptationSet>'
        ),
        "https://cdn.example/m.mpd",
    )
    reps = list(m.representations())
    assert len({id(r) for r in reps}) == 3
    assert [r.context.period_start for r in reps] == [0.0, 10.0, 20.0]
    assert reps[2].segment_at(25.0).url == "https://cdn.example/p/3.m4s"
    assert reps[0] != reps[1]  # same attributes, different Period context
    assert (reps[0].id, reps[0].bandwidth) == (reps[2].id, reps[2].bandwidth)
