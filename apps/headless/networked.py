"""Scenarios and ``load`` behind an emulated link (``network:``, ``--netem``; root).

One link serves a whole command: the embedded backend binds to its host side. A scenario
with ``network:`` runs on a thread inside the link's namespace, with its own control-plane
client, the link shaped along its trace from its first step and the relay delaying its RTT;
a scenario without it runs in the host namespace, where the backend's address is local
(unshaped, no added RTT). ``load --netem`` runs every session on the one link (a
household sharing one access line), see docs/headless.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apps.headless.backend import BackendInfo
from apps.headless.faults import ControlClient
from apps.headless.netem.link import EmulatedLink
from apps.headless.netem.run import link_echo, network_run
from apps.headless.options import NetworkOptions
from apps.headless.report import CaseResult
from apps.headless.scenario_format import Scenario
from apps.headless.scenarios import ScenarioRunner

__all__ = ["run_networked_scenario", "scenario_networks"]


def scenario_networks(scenarios: Sequence[Scenario]) -> list[NetworkOptions]:
    """The links the scenarios ask for, in order (empty: no emulation needed)."""
    return [s.network for s in scenarios if s.network is not None]


def run_networked_scenario(info: BackendInfo, scenario: Scenario, link: EmulatedLink) -> CaseResult:
    """Run one scenario inside ``link``'s namespace along its ``network`` (blocking: call
    it from a host-namespace thread); each session report gets a ``network`` field."""
    assert scenario.network is not None
    net = network_run(link, scenario.network)

    async def go() -> CaseResult:
        async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
            return await ScenarioRunner(info, control).run(scenario)

    case = net.run(go)
    echo: dict[str, Any] = link_echo(link, scenario.network)
    for report in case.sessions:
        report["network"] = echo
    return case
