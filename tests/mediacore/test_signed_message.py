"""The signed-message wire format: golden vectors (fixed inputs -> fixed signature bytes).

The expected signatures were computed outside Python (``openssl dgst -sha256 -mac HMAC``
over the canonical string as printed by ``printf``), so a drift in the canonical string,
the text encoding, the body hash or the base64 flavour turns these red. Both ends of the
protocol use this very module; the last test checks that neither keeps a copy.
"""

from __future__ import annotations

import pytest

from mediacore import signed_message as wire
from mediacore.errors import BackendError

KEY = bytes(range(32))

GOLDEN_REQUESTS = [
    # (method, path_qs, timestamp, nonce, body, signature)
    (
        "POST",
        "/play/v1/manifest",
        1700000000,
        "AAAAAAAAAAAAAAAAAAAAAA",
        b'{"title_id":"t-ocean"}',
        "bLGdLvPl8LloxKFZ7ZZdrz8irn5cCXDayD6e1GwqoEs",
    ),
    (  # lower-case method is upper-cased; non-ASCII text is UTF-8; empty body hashes b""
        "get",
        "/discovery/v1/search?q=caf\u00e9",
        1700000000,
        "BBBBBBBBBBBBBBBB",
        b"",
        "zvNthAIAAvI8pvCvtqc0vuPrwYSKGGGdye94xh73oms",
    ),
]


@pytest.mark.parametrize(("method", "path", "ts", "nonce", "body", "sig"), GOLDEN_REQUESTS)
def test_request_golden_vectors(
    method: str, path: str, ts: int, nonce: str, body: bytes, sig: str
) -> None:
    signed = wire.sign_request(KEY, method, path, body, timestamp=ts, nonce=nonce)
    assert signed.signature == sig
    assert signed.as_dict() == {
        "X-Nrdp-Timestamp": str(ts),
        "X-Nrdp-Nonce": nonce,
        "X-Nrdp-Signature": sig,
    }
    assert wire.signature_matches(KEY, wire.canonical_request(method, path, ts, nonce, body), sig)


def test_response_golden_vector() -> None:
    signed = wire.sign_response(
        KEY,
        200,
        "/license/v1/clearkey",
        b'{"keys":[]}',
        timestamp=1700000005,
        nonce="AAAAAAAAAAAAAAAAAAAAAA",
    )
    assert signed.signature == "izf_y86gDfbZ7FVxkSLXy8P9Jek0aGrRMjJTwyY1DjY"


def test_a_lone_surrogate_is_a_typed_error_not_a_signature() -> None:
    with pytest.raises(wire.MessageNotEncodable) as info:
        wire.sign_request(KEY, "GET", "/p?q=\ud800", b"", timestamp=1, nonce="A" * 16)
    assert isinstance(info.value, BackendError) and isinstance(info.value, ValueError)
    assert info.value.code == 8220
    assert info.value.position == len("NRDP-HMAC-SHA256\nGET\n/p?q=")


@pytest.mark.parametrize(
    ("now", "fresh"),
    [(1000.0, True), (1300.0, True), (700.0, True), (1300.5, False), (699.0, False)],
)
def test_clock_skew_allowance_is_symmetric(now: float, fresh: bool) -> None:
    assert wire.MAX_SKEW_S == 300.0
    assert wire.within_skew(now, 1000) is fresh


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "integrity headers missing"),
        ({"X-Nrdp-Timestamp": "1", "X-Nrdp-Nonce": "short", "X-Nrdp-Signature": "s"}, "nonce"),
        ({"X-Nrdp-Timestamp": "1e3", "X-Nrdp-Nonce": "A" * 16, "X-Nrdp-Signature": "s"}, "time"),
        ({"X-Nrdp-Timestamp": "\u0661", "X-Nrdp-Nonce": "A" * 16, "X-Nrdp-Signature": "s"}, "time"),
    ],
)
def test_unusable_headers_say_why(headers: dict[str, str], why: str) -> None:
    got = wire.read_headers(headers)
    assert isinstance(got, str) and why in got


def test_both_ends_use_this_module() -> None:
    """The SDK re-exports the wire names; the backend imports them from here (no copy)."""
    from fake_backend import integrity
    from fake_backend.gateway import app
    from nrdp.playback import signing

    for name in ("canonical_request", "canonical_response", "sign", "MAX_SKEW_S"):
        assert getattr(signing, name) is getattr(wire, name)
    for name in ("HEADER_NONCE", "HEADER_SIGNATURE", "HEADER_TIMESTAMP", "canonical_request"):
        assert getattr(app, name) is getattr(signing, name) is getattr(wire, name)
    assert integrity.NonceCache().check_and_add("dev", "n" * 16, 0.0)


def test_the_playback_token_header_and_refusal_code_are_the_wire_modules() -> None:
    from fake_backend.errors import PlaybackTokenInvalid
    from fake_backend.oca import server
    from fake_backend.play_api import service
    from nrdp.playback import token

    assert wire.PLAYBACK_TOKEN_HEADER == "X-Nrdp-Playback-Token"
    assert server.PLAYBACK_TOKEN_HEADER is service.PLAYBACK_TOKEN_HEADER is token.OCA_TOKEN_HEADER
    assert token.OCA_TOKEN_HEADER is wire.PLAYBACK_TOKEN_HEADER
    assert PlaybackTokenInvalid.code == token.PLAYBACK_TOKEN_INVALID == wire.PLAYBACK_TOKEN_INVALID
