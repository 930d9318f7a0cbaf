"""Message integrity: canonical strings, signatures, tampering, and the nonce cache."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.errors import Overloaded
from fake_backend.integrity import NonceCache
from mediacore.signed_message import (
    canonical_request,
    canonical_response,
    sign,
    sign_request,
    sign_response,
    signature_matches,
)

KEY = bytes(range(32))


def test_canonical_request_exact_shape():
    canon = canonical_request("post", "/play/v1/manifest?a=1", 1700000000, "n" * 16, b"{}")
    assert canon.split("\n") == [
        "NRDP-HMAC-SHA256",
        "POST",
        "/play/v1/manifest?a=1",
        "1700000000",
        "n" * 16,
        hashlib.sha256(b"{}").hexdigest(),
    ]
    assert canonical_response(200, "/p", 1, "n" * 16, b"").split("\n")[:2] == [
        "NRDP-HMAC-SHA256-RESPONSE",
        "200",
    ]


def test_known_vector():
    # a fixed vector the SDK's mirror implementation can test against (docs/backend.md)
    h = sign_request(
        KEY,
        "POST",
        "/play/v1/manifest",
        b'{"title_id":"t-ocean"}',
        timestamp=1700000000,
        nonce="AAAAAAAAAAAAAAAAAAAAAA",
    )
    assert h.signature == sign(
        KEY,
        canonical_request(
            "POST",
            "/play/v1/manifest",
            1700000000,
            "AAAAAAAAAAAAAAAAAAAAAA",
            b'{"title_id":"t-ocean"}',
        ),
    )
    # computed independently with: printf canonical | openssl dgst -sha256 -mac HMAC ... | base64url
    assert h.signature == "bLGdLvPl8LloxKFZ7ZZdrz8irn5cCXDayD6e1GwqoEs"


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    path=st.text(min_size=1, max_size=40),
    ts=st.integers(0, 2**40),
    body=st.binary(max_size=200),
    flip=st.integers(0, 10_000),
)
def test_any_change_breaks_signature(method, path, ts, body, flip):
    nonce = "abcdefghijklmnop"
    h = sign_request(KEY, method, path, body, timestamp=ts, nonce=nonce)
    assert signature_matches(KEY, canonical_request(method, path, ts, nonce, body), h.signature)
    if body:
        i = flip % len(body)
        bad = body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :]
        assert not signature_matches(
            KEY, canonical_request(method, path, ts, nonce, bad), h.signature
        )
    assert not signature_matches(
        KEY, canonical_request(method, path, ts + 1, nonce, body), h.signature
    )
    assert not signature_matches(
        b"x" * 32, canonical_request(method, path, ts, nonce, body), h.signature
    )


def test_response_signature_binds_status():
    h = sign_response(KEY, 200, "/p", b"ok", timestamp=5, nonce="n" * 16)
    assert signature_matches(KEY, canonical_response(200, "/p", 5, "n" * 16, b"ok"), h.signature)
    assert not signature_matches(
        KEY, canonical_response(403, "/p", 5, "n" * 16, b"ok"), h.signature
    )


def test_signature_matches_tolerates_garbage():
    assert not signature_matches(KEY, "x", "\udcff not ascii ✓")


def test_nonce_cache_replay_and_expiry():
    c = NonceCache(ttl_s=10)
    assert c.check_and_add("d1", "n1", now=0)
    assert not c.check_and_add("d1", "n1", now=5)
    assert c.check_and_add("d2", "n1", now=5)  # per device
    assert c.check_and_add("d1", "n1", now=20)  # expired (stale messages are refused anyway)


def test_nonce_cache_is_bounded():
    c = NonceCache(ttl_s=10, max_entries=100)
    for i in range(1000):
        assert c.check_and_add("d", f"n{i}", now=i)
    assert len(c) <= 100


def test_nonce_cache_full_of_live_nonces_fails_closed():
    """Regression (issue 17 #10): a full cache used to evict the oldest live nonce, so its
    message could be replayed. Now only expired nonces go; a full cache refuses (503)."""
    c = NonceCache(ttl_s=100, max_entries=3)
    for i in range(3):
        assert c.check_and_add("d", f"n{i}", now=float(i))
    with pytest.raises(Overloaded) as err:
        c.check_and_add("d", "fresh", now=3.0)
    assert err.value.status == 503 and err.value.code == 8163
    assert not c.check_and_add("d", "n0", now=3.0)  # n0 still remembered: no replay
    assert c.check_and_add("d", "fresh", now=100.5)  # n0 expired, room again
    assert len(c) == 3
