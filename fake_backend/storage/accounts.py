"""Accounts, payments, devices, refresh tokens and profiles."""

from __future__ import annotations

import sqlite3
from typing import Any

from fake_backend.storage.db import Database, new_id, token_hash
from fake_backend.storage.records import Account, Device, Profile

__all__ = ["AccountTables"]


class AccountTables(Database):
    """Who may log in, from which device, with which profiles."""

    # -- accounts ---------------------------------------------------------------------
    def create_account(self, email: str, password_hash: str, plan: str, *, now: float) -> str:
        """Returns the new account id; raises sqlite3.IntegrityError if the e-mail exists."""
        account_id = new_id("acc")
        with self._tx() as db:
            db.execute(
                "INSERT INTO accounts VALUES (?,?,?,?,0,?)",
                (account_id, email.lower(), password_hash, plan, now),
            )
            db.execute("INSERT INTO profiles VALUES (?,?,?,0)", (new_id("prf"), account_id, "Main"))
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
                (token_hash(token), account_id, device_id, expires),
            )

    def use_refresh_token(self, token: str, *, now: float) -> tuple[str, str] | None:
        """Consume a refresh token (single use); (account_id, device_id) or None."""
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash(token),)
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
        p = Profile(new_id("prf"), account_id, name, kids)
        with self._tx() as db:
            db.execute("INSERT INTO profiles VALUES (?,?,?,?)", (p.id, account_id, name, int(kids)))
        return p
