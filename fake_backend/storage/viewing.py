"""Viewing history and bookmarks."""

from __future__ import annotations

from typing import Any

from fake_backend.storage.db import Database

__all__ = ["ViewingTables"]


class ViewingTables(Database):
    """What each profile watched, and where it stopped."""

    # -- viewing history and bookmarks ------------------------------------------------
    def add_view(self, account_id: str, profile_id: str, title_id: str, *, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO viewing_history (account_id, profile_id, title_id, ts) "
                "VALUES (?,?,?,?)",
                (account_id, profile_id, title_id, now),
            )

    def views_by_profile(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in self._all("SELECT DISTINCT profile_id, title_id FROM viewing_history"):
            out.setdefault(r["profile_id"], set()).add(r["title_id"])
        return out

    def recent_views(self, profile_id: str, limit: int) -> list[str]:
        rows = self._all(
            "SELECT title_id, MAX(ts) AS last FROM viewing_history WHERE profile_id = ? "
            "GROUP BY title_id ORDER BY last DESC LIMIT ?",
            (profile_id, limit),
        )
        return [r["title_id"] for r in rows]

    def trending(self, since: float, limit: int) -> list[str]:
        rows = self._all(
            "SELECT title_id, COUNT(DISTINCT profile_id) AS n FROM viewing_history WHERE ts >= ? "
            "GROUP BY title_id ORDER BY n DESC, title_id LIMIT ?",
            (since, limit),
        )
        return [r["title_id"] for r in rows]

    def put_bookmark(self, profile_id: str, title_id: str, position_s: float, *, now: float):
        with self._tx() as db:
            db.execute(
                "INSERT INTO bookmarks VALUES (?,?,?,?) ON CONFLICT(profile_id, title_id) "
                "DO UPDATE SET position_s = excluded.position_s, updated = excluded.updated",
                (profile_id, title_id, position_s, now),
            )

    def bookmarks(self, profile_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT title_id, position_s, updated FROM bookmarks WHERE profile_id = ? "
            "ORDER BY updated DESC",
            (profile_id,),
        )
        return [dict(r) for r in rows]
