"""The backend's error tree (8100-8999): each error knows the HTTP status it answers with.

Every failure a client can cause is one of these, rendered by the gateway as the one JSON
shape ``{"error": {"code", "name", "message", "request_id"}}``. Codes 8001-8049 belong to
the packager. Messages never carry a token, password or content key.
"""

from __future__ import annotations

from typing import ClassVar

from mediacore.errors import BackendError, Severity

__all__ = [
    "AccountExists",
    "BackendError",
    "BadRequest",
    "BodyTooLarge",
    "CircuitOpen",
    "DependencyFailed",
    "DeviceNotFound",
    "FileNotFound",
    "Forbidden",
    "InjectedFault",
    "InternalError",
    "InvalidCredentials",
    "InvalidFaultPlan",
    "InvalidField",
    "InvalidRefreshToken",
    "InvalidToken",
    "KidNotAuthorized",
    "LicenseRequestInvalid",
    "MalformedJson",
    "MethodNotAllowed",
    "NotEntitled",
    "OcaNotFound",
    "Overloaded",
    "PathForbidden",
    "PaymentDeclined",
    "PlaybackTokenInvalid",
    "ProfileNotFound",
    "RangeNotSatisfiable",
    "RateLimited",
    "ReplayedMessage",
    "RouteNotFound",
    "ServiceDown",
    "ServiceError",
    "SignatureInvalid",
    "SignatureMissing",
    "StaleMessage",
    "TitleNotFound",
    "TokenExpired",
    "Unauthenticated",
    "UnknownPlan",
]


class ServiceError(BackendError):
    """Base of errors the services answer with; ``status`` is the HTTP status code."""

    status: ClassVar[int] = 400


class BadRequest(ServiceError):
    """The request is malformed in a way no narrower error describes."""

    code = 8100
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MalformedJson(ServiceError):
    """The body is not JSON, or not the JSON object the endpoint expects."""

    code = 8101
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidField(ServiceError):
    """A JSON field or query parameter is missing, of the wrong type or out of range."""

    code = 8102
    status = 400

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class BodyTooLarge(ServiceError):
    """The request body exceeds the gateway's size limit."""

    code = 8103
    status = 413

    def __init__(self, *, limit: int) -> None:
        super().__init__(f"request body exceeds the {limit}-byte limit")
        self.limit = limit


class RouteNotFound(ServiceError):
    """No endpoint has this path."""

    code = 8104
    status = 404

    def __init__(self, *, path: str) -> None:
        super().__init__(f"no endpoint at {path}")
        self.path = path


class MethodNotAllowed(ServiceError):
    """The endpoint exists but not for this HTTP method."""

    code = 8105
    status = 405

    def __init__(self, *, method: str, path: str) -> None:
        super().__init__(f"{method} is not allowed on {path}")
        self.method = method
        self.path = path


class Unauthenticated(ServiceError):
    """The endpoint needs a bearer access token and none was sent."""

    code = 8110
    status = 401

    def __init__(self, message: str = "missing bearer access token") -> None:
        super().__init__(message)


class InvalidToken(ServiceError):
    """The access token is malformed or its signature does not verify."""

    code = 8111
    status = 401

    def __init__(self, message: str = "invalid access token") -> None:
        super().__init__(message)


class TokenExpired(ServiceError):
    """The access token's signature is valid but it has expired; refresh it."""

    code = 8112
    status = 401
    retriable = True

    def __init__(self, message: str = "access token expired") -> None:
        super().__init__(message)


class InvalidCredentials(ServiceError):
    """Login failed: unknown e-mail or wrong password (deliberately not told apart)."""

    code = 8113
    status = 401

    def __init__(self) -> None:
        super().__init__("invalid e-mail or password")


class InvalidRefreshToken(ServiceError):
    """The refresh token is unknown, revoked, already used or expired."""

    code = 8114
    status = 401

    def __init__(self) -> None:
        super().__init__("invalid or expired refresh token")


class AccountExists(ServiceError):
    """Signup with an e-mail that already has an account."""

    code = 8115
    status = 409

    def __init__(self) -> None:
        super().__init__("an account with this e-mail already exists")


class Forbidden(ServiceError):
    """The caller is authenticated but may not act on this resource."""

    code = 8116
    status = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)


class DeviceNotFound(ServiceError):
    """The device id is not registered to the caller's account."""

    code = 8117
    status = 404

    def __init__(self, *, device_id: str) -> None:
        super().__init__(f"no device {device_id!r} on this account")
        self.device_id = device_id


class RateLimited(ServiceError):
    """Too many requests from this device; retry after ``retry_after_s`` seconds."""

    code = 8120
    status = 429
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, retry_after_s: int) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class NotEntitled(ServiceError):
    """The account has no active plan (signup not paid) and may not play."""

    code = 8130
    status = 403

    def __init__(self, message: str = "account is not entitled to play") -> None:
        super().__init__(message)


class TitleNotFound(ServiceError):
    """No title has this id."""

    code = 8131
    status = 404

    def __init__(self, *, title_id: str) -> None:
        super().__init__(f"no title {title_id!r}")
        self.title_id = title_id


class ProfileNotFound(ServiceError):
    """The profile does not exist on the caller's account."""

    code = 8132
    status = 404

    def __init__(self, *, profile_id: str) -> None:
        super().__init__(f"no profile {profile_id!r} on this account")
        self.profile_id = profile_id


