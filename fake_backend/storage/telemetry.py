"""Playbacks and the telemetry events reported about them."""

from __future__ import annotations

import json
from typing import Any

from fake_backend.storage.db import Database

__all__ = ["TelemetryTables"]


class TelemetryTables(Database):
    """Playback sessions (with their experiment cell) and their events."""

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
