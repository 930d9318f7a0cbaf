"""The headless ``live`` step's control client against a real backend, and the live scenario
drafts (scenarios/live/): they parse, name real channels, and every control they use
works."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from apps.headless.faults import ControlClient, ControlError
from apps.headless.scenario_format import load_scenario, scenario_files
from fake_backend.live.service import default_channels
from fake_backend.runner import Backend

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


async def test_live_scenarios_parse_and_their_controls_work(tmp_path: Path) -> None:
    files = [f for f in scenario_files(SCENARIOS) if f.name.startswith("live-")]
    assert len(files) == 5
    t = float(int(time.time()))
    be = Backend(
        tmp_path / "d",
        catalog=[],
        live=default_channels(),
        live_start=t - 100,
        clock=lambda: t,
        ocas=1,
    )
    await be.start()
    try:
        async with ControlClient(be.control_url, (), be.control_token) as control:
            used = set()
            for f in files:
                sc = load_scenario(f)
                assert any(s.name == "expect" for s in sc.steps)
                plays = [s.args["title"] for s in sc.steps if s.name == "play"]
                assert plays and set(plays) <= set(be.live.channels), f
                for step in (s for s in sc.steps if s.name == "live"):
                    args = dict(step.args)
                    channel, action = args.pop("channel"), args.pop("action")
                    used.add(action)
                    doc = await control.live(channel, action, args)
                    assert doc, (f, action)
            assert used == {"period", "late", "missing", "clear", "end", "clock"}
            state = {
                c["id"]: c for c in (await control._call("GET", "/control/v1/live"))["channels"]
            }
            assert state["live-news"]["ended_at"] == 50 and state["live-news"]["periods"] == [0, 52]
            assert state["live-sports"]["late"] == {}  # the missing scenario clears its faults
            with pytest.raises(ControlError, match="404"):
                await control.live("nope", "end", {})
    finally:
        await be.close()
