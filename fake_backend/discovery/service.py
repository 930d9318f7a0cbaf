"""Discovery endpoints: home rows, catalog, title details, search, bookmarks, artwork.

Hot reads (title list, details, home rows) come from the context's TTL cache; a bookmark
write invalidates that profile's rows. The personalized row calls the ``recommendations``
dependency through its own circuit breaker; when that fails or the breaker is open, home
rows are served without it and say so (``degraded``) rather than failing.

Every title document carries ``poster_url``: the gateway path of its poster
(``/discovery/v1/titles/{id}/artwork``), a PNG rendered once per title by the packager's
:func:`~fake_backend.packager.poster.render_poster` (in a worker thread) and kept in memory,
served with an ``ETag`` (a matching ``If-None-Match`` gets 304) and ``Cache-Control``. The
``artwork`` dependency fault (control plane) fails that route alone.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fake_backend.catalog import CatalogTitle
from fake_backend.context import Context
from fake_backend.discovery.cache import TtlCache
from fake_backend.discovery.recommendations import similar_titles
from fake_backend.discovery.search import plan_query
from fake_backend.errors import (
    InvalidField,
    ProfileNotFound,
    ServiceError,
    TitleNotFound,
)
from fake_backend.gateway.api import ApiRequest, Endpoint, Reply, get_float, get_str, query_int
from fake_backend.gateway.breaker import CircuitBreaker
from fake_backend.live.channel import LIVE_GENRE
from fake_backend.packager.poster import render_poster
from fake_backend.store import Profile

__all__ = [
    "ARTWORK_CACHE_CONTROL",
    "DiscoveryService",
    "artwork_path",
    "resolve_profile",
    "title_doc",
]

TRENDING_WINDOW_S = 7 * 86400.0
ARTWORK_CACHE_CONTROL = "private, max-age=86400"
"""Posters change only with the title's name: a client may keep one for a day, then
revalidate with ``If-None-Match``."""
_MAX_POSTERS = 4096


def artwork_path(title_id: str) -> str:
    """The gateway path of ``title_id``'s poster (what ``poster_url`` holds)."""
    return f"/discovery/v1/titles/{quote(title_id, safe='')}/artwork"


def title_doc(t: CatalogTitle) -> dict[str, Any]:
    """What discovery shows of a title: its public fields plus ``poster_url``."""
    return dict(t.public_dict(), poster_url=artwork_path(t.id))


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


def resolve_profile(ctx: Context, account_id: str, profile_id: str | None) -> Profile:
    profiles = ctx.store.profiles(account_id)
    if profile_id is None:
        if not profiles:
            raise ProfileNotFound(profile_id="(default)")
        return profiles[0]
    for p in profiles:
        if p.id == profile_id:
            return p
    raise ProfileNotFound(profile_id=profile_id[:64])


