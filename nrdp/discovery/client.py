"""The discovery client: every call goes over the discovery channel and nowhere else.

Its channel has its own pool, short timeouts, few retries and its own breaker, so a slow or
dead discovery service fails these calls fast with typed errors
(:class:`~nrdp.errors.ServiceError`, :class:`~nrdp.errors.ReadTimeout`,
:class:`~nrdp.errors.CircuitOpen`, ...) while playback, on its own channel, goes on.
Answers are the services' JSON documents (docs/openapi.yaml), returned as dicts; title
documents carry ``poster_url``, and :meth:`DiscoveryClient.artwork` fetches that image's
bytes (on the same channel, so a slow artwork server never touches playback either).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.errors import MalformedResponse

__all__ = ["DiscoveryClient"]


class DiscoveryClient:
    """Catalog, rows, search, details, profiles and bookmarks of the logged-in device."""

    def __init__(self, channel: Channel, auth: AuthSession) -> None:
        self.channel = channel
        self.auth = auth

    async def _get(self, path: str, **query: Any) -> dict[str, Any]:
        q = {k: v for k, v in query.items() if v is not None}
        path_qs = path + (f"?{urlencode(q)}" if q else "")
        resp = await self.auth.call(self.channel, "GET", path_qs)
        return resp.json_object()

    async def login(self, email: str, password: str) -> Any:
        """Log the device in (auth is a control-plane call); returns the :class:`Account`."""
        return await self.auth.login(self.channel, email, password)

    async def me(self) -> dict[str, Any]:
        return await self._get("/auth/v1/me")

    async def _list(self, path: str, key: str, **query: Any) -> list[dict[str, Any]]:
        """The list of objects under ``key`` of the answer (missing: empty); any other
        shape is a typed :class:`~nrdp.errors.MalformedResponse`, never coerced."""
        doc = await self._get(path, **query)
        items = doc.get(key, [])
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise MalformedResponse(url=self.auth.url(path), reason=f"{key} is not a list")
        return items

    async def profiles(self) -> list[dict[str, Any]]:
        return await self._list("/auth/v1/profiles", "profiles")

    async def home(self, profile_id: str | None = None) -> dict[str, Any]:
        """Home rows; ``degraded`` lists dependencies that failed (their row left out)."""
        return await self._get("/discovery/v1/home", profile_id=profile_id)

    async def titles(
        self, *, genre: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> dict[str, Any]:
        return await self._get("/discovery/v1/titles", genre=genre, limit=limit, offset=offset)

    async def title(self, title_id: str) -> dict[str, Any]:
        return await self._get(f"/discovery/v1/titles/{quote(title_id, safe='')}")

    async def artwork(self, title_id: str) -> bytes:
        """The poster of ``title_id``: the image's bytes (PNG from the fake backend), from
        ``GET /discovery/v1/titles/{id}/artwork`` (the path in the title's ``poster_url``).

        Typed errors as the other calls (``ServiceError`` 404 for an unknown title, 503
        when the artwork dependency fails, timeouts, ``CircuitOpen``); a 2xx answer that is
        not an image raises :class:`~nrdp.errors.MalformedResponse`.
        """
        resp = await self.auth.call(
            self.channel, "GET", f"/discovery/v1/titles/{quote(title_id, safe='')}/artwork"
        )
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not ctype.startswith("image/"):
            raise MalformedResponse(url=resp.url, reason=f"artwork is {ctype or 'untyped'}")
        if not resp.body:
            raise MalformedResponse(url=resp.url, reason="artwork is empty")
        return bytes(resp.body)

    async def search(self, q: str, *, limit: int | None = None) -> dict[str, Any]:
        return await self._get("/discovery/v1/search", q=q, limit=limit)

    async def bookmarks(self, profile_id: str | None = None) -> list[dict[str, Any]]:
        return await self._list("/discovery/v1/bookmarks", "bookmarks", profile_id=profile_id)

    async def set_bookmark(
        self, title_id: str, position_s: float, *, profile_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"position_s": max(0.0, float(position_s))}
        if profile_id is not None:
            body["profile_id"] = profile_id
        resp = await self.auth.call(
            self.channel,
            "PUT",
            f"/discovery/v1/bookmarks/{quote(title_id, safe='')}",
            json_body=body,
        )
        return resp.json_object()
