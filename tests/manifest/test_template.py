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
