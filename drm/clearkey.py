"""W3C ClearKey: license request/response JSON, the key store and the ClearKey 'pssh'.

The formats follow the Encrypted Media Extensions spec, section 9.1 "Clear Key": a request
is ``{"kids": [b64url...], "type": "temporary"}``, a response is a JWK set
``{"keys": [{"kty": "oct", "k": b64url, "kid": b64url}], "type": ...}``. Pure functions over
bytes; the HTTP exchange lives in the SDK's license client.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drm.errors import (
    InvalidBase64,
    InvalidKey,
    KeyNotFound,
    MalformedLicenseRequest,
    MalformedLicenseResponse,
)
from drm.pssh import build_pssh

__all__ = [
    "CLEARKEY_SYSTEM_ID",
    "CLEARKEY_SYSTEM_ID_BYTES",
    "SESSION_TYPES",
    "KeyStore",
    "LicenseRequest",
    "b64url_decode",
    "b64url_encode",
    "build_license_request",
    "build_license_response",
    "clearkey_pssh",
    "parse_license_request",
    "parse_license_response",
]

CLEARKEY_SYSTEM_ID: str = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
CLEARKEY_SYSTEM_ID_BYTES: bytes = uuid.UUID(CLEARKEY_SYSTEM_ID).bytes

SESSION_TYPES = frozenset({"temporary", "persistent-license"})
"""Session types EME defines for ClearKey requests."""

KID_SIZE = 16
KEY_SIZE = 16
_MAX_BODY = 1 << 20
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def b64url_encode(data: bytes) -> str:
    """base64url without padding, as JWK and EME require."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url, tolerating missing padding (and standard '+/' alphabet)."""
    if not isinstance(text, str):
        raise InvalidBase64(f"expected a base64url string, got {type(text).__name__}")
    norm = text.strip().replace("+", "-").replace("/", "_")
    if not _B64URL.fullmatch(norm):
        raise InvalidBase64("not base64url: contains characters outside the alphabet")
    core = norm.rstrip("=")
    if len(core) % 4 == 1:
        raise InvalidBase64(f"not base64url: impossible length {len(core)}")
    try:
        return base64.urlsafe_b64decode(core + "=" * (-len(core) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidBase64(f"not base64url: {exc}") from None


@dataclass(frozen=True)
class LicenseRequest:
    """A parsed ClearKey license request: the KIDs the CDM asks keys for."""

    kids: tuple[bytes, ...]
    session_type: str = "temporary"


def _check_kid(kid: bytes) -> bytes:
    kid = bytes(kid)
    if len(kid) != KID_SIZE:
        raise InvalidKey(f"a KID must be {KID_SIZE} bytes, got {len(kid)}")
    return kid


def build_license_request(kids: Iterable[bytes], session_type: str = "temporary") -> bytes:
    """The JSON body a ClearKey CDM sends to the license server."""
    ids = [b64url_encode(_check_kid(k)) for k in kids]
    return json.dumps({"kids": ids, "type": session_type}, separators=(",", ":")).encode()


def _load_json(
    body: bytes | str, err: type[MalformedLicenseRequest | MalformedLicenseResponse]
) -> dict[str, Any]:
    if len(body) > _MAX_BODY:
        raise err(f"body of {len(body)} bytes exceeds the {_MAX_BODY}-byte limit")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting too
        raise err(f"not JSON: {exc.__class__.__name__}") from None
    if not isinstance(doc, dict):
        raise err(f"top level must be an object, got {type(doc).__name__}")
    return doc


def _session_type(doc: dict[str, Any], err: type[Exception]) -> str:
    st = doc.get("type", "temporary")
    if not isinstance(st, str):
        raise err("'type' must be a string")
    return st


def parse_license_request(body: bytes) -> LicenseRequest:
    """Parse a ClearKey license request; every KID must be 16 bytes of base64url."""
    doc = _load_json(body, MalformedLicenseRequest)
    kids = doc.get("kids")
    if not isinstance(kids, list) or not kids:
        raise MalformedLicenseRequest("'kids' must be a non-empty list")
    out: list[bytes] = []
    for i, k in enumerate(kids):
        if not isinstance(k, str):
            raise MalformedLicenseRequest(f"kids[{i}] is not a string")
        try:
            raw = b64url_decode(k)
        except InvalidBase64 as exc:
            raise MalformedLicenseRequest(f"kids[{i}]: {exc.message}") from None
        if len(raw) != KID_SIZE:
            raise MalformedLicenseRequest(f"kids[{i}] is {len(raw)} bytes, not {KID_SIZE}")
        out.append(raw)
    return LicenseRequest(tuple(out), _session_type(doc, MalformedLicenseRequest))


def build_license_response(
    keys: Mapping[bytes, bytes] | KeyStore, session_type: str = "temporary"
) -> bytes:
    """The JWK-set JSON a ClearKey license server answers with."""
    items = keys.reveal().items() if isinstance(keys, KeyStore) else keys.items()
    jwks = []
    for kid, key in items:
        _check_kid(kid)
        if len(key) != KEY_SIZE:
            raise InvalidKey(f"key for KID {bytes(kid).hex()} must be {KEY_SIZE} bytes")
        jwks.append({"kty": "oct", "k": b64url_encode(key), "kid": b64url_encode(kid)})
    return json.dumps({"keys": jwks, "type": session_type}, separators=(",", ":")).encode()


def parse_license_response(body: bytes) -> KeyStore:
    """Parse a ClearKey JWK set into a :class:`KeyStore` (entries of other ``kty`` refused)."""
    doc = _load_json(body, MalformedLicenseResponse)
    keys = doc.get("keys")
    if not isinstance(keys, list):
        raise MalformedLicenseResponse("'keys' must be a list")
    _session_type(doc, MalformedLicenseResponse)
    store = KeyStore()
    for i, jwk in enumerate(keys):
        if not isinstance(jwk, dict):
            raise MalformedLicenseResponse(f"keys[{i}] is not an object")
        if jwk.get("kty") != "oct":
            raise MalformedLicenseResponse(f"keys[{i}].kty must be 'oct'")
        kid_text, key_text = jwk.get("kid"), jwk.get("k")
        if not isinstance(kid_text, str) or not isinstance(key_text, str):
            raise MalformedLicenseResponse(f"keys[{i}] needs string 'kid' and 'k'")
        try:
            kid = b64url_decode(kid_text)
        except InvalidBase64 as exc:
            raise MalformedLicenseResponse(f"keys[{i}].kid: {exc.message}") from None
        if len(kid) != KID_SIZE:
            raise MalformedLicenseResponse(f"keys[{i}].kid is {len(kid)} bytes, not {KID_SIZE}")
        try:
            key = b64url_decode(key_text)
        except InvalidBase64:
            raise MalformedLicenseResponse(
                f"keys[{i}].k (KID {kid.hex()}) is not base64url"
            ) from None
        if len(key) != KEY_SIZE:
            raise MalformedLicenseResponse(
                f"keys[{i}].k (KID {kid.hex()}) is {len(key)} bytes, not {KEY_SIZE}"
            )
        store.add(kid, key)
    return store


class KeyStore:
    """Content keys by 16-byte KID. ``repr``, ``str`` and errors name KIDs, never keys."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[bytes, bytes] | None = None) -> None:
        self._keys: dict[bytes, bytes] = {}
        if keys:
            for kid, key in keys.items():
                self.add(kid, key)

    def add(self, kid: bytes, key: bytes) -> None:
        kid = _check_kid(kid)
        key = bytes(key)
        if len(key) != KEY_SIZE:
            raise InvalidKey(f"key for KID {kid.hex()} must be {KEY_SIZE} bytes, got {len(key)}")
        self._keys[kid] = key

    def get(self, kid: bytes) -> bytes:
        try:
            return self._keys[bytes(kid)]
        except KeyError:
            raise KeyNotFound(kid=bytes(kid)) from None

    def update(self, other: KeyStore) -> None:
        """Add every key of ``other`` (a newer license wins for the same KID)."""
        self._keys.update(other._keys)

    def kids(self) -> tuple[bytes, ...]:
        return tuple(self._keys)

    def reveal(self) -> dict[bytes, bytes]:
        """The raw KID -> key mapping, on purpose (for a license server building a response)."""
        return dict(self._keys)

    def __contains__(self, kid: object) -> bool:
        return isinstance(kid, bytes | bytearray) and bytes(kid) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[bytes]:
        return iter(tuple(self._keys))

    def __repr__(self) -> str:
        return f"KeyStore(kids=[{', '.join(k.hex() for k in self._keys)}])"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        return (KeyStore, (dict(self._keys),))


def clearkey_pssh(kids: Iterable[bytes]) -> bytes:
    """The ClearKey 'pssh' (version 1, KIDs listed, empty data), per the W3C common PSSH."""
    return build_pssh(CLEARKEY_SYSTEM_ID_BYTES, kids, b"", version=1)
