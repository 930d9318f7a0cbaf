"""Titles, their content keys and the full-text search index."""

from __future__ import annotations

import json
import sqlite3

from fake_backend.catalog import CatalogTitle, Rendition
from fake_backend.storage.db import Database

__all__ = ["CatalogTables"]


class CatalogTables(Database):
    """The catalog as the services read it (keys only through :meth:`title_keys`)."""

    # -- titles -----------------------------------------------------------------------
    def put_title(self, t: CatalogTitle, keys: dict[bytes, bytes]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO titles VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    t.id,
                    t.name,
                    t.synopsis,
                    json.dumps(list(t.genres)),
                    t.year,
                    t.duration_s,
                    t.maturity,
                    json.dumps([r.to_dict() for r in t.renditions]),
                    t.segment_duration_s,
                    json.dumps([k.hex() for k in t.kids]),
                    t.scheme,
                ),
            )
            db.execute("DELETE FROM titles_fts WHERE title_id = ?", (t.id,))
            db.execute(
                "INSERT INTO titles_fts VALUES (?,?,?,?)",
                (t.id, t.name, t.synopsis, " ".join(t.genres)),
            )
            for kid, key in keys.items():
                db.execute(
                    "INSERT OR REPLACE INTO title_keys VALUES (?,?,?)", (kid.hex(), t.id, key)
                )

    @staticmethod
    def _title(row: sqlite3.Row) -> CatalogTitle:
        return CatalogTitle(
            id=row["id"],
            name=row["name"],
            synopsis=row["synopsis"],
            genres=tuple(json.loads(row["genres"])),
            year=row["year"],
            duration_s=row["duration_s"],
            maturity=row["maturity"],
            renditions=tuple(Rendition.from_dict(d) for d in json.loads(row["renditions"])),
            segment_duration_s=row["segment_duration_s"],
            kids=tuple(bytes.fromhex(k) for k in json.loads(row["kids"])),
            scheme=row["scheme"] or "cenc",
        )

    def title(self, title_id: str) -> CatalogTitle | None:
        row = self._one("SELECT * FROM titles WHERE id = ?", (title_id,))
        return None if row is None else self._title(row)

    def titles(self) -> list[CatalogTitle]:
        return [self._title(r) for r in self._all("SELECT * FROM titles ORDER BY id")]

    def title_keys(self, title_id: str) -> dict[bytes, bytes]:
        """Content keys of one title (license service only)."""
        rows = self._all("SELECT kid, key FROM title_keys WHERE title_id = ?", (title_id,))
        return {bytes.fromhex(r["kid"]): bytes(r["key"]) for r in rows}

    def search_fts(self, match: str, limit: int) -> list[str]:
        rows = self._all(
            "SELECT title_id FROM titles_fts WHERE titles_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        )
        return [r["title_id"] for r in rows]

    def vocabulary(self) -> list[str]:
        return [r["term"] for r in self._all("SELECT term FROM titles_vocab")]
