"""CENC (ISO/IEC 23001-7) protection boxes, decryption and encryption, and W3C ClearKey.

A pure library: bytes in, bytes out, no I/O and no clock. Decrypt an init segment once with
:func:`decrypt_init`, then each media segment with :func:`decrypt_segment`.
"""

from drm.cenc import (
    decrypt,
    decrypt_init,
    decrypt_init_into,
    decrypt_into,
    decrypt_segment,
    decrypt_segment_into,
)
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
from drm.encrypt import EncryptionPlan, encrypt_init, encrypt_segment, plan_from_init
from drm.errors import (
    DecryptionFailed,
    KeyNotFound,
    MalformedLicenseRequest,
    MalformedLicenseResponse,
    MalformedProtectionBox,
    SampleLayoutError,
    UnsupportedScheme,
)
from drm.info import describe
from drm.protection import (
    InitProtection,
    TrackProtection,
    parse_fragment,
    parse_init,
    parse_segment,
)
from drm.pssh import Pssh, build_pssh, find_pssh, parse_pssh

__all__ = [
    "CLEARKEY_SYSTEM_ID",
    "CLEARKEY_SYSTEM_ID_BYTES",
    "DecryptionFailed",
    "EncryptionPlan",
    "InitProtection",
    "KeyNotFound",
    "KeyStore",
    "LicenseRequest",
    "MalformedLicenseRequest",
    "MalformedLicenseResponse",
    "MalformedProtectionBox",
    "Pssh",
    "SampleLayoutError",
    "TrackProtection",
    "UnsupportedScheme",
    "b64url_decode",
    "b64url_encode",
    "build_license_request",
    "build_license_response",
    "build_pssh",
    "clearkey_pssh",
    "decrypt",
    "decrypt_init",
    "decrypt_init_into",
    "decrypt_into",
    "decrypt_segment",
    "decrypt_segment_into",
    "describe",
    "encrypt_init",
    "encrypt_segment",
    "find_pssh",
    "parse_fragment",
    "parse_init",
    "parse_license_request",
    "parse_license_response",
    "parse_pssh",
    "parse_segment",
    "plan_from_init",
]
