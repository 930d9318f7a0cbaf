"""Message signing: the documented test vector, agreement with the server's reference, and
typed failures for tampered, replayed-nonce and stale responses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacore import signed_message as integrity  # the backend's side of the wire
from nrdp.errors import ResponseTampered
from nrdp.playback.signing import (
    canonical_request,
    sign,
    sign_request,
    verify_response,
)

KEY = bytes(range(32))
NONCE = "AAAAAAAAAAAAAAAAAAAAAA"


def test_documented_test_vector():
    req = sign_request(
        KEY,
        "POST",
        "/play/v1/manifest",
        b'{"title_id":"t-ocean"}',
        timestamp=1700000000,
        nonce=NONCE,
    )
    assert req.signature == "bLGdLvPl8LloxKFZ7ZZdrz8irn5cCXDayD6e1GwqoEs"


@settings(max_examples=100, deadline=None)
@given(
    method=st.sampled_from(["GET", "post", "PUT"]),
    path=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    ts=st.integers(0, 2**40),
    body=st.binary(max_size=200),
)
def test_agrees_with_the_server_reference(method, path, ts, body):
    ours = canonical_request(method, path, ts, NONCE, body)
    assert ours == integrity.canonical_request(method, path, ts, NONCE, body)
    assert sign(KEY, ours) == integrity.sign(KEY, ours)


def _response(body: bytes, status: int = 200, ts: int = 1700000000):
    req = sign_request(KEY, "POST", "/license/v1/clearkey", b"{}", timestamp=ts, nonce=NONCE)
    headers = integrity.sign_response(
        KEY, status, "/license/v1/clearkey", body, timestamp=ts, nonce=NONCE
    ).as_dict()
    return req, headers


def test_genuine_response_verifies():
    req, headers = _response(b'{"keys":[]}')
    verify_response(KEY, req, 200, headers, b'{"keys":[]}', now=1700000010)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, b: (h, b + b" "), "signature mismatch"),
        (lambda h, b: ({**h, "X-Nrdp-Nonce": "B" * 22}, b), "nonce not echoed"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "X-Nrdp-Signature"}, b), "missing"),
        (lambda h, b: ({**h, "X-Nrdp-Timestamp": "x"}, b), "malformed timestamp"),
    ],
)
def test_tampered_responses_are_typed(mutate, reason):
    req, headers = _response(b'{"keys":[]}')
    headers, body = mutate(headers, b'{"keys":[]}')
    with pytest.raises(ResponseTampered, match=reason):
        verify_response(KEY, req, 200, headers, body, now=1700000010, url="http://h/p?t=secret")


def test_stale_response_and_wrong_status():
    req, headers = _response(b"{}")
    with pytest.raises(ResponseTampered, match="stale"):
        verify_response(KEY, req, 200, headers, b"{}", now=1700000000 + 301)
    with pytest.raises(ResponseTampered, match="signature"):
        verify_response(KEY, req, 201, headers, b"{}", now=1700000000)


def test_bad_nonce_is_refused():
    with pytest.raises(ValueError):
        sign_request(KEY, "GET", "/", b"", timestamp=1, nonce="short")
