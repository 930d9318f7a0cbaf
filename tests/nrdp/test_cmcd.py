from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.cmcd import (
    HEADERS,
    KEYS,
    CmcdData,
    CmcdMode,
    ObjectType,
    StreamingFormat,
    StreamType,
    append_to_url,
    apply,
    encode,
    parse_payload,
    to_headers,
    to_query,
)
from nrdp.errors import InvalidArgument

FULL = CmcdData(
    encoded_bitrate_kbps=3200,
    buffer_length_ms=21_345,
    buffer_starvation=True,
    content_id="faec5fc2-ac30-11ea-bb37-0242ac130002",
    object_duration_ms=4004,
    deadline_ms=18_490,
    measured_throughput_kbps=25_449,
    next_object_request="../300kbps/segment36.m4v",
    next_range_request="12323-48763",
    object_type=ObjectType.VIDEO,
    playback_rate=2.0,
    requested_max_throughput_kbps=15_049,
    streaming_format=StreamingFormat.DASH,
    session_id="6e2fb550-c457-11e9-bb97-0800200c9a66",
    stream_type=StreamType.VOD,
    startup=True,
    top_bitrate_kbps=6000,
    version=1,
)


def test_payload_is_sorted_rounded_and_typed() -> None:
    assert encode(FULL) == (
        'bl=21300,br=3200,bs,cid="faec5fc2-ac30-11ea-bb37-0242ac130002",d=4004,dl=18500,'
        'mtp=25400,nor="../300kbps/segment36.m4v",nrr="12323-48763",ot=v,pr=2,rtp=15000,'
        'sf=d,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v,su,tb=6000'
    )  # v=1 is the default and omitted


def test_headers_split_keys_by_their_spec_header() -> None:
    headers = to_headers(FULL)
    assert list(headers) == list(HEADERS)
    assert headers["CMCD-Object"] == "br=3200,d=4004,ot=v,tb=6000"
    assert headers["CMCD-Request"] == (
        'bl=21300,dl=18500,mtp=25400,nor="../300kbps/segment36.m4v",nrr="12323-48763",su'
    )
    assert headers["CMCD-Session"] == (
        'cid="faec5fc2-ac30-11ea-bb37-0242ac130002",pr=2,sf=d,'
        'sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v'
    )
    assert headers["CMCD-Status"] == "bs,rtp=15000"
    assert to_headers(CmcdData(encoded_bitrate_kbps=100)) == {"CMCD-Object": "br=100"}


def test_query_is_url_encoded_like_encode_uri_component() -> None:
    data = CmcdData(object_duration_ms=3000, object_type=ObjectType.MUXED, session_id="foobar")
    assert to_query(data) == "CMCD=d%3D3000%2Cot%3Dav%2Csid%3D%22foobar%22"
    assert to_query(CmcdData()) == ""


def test_defaults_false_booleans_and_key_filter_are_omitted() -> None:
    data = CmcdData(
        playback_rate=1.0,
        version=1,
        startup=False,
        buffer_starvation=False,
        encoded_bitrate_kbps=800,
        session_id="s",
    )
    assert encode(data) == 'br=800,sid="s"'
    assert encode(data, keys={"sid"}) == 'sid="s"'
    assert encode(CmcdData(playback_rate=0.5, version=2)) == "pr=0.5,v=2"


def test_append_to_url_keeps_query_and_fragment() -> None:
    data = CmcdData(encoded_bitrate_kbps=800)
    assert append_to_url("http://o/s.m4s", data) == "http://o/s.m4s?CMCD=br%3D800"
    assert append_to_url("http://o/s.m4s?t=1#f", data) == "http://o/s.m4s?t=1&CMCD=br%3D800#f"
    assert append_to_url("http://o/s.m4s?", data) == "http://o/s.m4s?CMCD=br%3D800"
    assert append_to_url("http://o/s.m4s", CmcdData()) == "http://o/s.m4s"


def test_strings_with_quotes_and_commas_are_escaped_and_round_trip() -> None:
    data = CmcdData(content_id='a "b", c\\d')
    payload = encode(data)
    assert payload == 'cid="a \\"b\\", c\\\\d"'
    assert parse_payload(payload) == {"cid": 'a "b", c\\d'}
    assert parse_payload(to_query(data)) == {"cid": 'a "b", c\\d'}


@pytest.mark.parametrize(
    "kw",
    [
        {"encoded_bitrate_kbps": -1},
        {"buffer_length_ms": math.nan},
        {"startup": 1},
        {"content_id": "x" * 65},
        {"next_range_request": "abc"},
        {"object_type": "v"},
        {"playback_rate": True},
        {"session_id": 5},
    ],
)
def test_invalid_values_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        CmcdData(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", ["br=x", "zz=1", "cid=abc", "br", "ot=V", "su=maybe", ",,"])
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_payload(payload)


def test_the_key_table_matches_the_spec_headers() -> None:
    by_header: dict[str, set[str]] = {}
    for key, spec in KEYS.items():
        by_header.setdefault(spec.header, set()).add(key)
    assert by_header == {
        "CMCD-Object": {"br", "d", "ot", "tb"},
        "CMCD-Request": {"bl", "dl", "mtp", "nor", "nrr", "su"},
        "CMCD-Session": {"cid", "pr", "sf", "sid", "st", "v"},
        "CMCD-Status": {"bs", "rtp"},
    }


TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=64)


@settings(max_examples=200, deadline=None)
@given(
    br=st.none() | st.integers(0, 10**6),
    bl=st.none() | st.floats(0, 1e6),
    bs=st.booleans(),
    cid=st.none() | TEXT,
    ot=st.none() | st.sampled_from(list(ObjectType)),
    pr=st.none() | st.floats(0, 8),
    su=st.booleans(),
    sid=st.none() | TEXT,
)
def test_encoding_round_trips_through_query_and_headers(
    br: int | None,
    bl: float | None,
    bs: bool,
    cid: str | None,
    ot: ObjectType | None,
    pr: float | None,
    su: bool,
    sid: str | None,
) -> None:
    data = CmcdData(
        encoded_bitrate_kbps=br,
        buffer_length_ms=bl,
        buffer_starvation=bs,
        content_id=cid,
        object_type=ot,
        playback_rate=pr,
        startup=su,
        session_id=sid,
    )
    expected = dict(data.pairs())
    decoded = parse_payload(to_query(data)) if expected else {}
    assert decoded.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert decoded[key] == pytest.approx(value, abs=1e-3)
        else:
            assert decoded[key] == value
    merged: dict[str, object] = {}
    for header in to_headers(data).values():
        merged.update(parse_payload(header))
    assert merged.keys() == expected.keys()
    keys = list(expected)
    assert keys == sorted(keys)
    if "bl" in expected:
        assert expected["bl"] % 100 == 0


def test_apply_uses_the_configured_mode() -> None:
    from nrdp.config import CmcdConfig

    data = CmcdData(encoded_bitrate_kbps=800, session_id="s")
    cfg = CmcdConfig(enabled=True, mode="header", keys=frozenset({"br"}))  # type: ignore[arg-type]
    assert apply("http://o/x", data, mode=cfg.mode, keys=cfg.keys) == (
        "http://o/x",
        {"CMCD-Object": "br=800"},
    )
    url, headers = apply("http://o/x", data, mode=CmcdMode.QUERY)
    assert url == "http://o/x?CMCD=br%3D800%2Csid%3D%22s%22" and headers == {}
