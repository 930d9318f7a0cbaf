"""What a service endpoint is to the gateway: a declared route plus an async handler.

Handlers receive an :class:`ApiRequest` (body already read within the size limit, caller
already authenticated when the endpoint requires it) and return a :class:`Reply`. They raise
:mod:`fake_backend.errors` for every client mistake; the gateway renders them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fake_backend.errors import InvalidField, MalformedJson

__all__ = [
    "ApiRequest",
    "Endpoint",
    "Principal",
    "Reply",
    "get_bool",
    "get_float",
    "get_int",
    "get_str",
    "query_int",
]


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified access token."""

    account_id: str
    device_id: str


@dataclass
class ApiRequest:
    request: web.Request
    body: bytes
    request_id: str
    now: float
    principal: Principal | None = None

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "endpoint declared auth=False but needs a caller"
        return self.principal

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; MalformedJson for anything else."""
        if not self.body:
            raise MalformedJson("a JSON object body is required")
        try:
            doc = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedJson(f"body is not JSON ({type(exc).__name__})") from None
        if not isinstance(doc, dict):
            raise MalformedJson(f"body must be a JSON object, got {type(doc).__name__}")
        try:  # "\ud800" escapes decode to lone surrogates that no store can encode
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedJson("body contains a lone UTF-16 surrogate escape") from None
        return doc

    def query(self, name: str) -> str | None:
        value = self.request.query.get(name)
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidField("is not valid UTF-8", field=name) from None
        return value


@dataclass
class Reply:
    status: int = 200
    data: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.data, separators=(",", ":")).encode()


Handler = Callable[[ApiRequest], Awaitable[Reply]]


@dataclass(frozen=True)
class Endpoint:
    """A route: ``auth`` needs a bearer token, ``signed`` needs message integrity headers."""

    method: str
    path: str
    handler: Handler
    name: str
    auth: bool = True
    signed: bool = False
    cors: bool = False
    max_body: int | None = None  # overrides the gateway-wide body limit (telemetry batches)


_MISSING = object()


def _get(doc: dict[str, Any], name: str, default: Any) -> Any:
    value = doc.get(name, _MISSING)
    if value is _MISSING or value is None:
        if default is _MISSING:
            raise InvalidField("is required", field=name)
        return default
    return value


def get_str(
    doc: dict[str, Any],
    name: str,
    default: Any = _MISSING,
    *,
    max_len: int = 256,
    min_len: int = 0,
) -> Any:
    value = _get(doc, name, default)
    if value is default and default is not _MISSING:
        return value
    if not isinstance(value, str):
        raise InvalidField("must be a string", field=name)
    if not min_len <= len(value) <= max_len:
        raise InvalidField(f"length must be {min_len}..{max_len}", field=name)
    return value


def get_float(
    doc: dict[str, Any],
    name: str,
    default: Any = _MISSING,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
) -> Any:
    value = _get(doc, name, default)
    if value is default and default is not _MISSING:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidField("must be a number", field=name)
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InvalidField(f"must be within {lo}..{hi}", field=name)
    return float(value)


def get_int(
    doc: dict[str, Any], name: str, default: Any = _MISSING, *, lo: int = 0, hi: int = 2**31
) -> Any:
    value = _get(doc, name, default)
    if value is default and default is not _MISSING:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField("must be an integer", field=name)
    if not lo <= value <= hi:
        raise InvalidField(f"must be within {lo}..{hi}", field=name)
    return value


def get_bool(doc: dict[str, Any], name: str, default: Any = _MISSING) -> Any:
    value = _get(doc, name, default)
    if not isinstance(value, bool):
        raise InvalidField("must be true or false", field=name)
    return value


def query_int(req: ApiRequest, name: str, default: int, *, lo: int = 0, hi: int = 1000) -> int:
    raw = req.query(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidField("must be an integer", field=name) from None
    if not lo <= value <= hi:
        raise InvalidField(f"must be within {lo}..{hi}", field=name)
    return value
