"""Bad values: fatal ones raise typed errors naming element path and line; recoverable ones
become warnings on the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import (
    InvalidValue,
    Manifest,
    ManifestError,
    MissingAttribute,
    SegmentTemplate,
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


# ---------------------------------------------------------------------- repeated-set memo
def _parse_both(
    data: bytes, monkeypatch: pytest.MonkeyPatch, url: str = "https://cdn.example/m.mpd"
) -> tuple[Manifest, Manifest]:
    """(parse with the repeated-Period/AdaptationSet memo, parse without it)."""
    import manifest.parse

    with_memo = parse_mpd(data, url)
    monkeypatch.setattr(manifest.parse, "_MEMO", False)
    without = parse_mpd(data, url)
    monkeypatch.setattr(manifest.parse, "_MEMO", True)
    return with_memo, without


_VIDEO_SET = (
    '<AdaptationSet mimeType="video/mp4" codecs="avc1.64001f">'
    '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"/>'
    '<SegmentTemplate timescale="10" duration="20" media="$RepresentationID$/$Number$.m4s"/>'
    '<Representation id="v1" bandwidth="5" width="640"/>'
    '<Representation id="v2" bandwidth="9" width="1280"><BaseURL>hd/</BaseURL>'
    "</Representation></AdaptationSet>"
    '<AdaptationSet mimeType="audio/mp4" lang="en"><Role schemeIdUri="r" value="main"/>'
    '<SegmentTemplate timescale="10" duration="20" media="a/$Number$.m4s"/>'
    '<Representation id="a" bandwidth="1"><AudioChannelConfiguration schemeIdUri="c" value="2"/>'
    "</Representation></AdaptationSet>"
)


def test_memo_gives_the_same_model_as_a_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    import manifest.parse

    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S"><BaseURL>p{i}/</BaseURL>{_VIDEO_SET}</Period>'
        for i in range(12)
    )
    holder: list[Any] = []
    real_ctx = manifest.parse._Ctx

    def spy(*args: Any, **kwargs: Any) -> Any:
        ctx = real_ctx(*args, **kwargs)
        holder.append(ctx)
        return ctx

    monkeypatch.setattr(manifest.parse, "_Ctx", spy)
    fast, full = _parse_both(_doc(periods), monkeypatch)
    assert holder[0].period_memo.hits == 11  # the memo was used...
    assert fast == full  # ...and changed nothing
    reps = [list(p.adaptation_sets[0].representations) for p in fast.periods]
    assert len({id(r) for rs in reps for r in rs}) == 24  # one object per Period
    assert reps[5][1].segment_at(51.0).url == "https://cdn.example/p5/hd/v2/1.m4s"
    assert reps[5][0].context.period_start == 50.0
    assert fast.periods[7].base_urls[0].url == "p7/"
    audio = fast.periods[3].adaptation_sets[1].representations[0]
    assert audio.mime_type == "audio/mp4" and audio.audio_channels[0].value == "2"


def test_memo_misses_on_any_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    # Per-Period presentationTimeOffset, a changed Representation, an extra set, a
    # timeline: every Period must parse to what a full parse gives.
    variants = [
        _VIDEO_SET.replace('duration="20" media="a/', f'duration="20" startNumber="{i}" media="a/')
        if i % 3 == 0
        else _VIDEO_SET.replace('width="640"', f'width="{640 + i % 2}"')
        for i in range(10)
    ]
    variants.append(_VIDEO_SET + _VIDEO_SET)
    variants.append(
        '<AdaptationSet><SegmentTemplate timescale="1" media="$Time$.m4s"><SegmentTimeline>'
        '<S t="0" d="2" r="4"/></SegmentTimeline></SegmentTemplate>'
        '<Representation id="t" bandwidth="1"/></AdaptationSet>'
    )
    variants += variants
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">{body}</Period>' for i, body in enumerate(variants)
    )
    fast, full = _parse_both(_doc(periods), monkeypatch)
    assert fast == full
    assert fast.periods[3].adaptation_sets[1].segment_info.start_number == 3  # type: ignore[union-attr]
    assert fast.periods[1].adaptation_sets[0].representations[0].width == 641
    assert fast.periods[-1].adaptation_sets[0].representations[0].segment_count() == 5


def test_memo_keeps_timeline_errors_at_their_own_period(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sets holding a (lazily decoded, element-bound) SegmentTimeline are never shared.
    body = (
        '<AdaptationSet><SegmentTemplate timescale="1" media="$Time$.m4s"><SegmentTimeline>'
        '<S t="0" d="2"/><S d="{d}"/></SegmentTimeline></SegmentTemplate>'
        '<Representation id="t" bandwidth="1"/></AdaptationSet>'
    )
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">{body.format(d="x" if i == 4 else 2)}</Period>'
        for i in range(6)
    )
    fast, full = _parse_both(_doc(periods), monkeypatch)
    assert fast.warnings == full.warnings  # decodes every timeline; never raises
    (w,) = fast.warnings
    assert w.path.startswith("MPD/Period[5]/AdaptationSet[1]/") and w.line == 6
    reps = list(fast.representations())
    with pytest.raises(InvalidValue) as info:
        reps[4].segment_count()
    assert info.value.path.startswith("MPD/Period[5]/")
    assert [r.segment_count() for i, r in enumerate(reps) if i != 4] == [2] * 5


def test_memo_leaves_warnings_and_errors_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _VIDEO_SET.replace('width="640"', 'width="wide"')
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S"><BaseURL>p/</BaseURL>{body}</Period>'
        for i, body in enumerate(bad if i in (2, 7) else _VIDEO_SET for i in range(9))
    )
    fast, full = _parse_both(_doc(periods), monkeypatch)
    assert fast == full and fast.parse_warnings == full.parse_warnings
    assert [w.path for w in fast.parse_warnings] == [
        f"MPD/Period[{i}]/AdaptationSet[1]/Representation[1]" for i in (3, 8)
    ]
    broken = periods.replace(
        '<Period id="p6" duration="PT10S">', '<Period id="p6" duration="-PT1S">'
    )
    with pytest.raises(InvalidValue) as info:
        parse_mpd(_doc(broken), "")
    assert info.value.path == "MPD/Period[7]" and info.value.attribute == "duration"


def test_memo_on_corpus_documents(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = sorted(p.name for p in (corpus_dir / "mpd").glob("*.mpd"))
    assert names
    multi = 0
    for name in names:
        data = (corpus_dir / "mpd" / name).read_bytes()
        try:
            fast, full = _parse_both(data, monkeypatch, "https://cdn.example/" + name)
        except ManifestError as exc:
            import manifest.parse

            monkeypatch.setattr(manifest.parse, "_MEMO", False)
            with pytest.raises(type(exc)):
                parse_mpd(data, "https://cdn.example/" + name)
            monkeypatch.setattr(manifest.parse, "_MEMO", True)
            continue
        assert fast == full, name
        assert fast.parse_warnings == full.parse_warnings, name
        multi += len(fast.periods) > 2
    assert multi >= 1


_PERIOD_PARTS = [
    # (Period attributes, leading children, AdaptationSet bodies): variations that must
    # not fool the raw-text keys (comments, CDATA, PIs, ">" in values, namespaces).
    'id="a" duration="PT10S"',
    'duration="PT10S" note="a>b"',
    "duration='PT10S'",
    'duration="PT10S" xmlns:x="urn:x"',
]
_PERIOD_LEAD = [
    "",
    "<BaseURL>p/</BaseURL>",
    '<BaseURL serviceLocation="b">q/</BaseURL>\n  ',
    "<BaseURL><![CDATA[c/]]></BaseURL>",
    "<!-- </Period> --><BaseURL>p/</BaseURL>",
    '<SegmentTemplate timescale="1" duration="2" media="p$Number$.m4s"/>',
]
_PERIOD_SETS = [
    _VIDEO_SET,
    _VIDEO_SET.replace('width="640"', 'width="641"'),
    _VIDEO_SET.replace("<Role", "<!-- c --><Role"),
    _VIDEO_SET.replace("<Role", "<?pi x?><Role"),
    _VIDEO_SET.replace('value="main"', 'value="a&gt;b"'),
    '<AdaptationSet mimeType="text/vtt"><Representation id="t" bandwidth="1">'
    "<BaseURL>t.vtt</BaseURL></Representation></AdaptationSet>",
    '<AdaptationSet xmlns:x="urn:y"><Representation id="x" bandwidth="2" x:y="1"/></AdaptationSet>',
    '<AdaptationSet><Representation id="w" bandwidth="w"/></AdaptationSet>',  # warns
]


@settings(max_examples=120, deadline=None)
@given(
    picks=st.lists(
        st.tuples(
            st.integers(0, len(_PERIOD_PARTS) - 1),
            st.integers(0, len(_PERIOD_LEAD) - 1),
            st.lists(st.integers(0, len(_PERIOD_SETS) - 1), min_size=0, max_size=3),
        ),
        min_size=3,
        max_size=9,
    ),
    between=st.sampled_from(["", "\n", "<!-- gap -->", "<?pi?>"]),
)
def test_memo_matches_a_full_parse_whatever_the_periods(
    picks: list[tuple[int, int, list[int]]], between: str
) -> None:
    import manifest.parse

    periods = between.join(
        f"<Period {_PERIOD_PARTS[a]}>{_PERIOD_LEAD[b]}"
        + "".join(_PERIOD_SETS[i] for i in sets)
        + "</Period>"
        for a, b, sets in picks
    )
    data = _doc(periods)
    fast = parse_mpd(data, "https://cdn.example/m.mpd")
    manifest.parse._MEMO = False
    try:
        full = parse_mpd(data, "https://cdn.example/m.mpd")
    finally:
        manifest.parse._MEMO = True
    assert fast == full
    assert fast.parse_warnings == full.parse_warnings
    for a, b in zip(fast.representations(), full.representations(), strict=True):
        assert a is not b and a.context == b.context


def test_memo_never_serializes_a_timeline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keying a set or Period that holds a SegmentTimeline would cost as much as the S
    # entries themselves; such sets are never shared anyway.
    import manifest.parse

    serialized: list[Any] = []
    real = manifest.parse.subtree_text

    def spy(el: Any) -> str:
        serialized.append(el)
        return real(el)

    monkeypatch.setattr(manifest.parse, "subtree_text", spy)
    timeline_set = (
        '<AdaptationSet><SegmentTemplate timescale="1" media="$Time$.m4s"><SegmentTimeline>'
        '<S t="0" d="2" r="4"/></SegmentTimeline></SegmentTemplate>'
        '<Representation id="t" bandwidth="1"/></AdaptationSet>'
    )
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">{timeline_set if i % 2 else _VIDEO_SET}'
        f"{_VIDEO_SET if i % 2 else timeline_set}</Period>"
        for i in range(8)
    )
    fast, full = _parse_both(_doc(periods), monkeypatch)
    assert fast == full
    assert serialized  # the timeline-free sets were compared...
    assert not any(next(el.iter("{*}SegmentTimeline"), None) is not None for el in serialized)


def _spy_ctx(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import manifest.parse

    holder: list[Any] = []
    real_ctx = manifest.parse._Ctx

    def spy(*args: Any, **kwargs: Any) -> Any:
        holder.append(real_ctx(*args, **kwargs))
        return holder[-1]

    monkeypatch.setattr(manifest.parse, "_Ctx", spy)
    return holder


def test_periods_differing_only_in_template_attributes_share_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Numbering that goes on from Period to Period (startNumber, presentationTimeOffset on
    the templates, set- and Representation-level) still reuses the parsed sets, and every
    Period addresses its own segments."""
    rep_template = '<SegmentTemplate timescale="10" duration="20" media="r/$Number$.m4s"'
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S"><BaseURL>p{i}/</BaseURL>'
        + _VIDEO_SET.replace(
            'duration="20" media="$Rep', f'duration="20" startNumber="{i * 5 + 1}" media="$Rep'
        )
        + f'<AdaptationSet mimeType="text/vtt"><Representation id="t" bandwidth="1">'
        f'{rep_template} presentationTimeOffset="{i * 100}"/></Representation></AdaptationSet>'
        "</Period>"
        for i in range(10)
    )
    holder = _spy_ctx(monkeypatch)
    fast, full = _parse_both(
        _doc(periods, 'type="static" mediaPresentationDuration="PT100S"'), monkeypatch
    )
    assert holder[0].period_memo.hits == 9  # every later Period came from the memo...
    assert fast == full  # ...with its own templates
    v2 = fast.periods[6].adaptation_sets[0].representations[1]
    assert v2.segment_at(61.0).url == "https://cdn.example/p6/hd/v2/31.m4s"
    text = fast.periods[4].adaptation_sets[2].representations[0]
    assert text.addressing.presentation_time_offset == 400


