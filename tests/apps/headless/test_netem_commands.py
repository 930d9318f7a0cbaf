"""``scenario`` with ``network:`` and ``load --netem`` through the CLI on the real kernel:
the throughput a report shows follows the trace, its TTFB the RTT, and nothing is left
behind. Root only (skipped with the reason otherwise)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.headless.cli import main
from apps.headless.netem.stale import namespaces
from apps.headless.netem.sysnet import unavailable_reason

_REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(bool(_REASON), reason=_REASON or "n/a")

SLOW, FAST, STEP_S = 400.0, 1200.0, 12
PAYLOAD = 0.96  # TCP/IP headers per 1500-byte packet
RTT_MS = 80.0


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One packaged tiny catalog for the module (the first command packages it)."""
    yield tmp_path_factory.mktemp("netem-commands")


def _ours() -> list[str]:
    return [n for n in namespaces() if n.startswith(f"nrdpnet-{os.getpid()}-")]


def _busy_kbps(segments: list[dict[str, Any]]) -> float:
    """Bytes over the time some transfer was running (the union of every segment's
    first-byte-to-last-byte interval): the link's goodput while it was in use."""
    spans = sorted((s["t"] - s["download_s"] + s["ttfb_s"], s["t"]) for s in segments)
    busy, end = 0.0, float("-inf")
    for a, b in spans:
        if b > end:
            busy += b - max(a, end)
            end = b
    return sum(s["bytes"] for s in segments) * 8 / 1000 / busy


def test_scenario_network_follows_the_step_trace_and_the_rtt(data_dir: Path) -> None:
    folder = data_dir / "scenario"
    folder.mkdir()
    lines = [f"{t} {SLOW if t < STEP_S else FAST:.0f}" for t in range(61)]
    (folder / "step.txt").write_text("\n".join(lines) + "\n")
    # the first play lies in the slow phase, the second (after the wait) in the fast one
    (folder / "net.yaml").write_text(
        f"name: step\nspeed: fast\nnetwork: {{trace: step.txt, rtt_ms: {RTT_MS:.0f}}}\n"
        "steps:\n  - login: {}\n  - play: {title: t-ocean}\n  - wait: {seconds: 9}\n"
        "  - play: {title: t-ocean}\n  - expect: {state: ended, no_errors: true}\n"
    )
    before = set(namespaces())
    code = main(
        [
            "scenario",
            str(folder / "net.yaml"),
            *("--catalog", "tiny", "--quiet", "--data-dir", str(data_dir / "data")),
            *("--report", str(folder / "r.json")),
        ]
    )
    doc = json.loads((folder / "r.json").read_text())
    assert code == 0, doc
    slow, fast = doc["scenarios"][0]["sessions"]
    assert slow["network"]["rtt_ms"] == RTT_MS and slow["network"]["link"] in ("tun", "veth")
    got = _busy_kbps(slow["segments"]), _busy_kbps(fast["segments"])
    assert abs(got[0] - SLOW * PAYLOAD) <= 0.15 * SLOW, got
    # the fast step: never above its rate, clearly above the slow one's (measured 1015-1044
    # on an idle machine, 825 with the relay and the decoder starved of CPU: both are
    # threads of this process, so only the slow step's rate is held to 15 %)
    assert 2 * got[0] <= got[1] <= FAST * 1.02, got
    ttfb = [s["ttfb_s"] * 1000 for r in (slow, fast) for s in r["segments"]]
    assert min(ttfb) >= 0.95 * RTT_MS, ttfb  # no byte comes back before one round trip
    assert min(ttfb) <= 1.3 * RTT_MS + 20, ttfb  # and an idle request pays about one RTT
    assert set(namespaces()) <= before and not _ours()


def test_load_netem_runs_every_session_on_one_shaped_link(data_dir: Path) -> None:
    trace = data_dir / "flat.txt"
    trace.write_text("0 800\n60 800\n")
    report = data_dir / "load.json"
    code = main(
        [
            *("load", "--netem", str(trace), "--rtt", "40", "--sessions", "2"),
            *("--title", "t-ocean", "--catalog", "tiny", "--quiet"),
            *("--data-dir", str(data_dir / "data"), "--report", str(report)),
        ]
    )
    doc = json.loads(report.read_text())
    assert code == 0, doc["aggregate"]
    assert doc["run"]["network"]["shared_by"] == 2 and doc["run"]["network"]["rtt_ms"] == 40
    assert [s["state"] for s in doc["sessions"]] == ["ended", "ended"]
    # both sessions fetched through the one 800 kbit/s link: together never faster than it
    total_kbps = sum(s["bytes_downloaded"] for s in doc["sessions"]) * 8 / 1000
    assert total_kbps / doc["run"]["wall_s"] <= 800 * 1.05, doc["run"]
    assert all(s["pacing"]["median_video_kbps"] < 800 for s in doc["sessions"])
    assert not _ours()