class DiscoveryService:
    def __init__(self, ctx: Context, breaker: Callable[[str], CircuitBreaker]) -> None:
        self.ctx = ctx
        self._breaker = breaker
        self._vocab: list[str] | None = None
        self._posters: dict[tuple[str, str], tuple[bytes, str]] = {}  # (id, name) -> png, etag
        self._rendering: dict[tuple[str, str], asyncio.Future[tuple[bytes, str]]] = {}

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/discovery/v1/home", self.home, "discovery.home"),
            Endpoint("GET", "/discovery/v1/titles", self.list_titles, "discovery.titles"),
            Endpoint("GET", "/discovery/v1/titles/{title_id}", self.details, "discovery.title"),
            Endpoint(
                "GET",
                "/discovery/v1/titles/{title_id}/artwork",
                self.artwork,
                "discovery.artwork",
            ),
            Endpoint("GET", "/discovery/v1/search", self.search, "discovery.search"),
            Endpoint("GET", "/discovery/v1/bookmarks", self.bookmarks, "discovery.bookmarks"),
            Endpoint(
                "PUT",
                "/discovery/v1/bookmarks/{title_id}",
                self.put_bookmark,
                "discovery.put_bookmark",
            ),
        ]

    @property
    def cache(self) -> TtlCache:
        return self.ctx.cache

    def catalog(self, now: float) -> dict[str, CatalogTitle]:
        hit = self.cache.get("catalog", now)
        if hit is TtlCache.MISS:
            hit = {t.id: t for t in self.ctx.store.titles()}
            self.cache.put("catalog", hit, now)
        return hit

    def invalidate_catalog(self) -> None:
        self.cache.invalidate("catalog")
        self.cache.invalidate("home:")
        self._vocab = None

    def _title(self, title_id: str, now: float) -> CatalogTitle:
        t = self.catalog(now).get(title_id)
        if t is None:
            raise TitleNotFound(title_id=title_id[:64])
        return t

    # -- home rows ------------------------------------------------------------------------
    async def _recommendations(
        self, profile: Profile, catalog: dict[str, CatalogTitle], now: float
    ) -> dict[str, Any] | None:
        recent = self.ctx.store.recent_views(profile.id, 5)
        if not recent:
            return None
        await self.ctx.faults.apply("recommendations")
        seed = recent[0]
        items = similar_titles(
            seed, self.ctx.store.views_by_profile(), catalog, exclude=set(recent), limit=10
        )
        if not items:
            return None
        return {
            "id": "because_you_watched",
            "title": f"Because you watched {catalog[seed].name}" if seed in catalog else "For you",
            "seed_title_id": seed,
            "items": [dict(title_doc(catalog[tid]), score=s) for tid, s in items],
        }

    async def home(self, req: ApiRequest) -> Reply:
        profile = resolve_profile(self.ctx, req.caller.account_id, req.query("profile_id"))
        key = f"home:{profile.id}"
        hit = self.cache.get(key, req.now)
        if hit is not TtlCache.MISS:
            return Reply(data=hit, headers={"X-Cache": "hit"})
        catalog = self.catalog(req.now)
        rows: list[dict[str, Any]] = []
        cont = []
        for b in self.ctx.store.bookmarks(profile.id):
            t = catalog.get(b["title_id"])
            if t is not None and 0 < b["position_s"] < 0.95 * t.duration_s:
                cont.append(dict(title_doc(t), position_s=b["position_s"]))
        if cont:
            rows.append({"id": "continue_watching", "title": "Continue watching", "items": cont})
        degraded: list[str] = []
        breaker = self._breaker("discovery.recommendations")
        if breaker.allow(req.now):
            try:
                recs = await self._recommendations(profile, catalog, req.now)
            except ServiceError:
                breaker.record_failure(self.ctx.clock())
                degraded.append("recommendations")
            else:
                breaker.record_success()
                if recs is not None:
                    rows.append(recs)
        else:
            degraded.append("recommendations")
        trending = self.ctx.store.trending(req.now - TRENDING_WINDOW_S, 10)
        fill = sorted(catalog.values(), key=lambda t: (-t.year, t.id))
        ids = trending + [t.id for t in fill if t.id not in trending]
        rows.append(
            {
                "id": "trending",
                "title": "Trending now",
                "items": [title_doc(catalog[i]) for i in ids[:10] if i in catalog],
            }
        )
        live = [dict(title_doc(t), live=True) for t in fill if LIVE_GENRE in t.genres]
        if live:
            rows.insert(0, {"id": "live", "title": "Live", "items": live})
        genres = sorted({g for t in catalog.values() for g in t.genres} - {LIVE_GENRE})
        for g in genres[:3]:
            items = [title_doc(t) for t in fill if g in t.genres]
            rows.append({"id": f"genre:{g}", "title": g.title(), "items": items})
        data = {"profile_id": profile.id, "rows": rows, "degraded": degraded}
        headers = {"X-Cache": "miss"}
        if degraded:
            headers["X-Nrdp-Degraded"] = ",".join(degraded)
        else:
            self.cache.put(key, data, req.now)
        return Reply(data=data, headers=headers)

    # -- catalog ------------------------------------------------------------------------
    async def list_titles(self, req: ApiRequest) -> Reply:
        limit = query_int(req, "limit", 50, lo=1, hi=200)
        offset = query_int(req, "offset", 0, lo=0, hi=100_000)
        genre = req.query("genre")
        items = sorted(self.catalog(req.now).values(), key=lambda t: t.id)
        if genre is not None:
            items = [t for t in items if genre.lower() in t.genres]
        page = items[offset : offset + limit]
        return Reply(
            data={"total": len(items), "offset": offset, "items": [title_doc(t) for t in page]}
        )

    async def details(self, req: ApiRequest) -> Reply:
        t = self._title(req.request.match_info["title_id"], req.now)
        d = title_doc(t)
        d["renditions"] = [r.to_dict() for r in t.renditions]
        return Reply(data=d)

    async def search(self, req: ApiRequest) -> Reply:
        q = req.query("q")
        if q is None or not q.strip() or len(q) > 200:
            raise InvalidField("must be 1..200 characters", field="q")
        limit = query_int(req, "limit", 20, lo=1, hi=100)
        await self.ctx.faults.apply("search")
        if self._vocab is None:
            self._vocab = self.ctx.store.vocabulary()
        plan = plan_query(q, self._vocab)
        ids = self.ctx.store.search_fts(plan.match, limit) if plan.match else []
        catalog = self.catalog(req.now)
        return Reply(
            data={
                "query": q,
                "corrections": plan.corrections,
                "ignored": list(plan.dropped),
                "results": [title_doc(catalog[i]) for i in ids if i in catalog],
            }
        )

    # -- artwork ------------------------------------------------------------------------
    async def _poster(self, t: CatalogTitle) -> tuple[bytes, str]:
        """The title's poster PNG and its ETag: rendered once (off the loop), then cached;
        concurrent first requests share one rendering."""
        key = (t.id, t.name)
        hit = self._posters.get(key)
        if hit is not None:
            return hit
        pending = self._rendering.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._render(t))
            self._rendering[key] = pending
            pending.add_done_callback(lambda _f: self._rendering.pop(key, None))
        return await asyncio.shield(pending)

    async def _render(self, t: CatalogTitle) -> tuple[bytes, str]:
        png = await asyncio.to_thread(render_poster, t.id, t.name)
        etag = '"' + hashlib.sha256(png).hexdigest()[:32] + '"'
        if len(self._posters) >= _MAX_POSTERS:
            self._posters.clear()
        self._posters[(t.id, t.name)] = (png, etag)
        return png, etag

    async def artwork(self, req: ApiRequest) -> Reply:
        t = self._title(req.request.match_info["title_id"], req.now)
        await self.ctx.faults.apply("artwork")
        png, etag = await self._poster(t)
        headers = {"ETag": etag, "Cache-Control": ARTWORK_CACHE_CONTROL}
        if _etag_matches(req.request.headers.get("If-None-Match"), etag):
            return Reply(status=304, body=b"", content_type="image/png", headers=headers)
        return Reply(body=png, content_type="image/png", headers=headers)

    # -- bookmarks ----------------------------------------------------------------------
    async def bookmarks(self, req: ApiRequest) -> Reply:
        profile = resolve_profile(self.ctx, req.caller.account_id, req.query("profile_id"))
        return Reply(
            data={"profile_id": profile.id, "bookmarks": self.ctx.store.bookmarks(profile.id)}
        )

    async def put_bookmark(self, req: ApiRequest) -> Reply:
        doc = req.json()
        t = self._title(req.request.match_info["title_id"], req.now)
        position = get_float(doc, "position_s", lo=0.0, hi=t.duration_s)
        profile = resolve_profile(
            self.ctx, req.caller.account_id, get_str(doc, "profile_id", None, max_len=64)
        )
        self.ctx.store.put_bookmark(profile.id, t.id, position, now=req.now)
        self.ctx.store.add_view(req.caller.account_id, profile.id, t.id, now=req.now)
        self.cache.invalidate(f"home:{profile.id}")
        return Reply(
            data={
                "profile_id": profile.id,
                "title_id": t.id,
                "position_s": position,
                "updated": req.now,
            }
        )
