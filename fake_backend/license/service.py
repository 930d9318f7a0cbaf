"""License service: W3C ClearKey JSON via :mod:`drm.clearkey`.

Keys are released only for KIDs of the title the playback token is bound to, and only to
the account and device the token was issued to. Requests and responses are signed (message
integrity); CORS preflight is answered by the gateway.
"""

from __future__ import annotations

from drm.clearkey import SESSION_TYPES, build_license_response, parse_license_request
from drm.errors import InvalidKey, LicenseError
from fake_backend.context import Context
from fake_backend.errors import (
    InvalidToken,
    KidNotAuthorized,
    LicenseRequestInvalid,
    PlaybackTokenInvalid,
    TitleNotFound,
    TokenExpired,
)
from fake_backend.gateway.api import ApiRequest, Endpoint, Reply
from fake_backend.play_api.service import PLAYBACK_TOKEN_HEADER

__all__ = ["LicenseService"]


class LicenseService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "POST",
                "/license/v1/clearkey",
                self.clearkey,
                "license.clearkey",
                signed=True,
                cors=True,
            )
        ]

    async def clearkey(self, req: ApiRequest) -> Reply:
        token = req.request.headers.get(PLAYBACK_TOKEN_HEADER, "")
        if not token:
            raise PlaybackTokenInvalid(f"missing {PLAYBACK_TOKEN_HEADER} header")
        try:
            claims = self.ctx.playback.verify(token, now=req.now)
        except TokenExpired:
            raise PlaybackTokenInvalid("playback token expired") from None
        except InvalidToken:
            raise PlaybackTokenInvalid("playback token is not genuine") from None
        if claims.get("sub") != req.caller.account_id or claims.get("dev") != req.caller.device_id:
            raise PlaybackTokenInvalid("playback token is bound to another account or device")
        try:
            lic = parse_license_request(req.body)
        except (LicenseError, InvalidKey) as exc:
            raise LicenseRequestInvalid(exc.message) from None
        if lic.session_type not in SESSION_TYPES:
            raise LicenseRequestInvalid(f"unsupported session type {lic.session_type[:32]!r}")
        title_id = str(claims.get("tid"))
        title = self.ctx.store.title(title_id)
        if title is None:
            raise TitleNotFound(title_id=title_id)
        keys = self.ctx.store.title_keys(title_id)
        for kid in lic.kids:
            if kid not in title.kids or kid not in keys:
                raise KidNotAuthorized(kid=kid.hex(), title_id=title_id)
        body = build_license_response({kid: keys[kid] for kid in lic.kids}, lic.session_type)
        return Reply(body=body)
