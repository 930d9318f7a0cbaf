"""Hardened loading: bombs, XXE, huge documents and broken XML fail fast with typed errors."""

from __future__ import annotations

import time

import pytest

from manifest import DocumentTooLarge, MalformedXml, NotAnMpd, UnsafeXml, parse_mpd

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period id="&lol9;"/></MPD>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE MPD [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>&x;</BaseURL></MPD>"""


def test_billion_laughs_rejected_quickly() -> None:
    t0 = time.perf_counter()
    with pytest.raises(UnsafeXml) as info:
        parse_mpd(BILLION_LAUGHS, "https://x/")
    assert time.perf_counter() - t0 < 0.5
    assert info.value.code == 3003 and info.value.line == 2


def test_external_entity_refused() -> None:
    with pytest.raises(UnsafeXml):
        parse_mpd(XXE, "https://x/")


def test_entity_declared_late_in_document_refused() -> None:
    data = b"<MPD>" + b" " * 5000 + b"<!ENTITY a 'b'></MPD>"
    with pytest.raises((UnsafeXml, MalformedXml)):
        parse_mpd(data, "")


def test_hundred_megabyte_document_rejected_before_parsing() -> None:
    data = b"<MPD>" + b"<Period/>" * (100 * 1024 * 1024 // 9) + b"</MPD>"
    t0 = time.perf_counter()
    with pytest.raises(DocumentTooLarge) as info:
        parse_mpd(data, "")
    assert time.perf_counter() - t0 < 0.5
    assert info.value.size == len(data) and info.value.limit < len(data)


def test_size_cap_is_configurable() -> None:
    data = b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"/>'
    assert parse_mpd(data, "", max_bytes=len(data)).type == "static"
    with pytest.raises(DocumentTooLarge):
        parse_mpd(data, "", max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"<MPD>\n<Period>\n</MPD>", 3),
        (b"", None),
        (b"<MPD", 1),
        (b"\x00\x01binary", 1),
    ],
)
def test_malformed_xml_names_the_line(data: bytes, line: int | None) -> None:
    with pytest.raises(MalformedXml) as info:
        parse_mpd(data, "")
    if line is not None:
        assert info.value.line == line


def test_not_an_mpd() -> None:
    with pytest.raises(NotAnMpd) as info:
        parse_mpd(b"<html><body/></html>", "")
    assert info.value.root == "html"


def test_leniency_no_namespace_uppercase_namespace_undeclared_prefix() -> None:
    for ns in ("", ' xmlns="urn:mpeg:DASH:schema:MPD:2011"', ' xmlns="urn:other"'):
        data = (
            f'<MPD{ns} type="static" mediaPresentationDuration="PT4S"><Period><AdaptationSet>'
            '<Unknown a="b"><Nested/></Unknown><Representation id="r" bandwidth="5" yt:x="1">'
            '<SegmentTemplate media="$Number$" duration="2"/></Representation></AdaptationSet>'
            "</Period></MPD>"
        ).encode()
        m = parse_mpd(data, "https://x/")
        rep = next(m.representations())
        assert (rep.id, rep.bandwidth, rep.segment_count()) == ("r", 5, 2)
        assert any(w.kind.value == "recovered_xml" for w in m.warnings)


@pytest.mark.parametrize("offset", [4080, 4088, 4089, 4090, 4095, 4096, 4097, 9000])
def test_entity_declaration_found_at_any_offset(offset: int) -> None:
    # The late search starts from a memchr for "!" at 4089 and on: an ENTITY declaration
    # straddling the 4096-byte head must still be refused before parsing.
    data = b"<MPD>" + b" " * (offset - 5) + b"<!ENTITY a 'b'>" + b" " * 5000 + b"</MPD>"
    assert data.index(b"<!ENTITY") == offset
    with pytest.raises(UnsafeXml):
        parse_mpd(data, "")
