"""Discovery endpoints: home rows, catalog, title details, search, bookmarks.

Hot reads (title list, details, home rows) come from the context's TTL cache; a bookmark
write invalidates that profile's rows. The personalized row calls the ``recommendations``
dependency through its own circuit breaker; when that fails or the breaker is open, home
rows are served without it and say so (``degraded``) rather than failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from fake_backend.store import Profile

__all__ = ["DiscoveryService", "resolve_profile"]

TRENDING_WINDOW_S = 7 * 86400.0


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

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/discovery/v1/home", self.home, "discovery.home"),
            Endpoint("GET", "/discovery/v1/titles", self.list_titles, "discovery.titles"),
            Endpoint("GET", "/discovery/v1/titles/{title_id}", self.details, "discovery.title"),
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
            "items": [dict(catalog[tid].public_dict(), score=s) for tid, s in items],
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
                cont.append(dict(t.public_dict(), position_s=b["position_s"]))
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
                "items": [catalog[i].public_dict() for i in ids[:10] if i in catalog],
            }
        )
        genres = sorted({g for t in catalog.values() for g in t.genres})
        for g in genres[:3]:
            items = [t.public_dict() for t in fill if g in t.genres]
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
            data={"total": len(items), "offset": offset, "items": [t.public_dict() for t in page]}
        )

    async def details(self, req: ApiRequest) -> Reply:
        t = self._title(req.request.match_info["title_id"], req.now)
        d = t.public_dict()
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
                "results": [catalog[i].public_dict() for i in ids if i in catalog],
            }
        )

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
