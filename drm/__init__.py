"""CENC (ISO/IEC 23001-7) protection boxes, decryption and encryption, and W3C ClearKey.

A pure library: bytes in, bytes out, no I/O and no clock. Decrypt an init segment once with
:func:`decrypt_init`, then each media segment with :func:`decrypt_segment`.
"""

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
    DecryptionFailed,
    KeyNotFound,
    MalformedLicenseRequest,
    MalformedLicenseResponse,
    MalformedProtectionBox,
    SampleLayoutError,
    UnsupportedScheme,
)
from drm.pssh import Pssh, build_pssh, find_pssh, parse_pssh

__all__ = [
    "CLEARKEY_SYSTEM_ID",
    "CLEARKEY_SYSTEM_ID_BYTES",
    "DecryptionFailed",
    "KeyNotFound",
    "KeyStore",
    "LicenseRequest",
    "MalformedLicenseRequest",
    "MalformedLicenseResponse",
    "MalformedProtectionBox",
    "Pssh",
    "SampleLayoutError",
    "UnsupportedScheme",
    "b64url_decode",
    "b64url_encode",
    "build_license_request",
    "build_license_response",
    "build_pssh",
    "clearkey_pssh",
    "find_pssh",
    "parse_license_request",
    "parse_license_response",
    "parse_pssh",
]
