"""The WebVTT parser/writer and the cue timetable: real files, edge cases, properties."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.packager.subtitles import webvtt
from nrdp.errors import InvalidArgument, MalformedSubtitles
from nrdp.text import (
    CueSchedule,
    TextCue,
    WebVttCue,
    format_timestamp,
    parse_timestamp,
    parse_webvtt,
    write_webvtt,
)


def test_the_packagers_sidecar_parses_one_cue_per_segment() -> None:
    doc = parse_webvtt(webvtt("Ocean Deep", "en", 4.0, 1.0).encode())
    assert [(c.start, c.end) for c in doc.cues] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]
    assert [c.id for c in doc.cues] == ["cue-1", "cue-2", "cue-3", "cue-4"]
    assert doc.cues[1].text == "[en] Ocean Deep — segment 2\n00:01 to 00:02"
    assert doc.warnings == ()  # the NOTE block is skipped silently


def test_bom_crlf_header_settings_short_times_and_multiline_payloads() -> None:
    body = (
        "\ufeffWEBVTT - a title\r\nKind: captions\r\nLanguage: es\r\n\r\n"
        "STYLE\r\n::cue { color: yellow }\r\n\r\n"
        "NOTE a comment\r\nover two lines\r\n\r\n"
        "intro\r\n00:01.250 --> 00:02.000 align:start line:0%\r\n<i>Hola</i>\r\nmundo\r\n\r\n"
        "01:00:00.000-->01:00:01.500\rlast\r"
    ).encode()
    doc = parse_webvtt(body)
    assert doc.header == ("Kind: captions", "Language: es")
    first, last = doc.cues
    assert first == WebVttCue(1.25, 2.0, "<i>Hola</i>\nmundo", "intro", "align:start line:0%")
    assert (last.start, last.end, last.text, last.id) == (3600.0, 3601.5, "last", None)


def test_malformed_cues_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    body = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\ngood one\n\n"
        "00:00:xx.000 --> 00:00:03.000\nbad time\n\n"
        "00:00:05.000 --> 00:00:04.000\nends before it starts\n\n"
        "00:61.000 --> 00:62.000\nminutes out of range\n\n"
        "just some text without timing\n\n"
        "00:00:06.000 --> 00:00:07.000\nsix\n00:00:07.000 --> 00:00:08.000\nseven, no blank line\n"
    )
    with caplog.at_level(logging.WARNING, logger="nrdp.text"):
        doc = parse_webvtt(body)
    assert [c.text for c in doc.cues] == ["good one", "six", "seven, no blank line"]
    assert len(doc.warnings) == 4
    assert "line 6" in doc.warnings[0]  # says where
    assert len([r for r in caplog.records if r.name == "nrdp.text"]) == 4


@pytest.mark.parametrize(
    "body",
    [b"", b"WEBVT", b"webvtt\n\n", b"WEBVTTX\n", b"1\n00:00:01.000 --> 00:00:02.000\nx\n", b"\x00"],
)
def test_a_body_that_is_not_webvtt_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(MalformedSubtitles) as info:
        parse_webvtt(body)
    assert info.value.code == 4030 and info.value.line == 1


def test_absurd_hours_skip_the_cue_instead_of_overflowing() -> None:
    huge = "9" * 400
    doc = parse_webvtt(f"WEBVTT\n\n{huge}:00:00.000 --> {huge}9:00:00.000\nx\n")
    assert doc.cues == () and len(doc.warnings) == 1


def test_an_empty_document_and_a_cue_without_payload() -> None:
    assert parse_webvtt(b"WEBVTT").cues == ()
    doc = parse_webvtt(b"WEBVTT\n\n00:01.000 --> 00:02.000\n\n")
    assert doc.cues == (WebVttCue(1.0, 2.0, ""),)


def test_timestamps() -> None:
    assert parse_timestamp("00:00.001") == 0.001
    assert parse_timestamp("123:59:59.999") == pytest.approx(123 * 3600 + 3599.999)
    assert parse_timestamp("000000000000001:00:00.000") == 3600.0
    huge = "9" * 400 + ":00:00.000"
    for bad in ("1:00.000", "00:00.00", "00:60.000", "00:00:00,000", "-00:01.000", huge):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    assert format_timestamp(3661.5) == "01:01:01.500"
    with pytest.raises(ValueError):
        format_timestamp(-1.0)


def test_writer_refuses_cues_it_cannot_write_faithfully() -> None:
    for cue in (
        WebVttCue(1.0, 1.0, "zero length"),
        WebVttCue(0.0, 1.0, "a\n\nb"),
        WebVttCue(0.0, 1.0, "a --> b"),
        WebVttCue(0.0, 1.0, "x", id="a --> b"),
    ):
        with pytest.raises(ValueError):
            write_webvtt([cue])


_line = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20
).filter(lambda s: "-->" not in s and s.strip() != "")
_cue = st.builds(
    lambda start, length, lines, ident, settings_: WebVttCue(
        start / 1000, (start + length) / 1000, "\n".join(lines), ident, settings_
    ),
    st.integers(0, 10 * 3600 * 1000),
    st.integers(1, 60_000),
    st.lists(_line, max_size=3),
    st.none() | _line.filter(lambda s: not s.startswith(("NOTE", "STYLE", "REGION"))),
    st.sampled_from(["", "align:start", "line:10% position:20%"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_cue, max_size=6))
def test_parse_of_write_is_the_identity(cues: list[WebVttCue]) -> None:
    text = write_webvtt(cues)
    assert parse_webvtt(text.encode()).cues == tuple(cues)
    assert parse_webvtt(text.replace("\n", "\r\n")).cues == tuple(cues)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda b: b"WEBVTT\n" + b, st.binary(max_size=300)))
def test_random_bytes_give_cues_or_the_typed_error(data: bytes) -> None:
    try:
        doc = parse_webvtt(data)
    except MalformedSubtitles:
        return
    for cue in doc.cues:
        assert 0 <= cue.start < cue.end


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.sampled_from("WEBVT0123456789:.-> \n\r\tNOTExyz"), max_size=40), max_size=8)
)
def test_near_webvtt_text_never_raises_anything_else(lines: list[str]) -> None:
    try:
        parse_webvtt("WEBVTT\n" + "\n".join(lines))
    except MalformedSubtitles:  # pragma: no cover - the signature is always there
        raise AssertionError("a document with the signature is WebVTT") from None


def test_text_cue_checks_its_times() -> None:
    with pytest.raises(InvalidArgument):
        TextCue(2.0, 1.0, "x", "t")
    with pytest.raises(InvalidArgument):
        TextCue(float("nan"), 1.0, "x", "t")


def _cues(*spans: tuple[float, float]) -> list[TextCue]:
    return [TextCue(s, e, f"{s}-{e}", "t") for s, e in spans]


def test_schedule_hands_each_cue_out_once_when_due() -> None:
    sched = CueSchedule(_cues((2, 3), (0, 1), (1, 2)))
    assert [c.start for c in sched.due(0.0)] == [0]
    assert sched.due(0.5) == []
    assert [c.start for c in sched.due(2.5)] == [1, 2]  # a slow tick delivers late, in order
    assert sched.exhausted and sched.due(10.0) == []


def test_schedule_after_a_seek_shows_what_is_on_screen_there_and_skips_what_ended() -> None:
    sched = CueSchedule(_cues((0, 10), (1, 2), (3, 4), (5, 6)))
    sched.reset(3.5)
    assert [(c.start, c.end) for c in sched.due(3.5)] == [(0, 10), (3, 4)]
    sched.reset(0.0)  # seek back: everything comes again
    assert [c.start for c in sched.due(1.0)] == [0, 1]
    sched.reset(20.0)
    assert sched.exhausted and sched.due(30.0) == []
