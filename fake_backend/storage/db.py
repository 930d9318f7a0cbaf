"""The one SQLite connection: schema, transactions, queries and the ``kv`` table.

One connection, WAL journal, short transactions: every query is tiny, so calls run on the
event loop thread directly (a few tens of microseconds each); nothing here awaits.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fake_backend.storage.records import PLANS

__all__ = ["Database", "new_id", "token_hash"]

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


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Database:
    """The connection and the helpers every table group uses."""

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
