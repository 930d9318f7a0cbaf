"""``fault: {client: self}``: an OCA fault plan for this scenario's device only.

The OCA reads the device id from the playback token the SDK sends, so a client plan hits
the scenario's own player and no one else (``?client=DEVICE_ID`` on the control plane).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from rich.console import Console

import nrdp
from apps.headless.__main__ import main
from apps.headless.backend import BackendInfo
from apps.headless.faults import ControlClient
from apps.headless.progress import summary_table
from apps.headless.report import session_report
from apps.headless.scenario_format import ScenarioFormatError, load_scenario
from apps.headless.scenarios import ScenarioRunner, new_device_id
from apps.headless.session import PlayOptions, PlaySession

BAD = [
    ("who.yaml", "steps:\n  - fault:\n      oca: all\n      client: everyone\n", 4, "one of"),
    ("num.yaml", "steps:\n  - fault: {oca: all, client: 7}\n", 2, "expected a string"),
    (
        "down.yaml",
        "steps:\n  - login: {}\n  - fault:\n      oca: 1\n      client: self\n      down: true\n",
        6,
        "every client",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "needle"), BAD)
def test_malformed_client_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, line: int, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert info.value.line == line
    assert needle in info.value.reason
    assert main(["scenario", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:{line}:" in err[0]


def test_client_self_parses(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("steps:\n  - fault: {oca: all, client: self, clear: true, latency_ms: 50}\n")
    (step,) = load_scenario(path).steps
    assert step.args == {"oca": "all", "client": "self", "clear": True, "latency_ms": 50}


async def _client_plans(control: ControlClient) -> list[int]:
    return [int(o["client_plans"]) for o in await control.ocas()]


async def _self_fault_leaves_others_alone(info: BackendInfo, scenario_path: Path) -> None:
    scenario = load_scenario(scenario_path)
    async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
        run = asyncio.create_task(ScenarioRunner(info, control).run(scenario))
        try:
            # the scenario's device has a plan on every OCA, the OCAs' own plans are healthy
            for _ in range(2000):
                if run.done() or all(n == 1 for n in await _client_plans(control)):
                    break
                await asyncio.sleep(0.01)
            assert not run.done(), run.result().error
            assert all(n == 1 for n in await _client_plans(control))
            assert all(o["faults"].get("error_rate", 0) == 0 for o in await control.ocas())
            # another device plays through the same OCAs untouched
            assert info.email and info.password
            config = nrdp.DeviceConfig(new_device_id("qa-other"), info.gateway_url)
            async with nrdp.Device(config) as device:
                await device.login(info.email, info.password)
                opts = PlayOptions(title="t-ocean", timeout=60.0, realtime=False)  # no late drops
                session = PlaySession(device, opts)
                await session.run()
                report = session_report(session)
            assert report["state"] == "ended", report["errors"]
            assert report["errors"] == [] and report["failovers"] == 0
            # every frame once and in order; one the SDK skipped as late (a busy machine) counts
            assert report["frames_in_order"] is True
            assert report["frames_decoded"] + report["frames_dropped"] == report["frames_expected"]
            assert report["frames_decoded"] > 0
        finally:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
        # the scenario's reset removed its client plans
        assert await _client_plans(control) == [0] * len(await control.ocas())


def test_client_fault_spares_other_clients(
    backend: tuple[BackendInfo, Path], tmp_path: Path
) -> None:
    info, _ = backend
    sc = tmp_path / "self_only.yaml"
    sc.write_text(
        "steps:\n"
        "  - fault: {oca: all, client: self, error_rate: 1.0, error_status: 503}\n"
        "  - wait: {seconds: 600}\n"
    )
    asyncio.run(_self_fault_leaves_others_alone(info, sc))


def test_client_fault_hits_own_player(backend: tuple[BackendInfo, Path], tmp_path: Path) -> None:
    _, endpoints = backend
    sc = tmp_path / "self_errors.yaml"
    report = tmp_path / "r.json"
    sc.write_text(
        "name: own 503s\nsteps:\n"
        "  - fault: {oca: all, client: self, error_rate: 1.0, error_status: 503}\n"
        "  - play: {title: t-ocean, timeout: 60}\n"
        "  - expect: {no_errors: false, state: error}\n"
    )
    rc = main(
        ["scenario", str(sc), "--endpoints", str(endpoints), "--quiet", "--report", str(report)]
    )
    doc = json.loads(report.read_text())
    assert rc == 0, doc["scenarios"][0]
    (s,) = doc["scenarios"][0]["sessions"]
    assert s["frames_decoded"] == 0


def _row(i: int, trace: str | None) -> dict[str, object]:
    r: dict[str, object] = {"session": i, "cell": "control", "title": "t-ocean", "state": "ended"}
    r.update(rebuffer_ratio=0.0, frames_decoded=10, frames_expected=10, errors=[])
    return r if trace is None else {**r, "trace": trace}


def _render(rows: list[dict[str, object]]) -> list[str]:
    console = Console(record=True, width=300)
    console.print(summary_table(rows, load=True))
    return console.export_text().splitlines()


def test_load_table_has_trace_column_with_trace_set() -> None:
    lines = _render([_row(0, "dip.txt"), _row(1, "flat.txt")])
    header = next(ln for ln in lines if "cell" in ln)
    assert header.index("cell") < header.index("trace") < header.index("title")
    assert any("dip.txt" in ln for ln in lines) and any("flat.txt" in ln for ln in lines)
    assert all("trace" not in ln for ln in _render([_row(0, None)]))
