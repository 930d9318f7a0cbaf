"""W3C ClearKey license format, key store and the ClearKey pssh."""

from __future__ import annotations

import base64
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.clearkey import (
    CLEARKEY_SYSTEM_ID,
    CLEARKEY_SYSTEM_ID_BYTES,
    KeyStore,
    LicenseRequest,
    b64url_decode,
    b64url_encode,
    build_license_request,
    build_license_response,
    clearkey_pssh,
    parse_license_request,
    parse_license_response,
)
from drm.errors import (
    InvalidBase64,
    InvalidKey,
    KeyNotFound,
    MalformedLicenseRequest,
    MalformedLicenseResponse,
)
from drm.pssh import find_pssh
from mediacore.errors import DrmError, LicenseError, SdkError

kids16 = st.binary(min_size=16, max_size=16)
KID = bytes.fromhex("cd7eb9ff88f34caeb06185b00024e4c2")
KEY = bytes.fromhex("63cb5f7184dd4b689a5c5ff11ee6a328")


def test_system_id_constants() -> None:
    assert CLEARKEY_SYSTEM_ID_BYTES.hex() == CLEARKEY_SYSTEM_ID.replace("-", "")
    assert len(CLEARKEY_SYSTEM_ID_BYTES) == 16


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_b64url_round_trip_without_padding(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data
    assert b64url_decode(text + "=" * (-len(text) % 4)) == data


@pytest.mark.parametrize("bad", ["a", "ab$c", "!!!!", "abc=d", "a===", " é "])
def test_b64url_decode_garbage_is_typed(bad: str) -> None:
    with pytest.raises(InvalidBase64):
        b64url_decode(bad)


def test_androidx_response_from_its_repo_test() -> None:
    # androidx DrmPlaybackTest CLEARKEY_RESPONSE: kid and key in base64url.
    body = json.dumps(
        {
            "keys": [
                {"kty": "oct", "k": "Y8tfcYTdS2iaXF_xHuajKA", "kid": "zX65_4jzTK6wYYWwACTkwg"}
            ],
            "type": "temporary",
        }
    )
    store = parse_license_response(body.encode())
    assert store.get(KID) == KEY


@settings(max_examples=150, deadline=None)
@given(
    st.lists(kids16, min_size=1, max_size=8, unique=True),
    st.sampled_from(["temporary", "persistent-license"]),
)
def test_request_round_trip(kids: list[bytes], session_type: str) -> None:
    body = build_license_request(kids, session_type)
    doc = json.loads(body)
    assert all("=" not in k for k in doc["kids"])
    assert parse_license_request(body) == LicenseRequest(tuple(kids), session_type)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(kids16, kids16, min_size=0, max_size=8))
def test_response_round_trip(keys: dict[bytes, bytes]) -> None:
    store = parse_license_response(build_license_response(keys))
    assert len(store) == len(keys)
    assert set(store.kids()) == set(keys)
    for kid, key in keys.items():
        assert kid in store
        assert store.get(kid) == key
    assert store.reveal() == keys


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"kids": []}',
        b'{"kids": "abc"}',
        b'{"kids": [1]}',
        b'{"kids": ["!!"]}',
        b'{"kids": ["AAAA"]}',
        b'{"kids": ["zX65_4jzTK6wYYWwACTkwg"], "type": 3}',
        b"\xff\xfe",
    ],
)
def test_malformed_request(body: bytes) -> None:
    with pytest.raises(MalformedLicenseRequest) as info:
        parse_license_request(body)
    assert 7001 <= info.value.code <= 7099


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"keys": "x"},
        {"keys": [1]},
        {"keys": [{"kty": "RSA", "k": "AA", "kid": "AA"}]},
        {"keys": [{"kty": "oct", "kid": "zX65_4jzTK6wYYWwACTkwg"}]},
        {"keys": [{"kty": "oct", "k": "Y8tfcYTdS2iaXF_xHuajKA", "kid": "AAAA"}]},
        {"keys": [{"kty": "oct", "k": "AAAA", "kid": "zX65_4jzTK6wYYWwACTkwg"}]},
        {"keys": [{"kty": "oct", "k": "!!", "kid": "zX65_4jzTK6wYYWwACTkwg"}]},
    ],
)
def test_malformed_response(doc: object) -> None:
    with pytest.raises(MalformedLicenseResponse) as info:
        parse_license_response(json.dumps(doc).encode())
    assert isinstance(info.value, LicenseError)
    assert KEY.hex() not in str(info.value)


def test_key_store_never_shows_a_key() -> None:
    store = KeyStore({KID: KEY})
    for text in (repr(store), str(store), f"{store}"):
        assert KID.hex() in text
        assert KEY.hex() not in text
        assert base64.b64encode(KEY).decode() not in text
    missing = bytes(16)
    with pytest.raises(KeyNotFound) as info:
        store.get(missing)
    err = info.value
    assert isinstance(err, DrmError) and isinstance(err, SdkError)
    assert missing.hex() in str(err)
    assert err.kid == missing.hex()
    assert KEY.hex() not in json.dumps(err.to_dict())
    assert pickle.loads(pickle.dumps(store)).get(KID) == KEY


def test_key_store_rejects_bad_sizes() -> None:
    with pytest.raises(InvalidKey):
        KeyStore({b"short": KEY})
    store = KeyStore()
    with pytest.raises(InvalidKey) as info:
        store.add(KID, b"x" * 15)
    assert KID.hex() in str(info.value)
    assert "x" * 15 not in str(info.value)
    with pytest.raises(InvalidKey):
        build_license_request([b"123"])


def test_key_store_update_and_iteration() -> None:
    a = KeyStore({KID: KEY})
    b = KeyStore({bytes(16): bytes(range(16))})
    a.update(b)
    assert len(a) == 2 and list(a) == [KID, bytes(16)]
    assert 5 not in a


def test_clearkey_pssh_is_a_v1_box_listing_kids() -> None:
    kids = [KID, bytes(range(16))]
    box = clearkey_pssh(kids)
    assert int.from_bytes(box[:4], "big") == len(box)
    assert box[4:8] == b"pssh"
    (p,) = find_pssh(box)
    assert p.version == 1
    assert p.system_id == CLEARKEY_SYSTEM_ID_BYTES
    assert p.kids == tuple(kids)
    assert p.data == b""
    assert p.system_name == "ClearKey"
