"""The sans-I/O core of nrdp never imports I/O, an event loop, a decoder or a clock."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

NRDP = Path(__file__).resolve().parents[2] / "nrdp"

PURE = [
    "errors.py",
    "config.py",
    "state.py",
    "events.py",
    "stats.py",
    "cmcd.py",
    "timeline.py",
    "source.py",
    "channels/retry.py",
    "channels/breaker.py",
    "delivery/oca.py",
    "delivery/policy.py",
    "delivery/reasons.py",
    "delivery/resume.py",
    "delivery/progress.py",
    "delivery/deadlines.py",
    "delivery/steering.py",
    "scheduler/buffer.py",
    "scheduler/planner.py",
    "scheduler/tracks.py",
    "scheduler/presentation.py",
    "scheduler/master.py",
    "scheduler/decisions.py",
    "text/cue.py",
    "text/webvtt.py",
    "playback/signing.py",
    "media/samples.py",
    "media/trackinfo.py",
    "_lazy.py",
    "live/availability.py",
    "live/errors.py",
    "live/events.py",
    "live/latency.py",
    "live/refresh.py",
    "live/testing.py",
    "live/timeline.py",
    "live/utc.py",
    "live/window.py",
]
FORBIDDEN = {
    "asyncio",
    "aiohttp",
    "av",
    "PySide6",
    "socket",
    "fake_backend",
    "apps",
    "time",
    "threading",
    "subprocess",
    "os",
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


CLOCK_READS = {"now", "utcnow", "today", "fromtimestamp"}
"""``datetime`` is allowed as a value type (MPD times are datetimes); reading the clock is not."""


def clock_reads(path: Path) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_READS
        and isinstance(node.func.value, ast.Name | ast.Attribute)
        and (getattr(node.func.value, "id", None) or getattr(node.func.value, "attr", None))
        in ("datetime", "date")
    }


@pytest.mark.parametrize("rel", PURE)
def test_pure_modules_import_no_io_and_no_clock(rel: str) -> None:
    bad = imported(NRDP / rel) & FORBIDDEN
    assert not bad, f"nrdp/{rel} imports {sorted(bad)}"
    reads = clock_reads(NRDP / rel)
    assert not reads, f"nrdp/{rel} reads the clock: {sorted(reads)}"


# Modules of the I/O shell: they may await, sleep and read the clock.
IO = {
    "clock.py",
    "auth.py",
    "device.py",
    "hub.py",
    "player.py",
    "player_events.py",
    "player_live.py",
    "player_open.py",
    "player_session.py",
    "player_tracks.py",
    "opening.py",
    "routes.py",
    "telemetry.py",
    "channels/http.py",
    "delivery/downloader.py",
    "delivery/failover.py",
    "delivery/response.py",
    "delivery/steering_client.py",
    "discovery/client.py",
    "media/codecs.py",
    "media/decoder.py",
    "media/pipeline.py",
    "media/sinks.py",
    "playback/license.py",
    "playback/play_api.py",
    "playback/token.py",
    "scheduler/loop.py",
    "scheduler/live.py",
    "scheduler/live_control.py",
    "scheduler/fetcher.py",
    "scheduler/keys.py",
    "scheduler/arrival.py",
    "scheduler/rung_choice.py",
    "scheduler/monitor.py",
    "scheduler/periods.py",
    "scheduler/presenter.py",
    "scheduler/runtime.py",
    "testing.py",  # the virtual clock waits on the event loop
    "text/presenter.py",
    "live/refresher.py",
    "live/utc_client.py",
    "thumbnails.py",  # tile choice is pure, the tile fetch (and its cache) awaits
}


def test_every_module_is_classified_as_pure_or_io() -> None:
    modules = {p.relative_to(NRDP).as_posix() for p in NRDP.rglob("*.py")}
    modules = {m for m in modules if not m.endswith("__init__.py")}
    unclassified = modules - set(PURE) - IO
    assert not unclassified, f"add to PURE or IO in this test: {sorted(unclassified)}"


HEAVY = ("aiohttp", "av", "PySide6")
_PROBE = """
import importlib, json, sys
heavy = tuple(sys.argv[1].split(","))
loaded = {}
for name in sys.argv[2:]:
    importlib.import_module(name)
    new = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    if new:
        loaded[name] = new
        break
print(json.dumps(loaded))
"""


def test_pure_modules_load_no_io_library_in_a_fresh_interpreter() -> None:
    """The source-level check above is not enough: a package ``__init__`` that imports
    eagerly drags PyAV or aiohttp in behind a pure module. Importing every pure module
    (and ``nrdp`` itself) one after the other in a fresh interpreter must load none of
    them; the first module that does is named."""
    names = ["nrdp", "nrdp.state"] + [f"nrdp.{r[:-3].replace('/', '.')}" for r in PURE]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(HEAVY), *names],
        cwd=NRDP.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout) == {}


def test_the_fresh_interpreter_probe_sees_a_heavy_import() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(HEAVY), "nrdp.state", "nrdp.media.decoder"],
        cwd=NRDP.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout) == {"nrdp.media.decoder": ["av"]}
