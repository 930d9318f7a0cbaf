"""The simulator: time is conserved, the buffer cap holds, settings are checked, and the
reference figures of ANCHORS.md are reproduced for the simple algorithms."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abr import registry
from abr.errors import SimulatorConfigError
from abr.sim.qoe import metrics
from abr.sim.simulator import PENSIEVE, SABRE, SimConfig, run
from abr.sim.traces import Trace
from abr.sim.video import Video
from abr.types import Decision, Observation

ALGOS = [n for n in registry.names() if n != "default"]


def check_session(log, video: Video, cfg: SimConfig) -> None:
    assert log.wall_s == pytest.approx(log.startup_s + log.rebuffer_s + log.play_s, abs=1e-6)
    assert log.rebuffer_s == pytest.approx(sum(c.rebuffer_s for c in log.chunks))
    assert len(log.chunks) == (cfg.segments or video.played)
    for c in log.chunks:
        assert c.buffer_s <= cfg.buffer_cap_s + 1e-9
        assert c.bytes == video.sizes[c.rung][c.index]
        assert c.transfer_s > 0 and c.rebuffer_s >= 0


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.floats(0.2, 6.0), st.floats(0.0, 6000.0)), min_size=2, max_size=20),
    name=st.sampled_from(ALGOS),
    sabre=st.booleans(),
)
def test_time_is_conserved(
    envivio: Video, rows: list[tuple[float, float]], name: str, sabre: bool
) -> None:
    times = [0.0]
    for dt, _ in rows[1:]:
        times.append(times[-1] + dt)
    kbps = [v for _, v in rows]
    kbps[-1] = max(kbps[-1], 200.0)
    trace = Trace("h", tuple(times), tuple(kbps))
    cfg = replace(SABRE, segments=12) if sabre else SimConfig(segments=12)
    check_session(run(registry.create(name), trace, envivio, cfg), envivio, cfg)


def test_startup_threshold_and_first_rung(envivio: Video, fcc_traces: list[Trace]) -> None:
    log = run(
        registry.create("bb"),
        fcc_traces[0],
        envivio,
        SimConfig(startup_threshold_s=12.0, segments=10),
    )
    first3 = log.chunks[:3]
    assert log.chunks[0].rung == 1  # Pensieve forces 750 kbps first
    assert log.startup_s == pytest.approx(sum(c.ttfb_s + c.transfer_s for c in first3))
    assert all(c.rebuffer_s == 0 for c in first3)


def test_bad_settings_are_typed() -> None:
    for bad in (
        SimConfig(latency_s=-1),
        SimConfig(payload_fraction=0),
        SimConfig(cap_mode="never"),
        SimConfig(startup_threshold_s=100.0),
    ):
        with pytest.raises(SimulatorConfigError):
            bad.validate()


class _Broken:
    name = "broken"

    def reset(self) -> None:
        pass

    def choose(self, obs: Observation) -> Decision:
        return Decision(99)


def test_out_of_range_rung_is_rejected(envivio: Video, fcc_traces: list[Trace]) -> None:
    with pytest.raises(SimulatorConfigError):
        run(_Broken(), fcc_traces[0], envivio, PENSIEVE)


def test_abandonment_saves_stalls(envivio: Video) -> None:
    # a cliff: 5 Mbit/s for 30 s, then 200 kbit/s
    trace = Trace("cliff", (0.0, 30.0, 300.0), (5000.0, 5000.0, 200.0))
    plain = run(registry.create("bb"), trace, envivio, SimConfig(segments=20))
    abandon = run(registry.create("bb"), trace, envivio, SimConfig(segments=20, abandon=True))
    assert any(c.abandoned_rung is not None for c in abandon.chunks)
    assert abandon.rebuffer_s < plain.rebuffer_s
    check_session(abandon, envivio, SimConfig(segments=20))


@pytest.mark.parametrize(("name", "fcc", "hsdpa"), [("bb", 0.336, 0.696), ("rb", 0.401, 0.791)])
def test_reference_figures_are_reproduced(
    name: str,
    fcc: float,
    hsdpa: float,
    envivio: Video,
    fcc_traces: list[Trace],
    hsdpa_traces: list[Trace],
) -> None:
    """ANCHORS.md, pensieve-sim column: BB and RB have no free parameter, so they must land
    on the published means (to the third decimal)."""
    for traces, anchor in ((fcc_traces, fcc), (hsdpa_traces, hsdpa)):
        q = [metrics(run(registry.create(name), t, envivio, PENSIEVE)).qoe_lin for t in traces]
        assert statistics.fmean(q) == pytest.approx(anchor, abs=0.0015)


def test_robustmpc_lands_near_reference(
    envivio: Video, fcc_traces: list[Trace], hsdpa_traces: list[Trace]
) -> None:
    for traces, anchor in ((fcc_traces, 0.622), (hsdpa_traces, 0.920)):
        q = [
            metrics(run(registry.create("robustmpc"), t, envivio, PENSIEVE)).qoe_lin for t in traces
        ]
        assert statistics.fmean(q) == pytest.approx(anchor, abs=0.05)