def test_a_bad_template_in_a_memo_period_fails_at_its_own_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">'
        + _VIDEO_SET.replace(
            'duration="20" media="$Rep',
            f'duration="20" startNumber="{"x" if i == 3 else i}" media="$Rep',
        )
        + "</Period>"
        for i in range(5)
    )
    for memo in (True, False):
        monkeypatch.setattr(manifest_parse(), "_MEMO", memo)
        with pytest.raises(InvalidValue) as info:
            parse_mpd(_doc(periods), "https://cdn.example/m.mpd")
        assert "Period[4]/AdaptationSet[1]/SegmentTemplate" in info.value.path


def manifest_parse() -> Any:
    import manifest.parse

    return manifest.parse


# ------------------------------------------------------- repeated Periods cut before lxml
def _pretty_set(template_attrs: str) -> str:
    return _VIDEO_SET.replace("><", ">\n  <").replace(
        'duration="20" media="$Rep', f'duration="20" {template_attrs} media="$Rep'
    )


def test_repeated_periods_are_cut_before_the_tree_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Repeated Period bodies never reach lxml; the model, the templates that differ and
    the line of every later warning are what the full parse gives."""
    import manifest._spans

    periods = "\n".join(
        f'<Period id="p{i}" duration="PT10S">\n<BaseURL>p{i}/</BaseURL>\n'
        + _pretty_set(f'startNumber="{i * 5 + 1}"' if i % 2 else "")
        + "\n</Period>"
        for i in range(8)
    )
    periods += (
        '\n<Period id="last" duration="PT10S">\n<AdaptationSet>\n'
        '<Representation id="w" bandwidth="w"/>\n</AdaptationSet>\n</Period>'
    )
    data = _doc(periods, 'type="static" mediaPresentationDuration="PT90S"')
    cut = manifest._spans.strip_repeats(data, 64, 8)
    assert cut is not None and cut.stripped == frozenset(range(1, 8))
    assert cut.data.count(b"\n") == data.count(b"\n") and len(cut.data) < len(data) // 2
    fast, full = _parse_both(data, monkeypatch)
    assert fast == full and fast.parse_warnings == full.parse_warnings
    (w,) = fast.parse_warnings
    assert w.line == data[: data.index(b'id="w"')].count(b"\n") + 1
    v1 = fast.periods[5].adaptation_sets[0].representations[0]
    assert v1.segment_at(51.0).url == "https://cdn.example/p5/v1/26.m4s"


def test_a_cut_document_that_fails_reports_what_the_original_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    periods = "".join(f'<Period id="p{i}" duration="PT10S">{_VIDEO_SET}</Period>' for i in range(6))
    broken = _doc(periods + "<Period><Oops></Period>")
    errors = []
    for memo in (True, False):
        monkeypatch.setattr(manifest_parse(), "_MEMO", memo)
        with pytest.raises(ManifestError) as info:
            parse_mpd(broken, "")
        errors.append(info.value)
    assert str(errors[0]) == str(errors[1]) and type(errors[0]) is type(errors[1])


# ---------------------------------------------------------- SegmentTimeline bodies cut
_CUT_CASES = [
    '<S t="0" d="2" r="2"/>\n<S d="2"/>\n<S t="20" d="3" r="-1"/>',  # a gap, an open end
    '<S t="0" d="2"/>\n  <S d="0"/>',  # d must be > 0 (line 2 of the timeline)
    '<S t="0" d="2"/>\n<S t="4"/>',  # no d
    '<S t="0" d="2" r="-7"/>',  # r out of range
    '<S t="0" d="2"/>\n<S d="1' + "1" * 5000 + '"/>',  # too long for int()
    '<S t="0" d="2"/><!-- c --><S d="2"/>',  # a comment: not cut
    '<S t="0" d="2" n="4"/>',  # another attribute: not cut
    '<S  d="2"/>',  # other spacing: not cut
]


@pytest.mark.parametrize("entries", _CUT_CASES)
def test_cut_timelines_decode_like_their_elements(
    entries: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S entries kept as bytes (not lxml elements) give the same entries, warnings,
    errors and lines as the element path, also when decoded during parse."""
    import manifest._timeline_cut

    monkeypatch.setattr(manifest._timeline_cut, "MIN_BYTES", 0)
    data = _timeline(entries)
    cut = manifest._timeline_cut.cut_timelines(data)
    assert (cut is None) == any(w in entries for w in ("<!--", "n=", "<S  "))
    outcomes = []
    for memo in (True, False):
        monkeypatch.setattr(manifest_parse(), "_MEMO", memo)
        for eager in (False, True):
            try:
                m = parse_mpd(data, "https://x/m.mpd", eager_timelines=eager)
                rep = next(m.representations())
                outcomes.append((m.warnings, rep.segment_count(), rep.addressing))
            except ManifestError as exc:
                outcomes.append((type(exc), str(exc), exc.line))
    assert outcomes[0] == outcomes[2] and outcomes[1] == outcomes[3]


