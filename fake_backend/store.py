"""SQLite persistence for every service, in ``<data_dir>/backend.sqlite3``.

One connection, WAL journal, short transactions: every query is tiny, so calls run on the
event loop thread directly (a few tens of microseconds each); nothing here awaits.
Content keys live in the ``title_keys`` table and are only returned by :meth:`title_keys`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_backend.catalog import CatalogTitle, Rendition

__all__ = ["PLANS", "Account", "Device", "Plan", "Profile", "Store"]


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    max_height: int
    price_cents: int
    streams: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "max_height": self.max_height,
            "price_cents": self.price_cents,
            "streams": self.streams,
        }


PLANS: dict[str, Plan] = {
    p.id: p
    for p in (
        Plan("basic", "Basic", 720, 799, 1),
        Plan("standard", "Standard", 1080, 1299, 2),
        Plan("premium", "Premium", 2160, 1799, 4),
    )
}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password_hash: str
    plan: str
    entitled: bool


@dataclass(frozen=True)
class Device:
    id: str
    account_id: str
    model: str
    session_key: bytes


@dataclass(frozen=True)
class Profile:
    id: str
    account_id: str
    name: str
    kids: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kids": self.kids}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
  id TEXT PRIMARY KEY, name TEXT, max_height INT, price_cents INT, streams INT);
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
  plan TEXT NOT NULL REFERENCES plans(id), entitled INT NOT NULL DEFAULT 0, created REAL);
CREATE TABLE IF NOT EXISTS payments (
  id INTEGER PRIMARY KEY, account_id TEXT, plan TEXT, outcome TEXT, created REAL);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), model TEXT,
  session_key BLOB NOT NULL, created REAL, last_seen REAL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY, account_id TEXT, device_id TEXT, expires REAL,
  used INT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS profiles (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL, kids INT NOT NULL);
CREATE TABLE IF NOT EXISTS titles (
  id TEXT PRIMARY KEY, name TEXT, synopsis TEXT, genres TEXT, year INT, duration_s REAL,
  maturity TEXT, renditions TEXT, segment_duration_s REAL, kids TEXT, scheme TEXT);
CREATE TABLE IF NOT EXISTS title_keys (kid TEXT PRIMARY KEY, title_id TEXT, key BLOB);
CREATE VIRTUAL TABLE IF NOT EXISTS titles_fts USING fts5(
  title_id UNINDEXED, name, synopsis, genres, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS titles_vocab USING fts5vocab(titles_fts, 'row');
CREATE TABLE IF NOT EXISTS viewing_history (
  id INTEGER PRIMARY KEY, account_id TEXT, profile_id TEXT, title_id TEXT, ts REAL);
CREATE INDEX IF NOT EXISTS vh_profile ON viewing_history(profile_id, ts);
CREATE TABLE IF NOT EXISTS bookmarks (
  profile_id TEXT, title_id TEXT, position_s REAL, updated REAL,
  PRIMARY KEY (profile_id, title_id));
CREATE TABLE IF NOT EXISTS playbacks (
  id TEXT PRIMARY KEY, account_id TEXT, device_id TEXT, title_id TEXT, experiment TEXT,
  cell TEXT, max_height INT, created REAL);
CREATE TABLE IF NOT EXISTS telemetry (
  id INTEGER PRIMARY KEY, received REAL, account_id TEXT, device_id TEXT, playback_id TEXT,
  cell TEXT, type TEXT, ts REAL, data TEXT);
CREATE INDEX IF NOT EXISTS tel_playback ON telemetry(playback_id);
"""


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Store:
    """All tables behind small typed methods; the only place SQL is written."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._tx() as db:
            for p in PLANS.values():
                db.execute(
                    "INSERT OR REPLACE INTO plans VALUES (?,?,?,?,?)",
                    (p.id, p.name, p.max_height, p.price_cents, p.streams),
                )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, tuple(args)).fetchone()
            return row

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, tuple(args)).fetchall())

    # -- kv ---------------------------------------------------------------------------
    def secret(self, name: str, make: bytes) -> bytes:
        """The stored value of ``name``, setting it to ``make`` on first use."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO kv VALUES (?, ?)", (name, make))
            row = db.execute("SELECT value FROM kv WHERE key = ?", (name,)).fetchone()
        return bytes(row["value"])

    # -- accounts ---------------------------------------------------------------------
    def create_account(self, email: str, password_hash: str, plan: str, *, now: float) -> str:
        """Returns the new account id; raises sqlite3.IntegrityError if the e-mail exists."""
        account_id = _new_id("acc")
        with self._tx() as db:
            db.execute(
                "INSERT INTO accounts VALUES (?,?,?,?,0,?)",
                (account_id, email.lower(), password_hash, plan, now),
            )
            db.execute(
                "INSERT INTO profiles VALUES (?,?,?,0)", (_new_id("prf"), account_id, "Main")
            )
        return account_id

    def _account(self, row: sqlite3.Row | None) -> Account | None:
        if row is None:
            return None
        return Account(
            row["id"], row["email"], row["password_hash"], row["plan"], bool(row["entitled"])
        )

    def account_by_email(self, email: str) -> Account | None:
        return self._account(self._one("SELECT * FROM accounts WHERE email = ?", (email.lower(),)))

    def account(self, account_id: str) -> Account | None:
        return self._account(self._one("SELECT * FROM accounts WHERE id = ?", (account_id,)))

    def set_entitled(self, account_id: str, plan: str, entitled: bool) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE accounts SET entitled = ?, plan = ? WHERE id = ?",
                (int(entitled), plan, account_id),
            )

    def record_payment(self, account_id: str, plan: str, outcome: str, *, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO payments (account_id, plan, outcome, created) VALUES (?,?,?,?)",
                (account_id, plan, outcome, now),
            )

    # -- devices and refresh tokens ---------------------------------------------------
    def upsert_device(
        self, device_id: str, account_id: str, model: str, session_key: bytes, *, now: float
    ) -> bool:
        """Register or re-key a device; False if the id belongs to another account."""
        with self._tx() as db:
            row = db.execute("SELECT account_id FROM devices WHERE id = ?", (device_id,)).fetchone()
            if row is not None and row["account_id"] != account_id:
                return False
            db.execute(
                "INSERT INTO devices VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "model = excluded.model, session_key = excluded.session_key, "
                "last_seen = excluded.last_seen",
                (device_id, account_id, model, session_key, now, now),
            )
        return True

    def device(self, device_id: str) -> Device | None:
        row = self._one("SELECT * FROM devices WHERE id = ?", (device_id,))
        if row is None:
            return None
        return Device(row["id"], row["account_id"], row["model"], bytes(row["session_key"]))

    def devices(self, account_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, model, created, last_seen FROM devices WHERE account_id = ? "
            "ORDER BY created",
            (account_id,),
        )
        return [dict(r) for r in rows]

    def revoke_device(self, account_id: str, device_id: str) -> bool:
        """Forget a device and its refresh tokens; False if it is not on this account."""
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM devices WHERE id = ? AND account_id = ?", (device_id, account_id)
            )
            if cur.rowcount == 0:
                return False
            db.execute("DELETE FROM refresh_tokens WHERE device_id = ?", (device_id,))
        return True

    def add_refresh_token(
        self, token: str, account_id: str, device_id: str, *, expires: float
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO refresh_tokens VALUES (?,?,?,?,0)",
                (_token_hash(token), account_id, device_id, expires),
            )

    def use_refresh_token(self, token: str, *, now: float) -> tuple[str, str] | None:
        """Consume a refresh token (single use); (account_id, device_id) or None."""
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM refresh_tokens WHERE token_hash = ?", (_token_hash(token),)
            ).fetchone()
            if row is None or row["used"] or row["expires"] <= now:
                return None
            db.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?", (row["token_hash"],)
            )
        return row["account_id"], row["device_id"]

    # -- profiles ---------------------------------------------------------------------
    def profiles(self, account_id: str) -> list[Profile]:
        rows = self._all(
            "SELECT * FROM profiles WHERE account_id = ? ORDER BY rowid", (account_id,)
        )
        return [Profile(r["id"], r["account_id"], r["name"], bool(r["kids"])) for r in rows]

    def add_profile(self, account_id: str, name: str, kids: bool) -> Profile:
        p = Profile(_new_id("prf"), account_id, name, kids)
        with self._tx() as db:
            db.execute("INSERT INTO profiles VALUES (?,?,?,?)", (p.id, account_id, name, int(kids)))
        return p

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

    # -- playbacks and telemetry ------------------------------------------------------
    def add_playback(
        self,
        playback_id: str,
        account_id: str,
        device_id: str,
        title_id: str,
        experiment: str,
        cell: str,
        max_height: int,
        *,
        now: float,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO playbacks VALUES (?,?,?,?,?,?,?,?)",
                (playback_id, account_id, device_id, title_id, experiment, cell, max_height, now),
            )

    def playback(self, playback_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM playbacks WHERE id = ?", (playback_id,))
        return None if row is None else dict(row)

    def add_events(
        self, account_id: str, device_id: str, events: list[dict[str, Any]], *, now: float
    ) -> int:
        """Append a batch in one transaction (durable on return)."""
        with self._tx() as db:
            cells: dict[str, str | None] = {}
            for ev in events:
                pid = ev.get("playback_id")
                if pid is not None and pid not in cells:
                    row = db.execute(
                        "SELECT cell FROM playbacks WHERE id = ? AND account_id = ?",
                        (pid, account_id),
                    ).fetchone()
                    cells[pid] = None if row is None else row["cell"]
                db.execute(
                    "INSERT INTO telemetry (received, account_id, device_id, playback_id, cell, "
                    "type, ts, data) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        now,
                        account_id,
                        device_id,
                        pid,
                        cells.get(pid) if pid else None,
                        ev["type"],
                        ev["ts"],
                        json.dumps(ev.get("data", {})),
                    ),
                )
        return len(events)

    def events(
        self, account_id: str, *, playback_id: str | None, type_: str | None, limit: int
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM telemetry WHERE account_id = ?"
        args: list[Any] = [account_id]
        if playback_id is not None:
            sql += " AND playback_id = ?"
            args.append(playback_id)
        if type_ is not None:
            sql += " AND type = ?"
            args.append(type_)
        sql += " ORDER BY id LIMIT ?"
        args.append(limit)
        out = []
        for r in self._all(sql, args):
            d = dict(r)
            d["data"] = json.loads(d["data"])
            out.append(d)
        return out

    def session_summaries(self, experiment: str) -> list[dict[str, Any]]:
        """One row per playback of ``experiment``: its cell and its session_end data (if any)."""
        rows = self._all(
            "SELECT p.id, p.cell, t.data FROM playbacks p LEFT JOIN telemetry t "
            "ON t.playback_id = p.id AND t.type = 'session_end' WHERE p.experiment = ?",
            (experiment,),
        )
        return [
            {
                "playback_id": r["id"],
                "cell": r["cell"],
                "data": json.loads(r["data"]) if r["data"] else None,
            }
            for r in rows
        ]