class PaymentDeclined(ServiceError):
    """The (fake) payment processor declined the card."""

    code = 8133
    status = 402

    def __init__(self) -> None:
        super().__init__("payment declined")


class UnknownPlan(ServiceError):
    """The plan id is not one of the offered plans."""

    code = 8134
    status = 400

    def __init__(self, *, plan: str) -> None:
        super().__init__(f"unknown plan {plan!r}")
        self.plan = plan


class SignatureMissing(ServiceError):
    """A signed endpoint was called without the X-Nrdp-Timestamp/Nonce/Signature headers."""

    code = 8140
    status = 401

    def __init__(self, *, header: str) -> None:
        super().__init__(f"signed endpoint: missing or malformed header {header}")
        self.header = header


class SignatureInvalid(ServiceError):
    """The message HMAC does not match: the request was tampered with or signed wrongly."""

    code = 8141
    status = 401

    def __init__(self) -> None:
        super().__init__("message signature does not verify")


class StaleMessage(ServiceError):
    """The signed timestamp is further than the allowed skew from the server clock."""

    code = 8142
    status = 401

    def __init__(self, *, skew_s: float, max_skew_s: float) -> None:
        super().__init__(f"message timestamp is {skew_s:.0f} s off (max {max_skew_s:.0f} s)")
        self.skew_s = skew_s
        self.max_skew_s = max_skew_s


class ReplayedMessage(ServiceError):
    """The nonce was already used by this device within the skew window."""

    code = 8143
    status = 401

    def __init__(self) -> None:
        super().__init__("nonce already used: replayed message")


class PlaybackTokenInvalid(ServiceError):
    """The playback token is missing, forged, expired or bound to another account/device."""

    code = 8150
    status = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)


class KidNotAuthorized(ServiceError):
    """A license request asked for a KID that is not in the title the token is bound to."""

    code = 8151
    status = 403

    def __init__(self, *, kid: str, title_id: str) -> None:
        super().__init__(f"KID {kid} is not part of title {title_id!r}")
        self.kid = kid
        self.title_id = title_id


class LicenseRequestInvalid(ServiceError):
    """The ClearKey license request body is not the W3C JSON shape."""

    code = 8152
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class DependencyFailed(ServiceError):
    """A downstream service failed while handling the request."""

    code = 8160
    status = 503
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, service: str) -> None:
        super().__init__(f"dependency {service!r} failed")
        self.service = service


class CircuitOpen(ServiceError):
    """The route's circuit breaker is open after repeated failures; fail fast."""

    code = 8161
    status = 503
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, route: str, retry_after_s: int) -> None:
        super().__init__(f"circuit for {route!r} is open; retry after {retry_after_s} s")
        self.route = route
        self.retry_after_s = retry_after_s


class ServiceDown(ServiceError):
    """A whole gateway service (e.g. discovery) was taken down over the control plane."""

    code = 8162
    status = 503
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, service: str) -> None:
        super().__init__(f"service {service!r} is down")
        self.service = service


class Overloaded(ServiceError):
    """A bounded table (nonces, rate-limit buckets, login counters) is full of live
    entries: the request is refused rather than forgetting one (which would fail open)."""

    code = 8163
    status = 503
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, table: str, retry_after_s: int = 1) -> None:
        super().__init__(f"server busy: the {table} table is full; retry after {retry_after_s} s")
        self.table = table
        self.retry_after_s = retry_after_s


class OcaNotFound(ServiceError):
    """The control plane knows no OCA with this id."""

    code = 8170
    status = 404

    def __init__(self, *, oca_id: str) -> None:
        super().__init__(f"no OCA {oca_id!r}")
        self.oca_id = oca_id


class InvalidFaultPlan(ServiceError):
    """A fault plan has an unknown field or a value out of range."""

    code = 8171
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class FileNotFound(ServiceError):
    """The OCA (and its fill sources) has no such file."""

    code = 8172
    status = 404

    def __init__(self, *, path: str) -> None:
        super().__init__(f"no file {path!r}")
        self.path = path


class PathForbidden(ServiceError):
    """The path escapes the content root (traversal) or names a hidden file."""

    code = 8173
    status = 403

    def __init__(self, *, path: str) -> None:
        super().__init__(f"path not allowed: {path!r}")
        self.path = path


class RangeNotSatisfiable(ServiceError):
    """The Range header selects no byte of the file."""

    code = 8174
    status = 416

    def __init__(self, *, range_header: str, size: int) -> None:
        super().__init__(f"range {range_header!r} not satisfiable for {size} bytes")
        self.range_header = range_header
        self.size = size


class InjectedFault(ServiceError):
    """An error answered on purpose by a fault plan (the status is the plan's)."""

    code = 8175
    status = 503
    severity = Severity.RECOVERABLE
    retriable = True

    def __init__(self, *, status: int) -> None:
        super().__init__(f"injected fault: HTTP {status}")
        self.status = status  # type: ignore[misc]


class InternalError(ServiceError):
    """A bug in the backend; never raised for bad input."""

    code = 8199
    status = 500

    def __init__(self, *, request_id: str) -> None:
        super().__init__(f"internal error (request {request_id})")
        self.request_id = request_id
