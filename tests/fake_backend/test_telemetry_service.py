"""Telemetry ingest and the experiment QoE report over HTTP."""

from __future__ import annotations

import time

from fake_backend.store import Store


async def test_ingest_is_durable_and_queryable(backend, client):
    _, pb = await client.play(backend.catalog[0].id)
    pid = pb["playback_id"]
    events = [
        {"type": "startup", "ts": time.time(), "playback_id": pid, "data": {"ms": 420}},
        {"type": "quality_changed", "ts": time.time(), "playback_id": pid, "data": {"height": 720}},
        {"type": "app.open", "ts": time.time()},
    ]
    status, doc, _ = await client.send("POST", "/telemetry/v1/events", {"events": events})
    assert status == 202 and doc["accepted"] == 3
    # durable: a second connection to the same file sees them at once
    other = Store(backend.data_dir / "backend.sqlite3")
    try:
        rows = other.events(client.login["account_id"], playback_id=pid, type_=None, limit=10)
    finally:
        other.close()
    assert [r["type"] for r in rows] == ["startup", "quality_changed"]
    assert rows[0]["cell"] == pb["experiment"]["cell"]
    status, doc, _ = await client.get(
        "/telemetry/v1/events", params={"playback_id": pid, "type": "startup"}
    )
    assert [e["data"] for e in doc["events"]] == [{"ms": 420}]


async def test_invalid_batches_store_nothing(backend, client, fb):
    ok = {"type": "x", "ts": 1.0}
    bad_batches = [
        {},
        {"events": []},
        {"events": "x"},
        {"events": [ok] * 501},
        {"events": [ok, {"type": "Bad Type", "ts": 1}]},
        {"events": [ok, {"type": "x", "ts": "now"}]},
        {"events": [ok, {"type": "x", "ts": 1, "data": [1]}]},
        {"events": [ok, {"type": "x", "ts": 1, "playback_id": 5}]},
        {"events": [ok, 7]},
    ]
    for batch in bad_batches:
        status, doc, _ = await client.send("POST", "/telemetry/v1/events", batch)
        assert status == 400, batch
        assert fb.error_of(doc)["code"] == 8102
    status, doc, _ = await client.get("/telemetry/v1/events")
    assert doc["events"] == []


async def test_other_accounts_events_hidden(backend, http, client, fb):
    await client.send("POST", "/telemetry/v1/events", {"events": [{"type": "x", "ts": 1}]})
    other = await fb.signup_paid(http, backend, "basic")
    status, doc, _ = await other.get("/telemetry/v1/events")
    assert status == 200 and doc["events"] == []


async def test_qoe_report_per_cell(backend, http, client, fb):
    cell = None
    for startup, rebuf in ((400, 0), (600, 1000)):
        _, pb = await client.play(backend.catalog[0].id)
        cell = pb["experiment"]["cell"]
        end = {
            "type": "session_end",
            "ts": time.time(),
            "playback_id": pb["playback_id"],
            "data": {
                "startup_ms": startup,
                "rebuffer_ms": rebuf,
                "played_ms": 9000,
                "avg_bitrate_kbps": 2500,
            },
        }
        assert (await client.send("POST", "/telemetry/v1/events", {"events": [end]}))[0] == 202
    await client.play(backend.catalog[1].id)  # a playback with no session_end yet
    async with http.get(backend.control_url + "/experiments/v1/report") as r:
        report = await r.json()
    assert report["experiment"] == backend.config.experiment.id
    cells = {c["cell"]: c for c in report["cells"]}
    assert set(cells) == {c.name for c in backend.config.experiment.cells}
    mine = cells[cell]
    assert mine["playbacks"] == 3 and mine["sessions"] == 2
    assert mine["mean_startup_ms"] == 500.0
    assert mine["rebuffer_ratio"] == round(1000 / 19000, 5)
    assert mine["mean_bitrate_kbps"] == 2500.0
    assert sum(c["playbacks"] for c in cells.values()) == 3


async def test_full_batch_fits_its_own_body_limit(backend, client, fb):
    batch = [
        {"type": "buffer_level", "ts": 1.0 + i, "data": {"level_s": i * 0.1, "pad": "x" * 100}}
        for i in range(500)
    ]
    status, doc, _ = await client.send("POST", "/telemetry/v1/events", {"events": batch})
    assert status == 202 and doc["accepted"] == 500
    big = [{"type": "x", "ts": 1.0, "data": {"pad": "y" * 8000}} for _ in range(140)]
    status, doc, _ = await client.send("POST", "/telemetry/v1/events", {"events": big})
    assert status == 413 and fb.error_of(doc)["code"] == 8103
