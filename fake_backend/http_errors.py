"""Renders every failure as the one JSON error shape, and maps aiohttp's own HTTP errors.

``{"error": {"code": int, "name": str, "message": str, "request_id": str}}``, plus
``"field": str`` for an error about one field (``InvalidField``, 8102)
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from fake_backend.errors import (
    BadRequest,
    BodyTooLarge,
    InternalError,
    MethodNotAllowed,
    RouteNotFound,
    ServiceError,
)

__all__ = ["APP_MS", "CORS", "REQUEST_ID", "error_middleware", "error_response", "request_id_of"]

log = logging.getLogger("fake_backend")
_RID = re.compile(r"[A-Za-z0-9_-]{8,64}")
REQUEST_ID = web.RequestKey("request_id", str)
APP_MS = web.RequestKey("app_ms", float)
CORS = web.RequestKey("cors", bool)


def request_id_of(request: web.Request) -> str:
    rid = request.get(REQUEST_ID)
    if isinstance(rid, str):
        return rid
    incoming = request.headers.get("X-Request-Id", "")
    rid = incoming if _RID.fullmatch(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = rid
    return rid


def error_response(err: ServiceError, request_id: str) -> web.Response:
    body = {
        "error": {
            "code": err.code,
            "name": type(err).__name__,
            "message": err.message,
            "request_id": request_id,
        }
    }
    field = getattr(err, "field", None)
    if isinstance(field, str):  # InvalidField (8102) and others: which field, for clients
        body["error"]["field"] = field
    resp = web.Response(
        status=err.status, body=json.dumps(body).encode(), content_type="application/json"
    )
    retry = getattr(err, "retry_after_s", None)
    if isinstance(retry, int):
        resp.headers["Retry-After"] = str(retry)
    size = getattr(err, "size", None)
    if err.status == 416 and isinstance(size, int):
        resp.headers["Content-Range"] = f"bytes */{size}"
    resp.headers["X-Request-Id"] = request_id
    return resp


def _map_http(exc: web.HTTPException, request: web.Request, body_limit: int) -> ServiceError:
    if exc.status == 404:
        return RouteNotFound(path=request.path)
    if exc.status == 405:
        return MethodNotAllowed(method=request.method, path=request.path)
    if exc.status == 413:
        return BodyTooLarge(limit=body_limit)
    return BadRequest(f"HTTP {exc.status}: {exc.reason}")


def error_middleware(body_limit: int) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def mw(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        rid = request_id_of(request)
        try:
            return await handler(request)
        except ServiceError as err:
            return error_response(err, rid)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(_map_http(exc, request, body_limit), rid)
        except (ConnectionResetError, OSError) as exc:
            log.debug("client went away: %s", exc)
            raise
        except Exception:
            log.exception("internal error in %s %s (request %s)", request.method, request.path, rid)
            return error_response(InternalError(request_id=rid), rid)

    return mw