def test_a_big_timeline_is_cut_and_its_lines_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import manifest._timeline_cut

    s = "\n".join(f'<S t="{i * 2}" d="2"/>' for i in range(4000))
    data = _doc(
        '<Period>\n<AdaptationSet>\n<Representation id="r" bandwidth="1">\n'
        f'<SegmentTemplate media="$Time$">\n<SegmentTimeline>\n{s}\n<S t="9" d="2"/>\n'
        '</SegmentTimeline>\n</SegmentTemplate>\n</Representation>\n<Representation id="w"'
        ' bandwidth="w"/>\n</AdaptationSet>\n</Period>'
    )
    cut = manifest._timeline_cut.cut_timelines(data)
    assert cut is not None and len(cut.data) < len(data) // 10
    fast, full = _parse_both(data, monkeypatch)
    assert fast == full and fast.warnings == full.warnings
    lines = [w.line for w in fast.warnings]
    assert lines == [w.line for w in full.warnings] and len(lines) == 2
    assert fast.parse_warnings[0].line == data[: data.index(b'id="w"')].count(b"\n") + 1


def test_cut_timelines_on_corpus_documents(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real packagers' timelines, cut whatever their size: the same model, warnings and
    decoded entries as the element path (or the same error)."""
    import manifest._timeline_cut

    monkeypatch.setattr(manifest._timeline_cut, "MIN_BYTES", 0)
    cut = 0
    for path in sorted((corpus_dir / "mpd").glob("*.mpd")):
        data = path.read_bytes()
        cut += manifest._timeline_cut.cut_timelines(data) is not None
        outcomes = []
        for memo in (True, False):
            monkeypatch.setattr(manifest_parse(), "_MEMO", memo)
            try:
                m = parse_mpd(data, "https://cdn.example/" + path.name)
                tls = [
                    r.addressing.timeline.entries
                    for r in m.representations()
                    if isinstance(r.addressing, SegmentTemplate) and r.addressing.timeline
                ]
                outcomes.append((m, m.warnings, tls))
            except ManifestError as exc:
                outcomes.append((type(exc), str(exc), exc.line))
        assert outcomes[0] == outcomes[1], path.name
    assert cut >= 10
