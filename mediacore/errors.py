"""The one error taxonomy of the whole product.

Every parse, protocol, network, media and DRM failure is raised as a subclass of
:class:`SdkError`. The root lives here, in the pure foundation package, so that the pure
libraries (``manifest``, ``drm``, ``abr``) raise their own errors without importing ``nrdp``.

Each concrete error class declares a unique numeric ``code`` whose thousands digit is its
category (shaka-player ``Error.Category`` / ExoPlayer ``PlaybackException`` ranges)::

    SdkError
     ├── PlayerError      1xxx  API misuse, player state, configuration
     ├── NetworkError     2xxx  connect, timeout, HTTP status, truncated body, OCA exhaustion
     ├── ManifestError    3xxx  MPD parsing and segment addressing
     ├── DecodeError      4xxx  demux and decode (PyAV)
     ├── ContainerError   5xxx  ISO-BMFF boxes
     ├── DrmError         6xxx  CENC protection boxes and decryption
     ├── LicenseError     7xxx  license acquisition and key delivery
     ├── BackendError     8xxx  fake backend services and their API
     └── AbrError         9xxx  traces, ladders, algorithm configuration

Payloads are typed attributes set by each subclass's ``__init__``, never positional data.
Messages never contain a secret: keys, tokens and passwords travel as :class:`Secret`.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

__all__ = [
    "AbrError",
    "BackendError",
    "Category",
    "ContainerError",
    "DecodeError",
    "DrmError",
    "LicenseError",
    "ManifestError",
    "NetworkError",
    "PlayerError",
    "SdkError",
    "Severity",
    "all_error_classes",
    "error_class_for_code",
]


class Category(enum.IntEnum):
    """Which part of the pipeline detected the error; the code's thousands digit."""

    PLAYER = 1
    NETWORK = 2
    MANIFEST = 3
    DECODE = 4
    CONTAINER = 5
    DRM = 6
    LICENSE = 7
    BACKEND = 8
    ABR = 9


class Severity(enum.Enum):
    """RECOVERABLE errors are retried by policy and reported; CRITICAL ones end a session."""

    RECOVERABLE = "recoverable"
    CRITICAL = "critical"


_REGISTRY: dict[int, type[SdkError]] = {}


class SdkError(Exception):
    """Root of every error the product raises on purpose.

    Subclasses set the class attributes ``category`` (on the category base) and ``code``
    (on concrete classes). ``severity`` and ``retriable`` are class defaults that an
    instance may override, because the same failure can be fatal in one place and
    recoverable in another (a 503 from the last OCA versus from the first).
    """

    category: ClassVar[Category]
    code: ClassVar[int] = 0
    severity: Severity = Severity.CRITICAL
    retriable: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        if code is None or code == 0:
            return
        category = getattr(cls, "category", None)
        if category is None:
            raise TypeError(f"{cls.__qualname__} has a code but no category")
        if code // 1000 != int(category):
            raise TypeError(
                f"{cls.__qualname__}: code {code} is outside the {category.name} range "
                f"{int(category)}000-{int(category)}999"
            )
        if not (cls.__doc__ or "").strip():
            raise TypeError(f"{cls.__qualname__}: every error code must be documented")
        existing = _REGISTRY.get(code)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(
                f"error code {code} used by both {existing.__module__}.{existing.__qualname__} "
                f"and {cls.__module__}.{cls.__qualname__}"
            )
        _REGISTRY[code] = cls

    def __init__(
        self,
        message: str,
        *,
        severity: Severity | None = None,
        retriable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if severity is not None:
            self.severity = severity
        if retriable is not None:
            self.retriable = retriable

    @property
    def category_name(self) -> str:
        return self.category.name

    def attributes(self) -> dict[str, Any]:
        """The typed payload, for reports and telemetry (never contains secrets)."""
        skip = {"message", "severity", "retriable"}
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in skip}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: what reports, events and telemetry carry."""
        return {
            "code": self.code,
            "category": self.category.name,
            "severity": self.severity.value,
            "retriable": self.retriable,
            "error": type(self).__name__,
            "message": self.message,
            "attributes": {k: _jsonable(v) for k, v in self.attributes().items()},
        }

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions with keyword-only constructors do not pickle by default; errors
        # cross process boundaries (the ABR simulator's worker pool), so keep them whole.
        return (_restore, (type(self), dict(vars(self)), self.args))


def _restore(cls: type[SdkError], state: dict[str, Any], args: tuple[Any, ...]) -> SdkError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, *args)
    obj.__dict__.update(state)
    return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return repr(value)


class PlayerError(SdkError):
    """API misuse, player state and configuration (1xxx)."""

    category = Category.PLAYER


class NetworkError(SdkError):
    """Connect, timeout, HTTP status, truncated body, OCA exhaustion (2xxx); retried by policy."""

    category = Category.NETWORK
    severity = Severity.RECOVERABLE
    retriable = True


class ManifestError(SdkError):
    """MPD parsing and segment addressing (3xxx)."""

    category = Category.MANIFEST


class DecodeError(SdkError):
    """Demux and decode (4xxx)."""

    category = Category.DECODE


class ContainerError(SdkError):
    """ISO-BMFF box structure (5xxx)."""

    category = Category.CONTAINER


class DrmError(SdkError):
    """CENC protection boxes and decryption (6xxx)."""

    category = Category.DRM


class LicenseError(SdkError):
    """License acquisition and key delivery (7xxx)."""

    category = Category.LICENSE


class BackendError(SdkError):
    """Fake backend services and their API (8xxx)."""

    category = Category.BACKEND


class AbrError(SdkError):
    """Traces, ladders and ABR algorithm configuration (9xxx)."""

    category = Category.ABR


def all_error_classes() -> dict[int, type[SdkError]]:
    """Every registered error code, of every package imported so far."""
    return dict(sorted(_REGISTRY.items()))


def error_class_for_code(code: int) -> type[SdkError]:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"no error class has code {code}") from None
