"""URL template expansion (ISO/IEC 23009-1 5.3.9.4.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import InvalidTemplate
from manifest.template import compile_template


def test_identifiers_widths_and_escapes() -> None:
    t = compile_template("$RepresentationID$/$Bandwidth%08d$/$Number%05d$_$Time$$$.m4s")
    assert (
        t.expand(representation_id="v1", bandwidth=800000, number=42, time=90000)
        == "v1/00800000/00042_90000$.m4s"
    )
    assert compile_template("plain.mp4").expand() == "plain.mp4"


@pytest.mark.parametrize("bad", ["$Foo$", "a$Number", "$RepresentationID%05d$", "$Number%d$x$"])
def test_invalid_templates(bad: str) -> None:
    with pytest.raises(InvalidTemplate):
        compile_template(bad)


def test_missing_value_is_typed() -> None:
    with pytest.raises(InvalidTemplate):
        compile_template("$Time$").expand(number=1)


@settings(max_examples=150, deadline=None)
@given(
    literal=st.text(st.characters(blacklist_characters="$"), max_size=10),
    width=st.integers(1, 12),
    number=st.integers(0, 10**15),
)
def test_number_width_matches_printf(literal: str, width: int, number: int) -> None:
    t = compile_template(f"{literal}$Number%0{width}d${literal}")
    assert t.expand(number=number) == f"{literal}{number:0{width}d}{literal}"


# ---------------------------------------------------------------- sizes an MPD asks for
HOSTILE_WIDTH_MPD = (
    b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
    b'mediaPresentationDuration="PT10S"><Period><AdaptationSet mimeType="video/mp4">'
    b'<SegmentTemplate timescale="1" duration="2" media="$Number%02147483647d$.m4s"/>'
    b'<Representation id="v" bandwidth="1"/></AdaptationSet></Period></MPD>'
)


def test_a_332_byte_mpd_asking_for_a_2_gb_url_is_a_typed_error_at_once() -> None:
    import time

    from manifest import parse_mpd
    from manifest.errors import ManifestError

    assert len(HOSTILE_WIDTH_MPD) < 400
    t0 = time.perf_counter()
    with pytest.raises(InvalidTemplate) as info:
        m = parse_mpd(HOSTILE_WIDTH_MPD, "https://cdn.example/m.mpd")
        next(m.representations()).segment_at(1.0)
    assert time.perf_counter() - t0 < 1.0
    assert isinstance(info.value, ManifestError) and "over the limit 32" in str(info.value)


@pytest.mark.parametrize("width", ["33", "2147483647", "9" * 5000, "0" * 10])
def test_format_widths_over_the_limit_are_refused(width: str) -> None:
    with pytest.raises(InvalidTemplate) as info:
        compile_template(f"seg-$Number%0{width}d$.m4s")
    assert len(str(info.value)) < 600  # the message does not echo a huge template


def test_widths_up_to_the_limit_expand() -> None:
    from manifest.limits import MAX_FORMAT_WIDTH

    t = compile_template(f"$Number%0{MAX_FORMAT_WIDTH}d$")
    assert t.expand(number=7) == "7".rjust(MAX_FORMAT_WIDTH, "0")
