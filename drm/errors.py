"""The DRM error tree: protection boxes and decryption (6xxx), license format (7001-7099).

Box *truncation* is :class:`mediacore.boxes.MalformedBox` (5001); the errors here describe
content whose boxes are well-formed but whose protection metadata is inconsistent, missing
or unsupported. No message or attribute ever carries a content key: keys are named by KID.
Codes 7100+ belong to the SDK's license client.
"""

from __future__ import annotations

from mediacore.errors import DrmError, LicenseError

__all__ = [
    "AuxInfoMismatch",
    "DecryptionFailed",
    "DrmError",
    "InvalidBase64",
    "InvalidKey",
    "InvalidKeySpec",
    "KeyNotFound",
    "LicenseError",
    "MalformedLicenseRequest",
    "MalformedLicenseResponse",
    "MalformedProtectionBox",
    "MissingProtectionInfo",
    "SampleLayoutError",
    "UnsupportedScheme",
]


class MalformedProtectionBox(DrmError):
    """A protection box (tenc, pssh, senc, saiz, saio, sgpd, sbgp, schm) has an invalid value."""

    code = 6001

    def __init__(self, message: str, *, box: str) -> None:
        super().__init__(f"{box}: {message}")
        self.box = box


class KeyNotFound(DrmError):
    """No content key is known for the KID a sample is encrypted with."""

    code = 6002

    def __init__(self, *, kid: bytes) -> None:
        super().__init__(f"no key for KID {kid.hex()}")
        self.kid = kid.hex()


class UnsupportedScheme(DrmError):
    """The protection scheme (schm) is not one of cenc, cens, cbc1, cbcs."""

    code = 6003

    def __init__(self, *, scheme: str) -> None:
        super().__init__(f"unsupported protection scheme {scheme!r}")
        self.scheme = scheme


class SampleLayoutError(DrmError):
    """Sample sizes, offsets, counts or subsample maps do not fit the data they describe."""

    code = 6004

    def __init__(self, message: str, *, track_id: int | None = None) -> None:
        where = f"track {track_id}: " if track_id is not None else ""
        super().__init__(f"{where}{message}")
        self.track_id = track_id


class DecryptionFailed(DrmError):
    """The cipher rejected the input (e.g. a wrong-size key or IV)."""

    code = 6005

    def __init__(self, message: str, *, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.kid = kid.hex() if kid is not None else None


class MissingProtectionInfo(DrmError):
    """An encrypted track lacks the sinf/schm/tenc needed to decrypt it, or none was given."""

    code = 6006

    def __init__(self, message: str, *, track_id: int | None = None) -> None:
        super().__init__(message)
        self.track_id = track_id


class AuxInfoMismatch(DrmError):
    """senc and saiz/saio describe the same samples differently."""

    code = 6007

    def __init__(self, message: str, *, track_id: int | None = None) -> None:
        super().__init__(message)
        self.track_id = track_id


class InvalidKey(DrmError):
    """A KID or content key has the wrong length (both must be 16 bytes)."""

    code = 6008

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidKeySpec(DrmError):
    """A ``KID:KEY`` command-line key is not two 32-digit hex strings."""

    code = 6009

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MalformedLicenseRequest(LicenseError):
    """A ClearKey license request body is not the W3C JSON shape."""

    code = 7001

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MalformedLicenseResponse(LicenseError):
    """A ClearKey license response body is not the W3C JSON shape (JWK set)."""

    code = 7002

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidBase64(LicenseError):
    """A base64url field of a ClearKey message does not decode."""

    code = 7003

    def __init__(self, message: str) -> None:
        super().__init__(message)
