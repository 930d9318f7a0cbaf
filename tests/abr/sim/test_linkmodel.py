"""The link model: slow start after idle, one RTT per request on the trace's clock, and an
audio track sharing the link (its downloads seen by the estimator), in virtual time."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from abr import registry
from abr.errors import SimulatorConfigError
from abr.sim import LinkModel, SimConfig, run
from abr.sim.network import TraceLink
from abr.sim.qoe import metrics
from abr.sim.traces import Trace
from abr.sim.video import Video
from abr.types import Decision, Observation

FLAT_8M = Trace("flat", (0.0, 1000.0), (8000.0, 8000.0))
RATE = 8000 * 1000 / 8 * 0.95  # payload bytes/s


def test_slow_start_after_idle_costs_round_trips() -> None:
    model = LinkModel(rtt_s=0.1)  # BDP = 95 000 B, initial window 14 480 B
    cold = model.transfer(TraceLink(FLAT_8M), 200_000, window=1e9, idle_s=5.0)
    # windows of 14 480, 28 960, 57 920 B take one RTT each; then 115 840 >= BDP: the rest
    # moves at the rate
    rest = 200_000 - 14_480 * 7
    assert cold.seconds == pytest.approx(0.3 + rest / RATE)
    assert cold.window >= RATE * 0.1
    warm = model.transfer(TraceLink(FLAT_8M), 200_000, window=cold.window, idle_s=0.1)
    assert warm.seconds == pytest.approx(200_000 / RATE)  # a busy connection keeps its window
    assert cold.seconds > 1.5 * warm.seconds


def test_a_slow_link_is_never_window_limited() -> None:
    slow = Trace("slow", (0.0, 100.0), (500.0, 500.0))  # BDP 2.4 KB < the initial window
    got = LinkModel(rtt_s=0.04).transfer(TraceLink(slow), 80_000, window=0.0, idle_s=9.0)
    assert got.seconds == pytest.approx(80_000 / (500 * 1000 / 8 * 0.95))


def test_audio_share_and_its_samples() -> None:
    model = LinkModel(rtt_s=0.04, audio_kbps=128.0)
    assert model.companion_bytes(2.0) == 32_000
    # 32 000 B of audio beside 96 000 B of video: both at half the link until audio ends
    assert model.audio_share_s(96_000, 1.0, 2.0) == pytest.approx(0.5)
    with pytest.raises(SimulatorConfigError):
        LinkModel(audio_kbps=-1).validate()
    with pytest.raises(SimulatorConfigError):
        SimConfig(link=LinkModel(rtt_s=math.nan)).validate()


class _Recorder:
    """Always rung 0; keeps every observation's samples."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def reset(self) -> None:
        self.seen = []

    def choose(self, obs: Observation) -> Decision:
        self.seen.append(len(obs.samples))
        self.last = obs.samples
        return Decision(0)


def test_the_simulator_charges_audio_rtt_and_feeds_audio_samples(envivio: Video) -> None:
    trace = Trace("tight", (0.0, 1000.0), (600.0, 600.0))
    plain = SimConfig(latency_s=0.04, first_rung=None, segments=10)
    modelled = replace(plain, link=LinkModel(rtt_s=0.04, audio_kbps=128.0))
    a, b = _Recorder(), _Recorder()
    log_plain, log_model = run(a, trace, envivio, plain), run(b, trace, envivio, modelled)
    assert a.seen[-1] == 9 and b.seen[-1] == 18  # a video and an audio sample per segment
    per_segment = int(
        LinkModel(audio_kbps=128.0).companion_bytes(envivio.ladder.segment_duration_s)
    )
    audio = [s for s in b.last if s.bytes == per_segment]
    assert len(audio) == 9 and all(s.transfer_kbps < 600 * 0.95 / 2 * 1.01 for s in audio)
    assert sum(c.transfer_s for c in log_model.chunks) > sum(c.transfer_s for c in log_plain.chunks)
    assert [c.bytes for c in log_model.chunks] == [c.bytes for c in log_plain.chunks]


def test_the_model_lowers_the_prediction_on_a_tight_link(envivio: Video) -> None:
    trace = Trace("tight", (0.0, 1000.0), (1500.0, 1500.0))
    base = SimConfig(latency_s=0.04, first_rung=None, segments=20)
    plain = metrics(run(registry.create("robustmpc"), trace, envivio, base)).qoe_lin
    model = replace(base, link=LinkModel(rtt_s=0.04, audio_kbps=128.0))
    modelled = metrics(run(registry.create("robustmpc"), trace, envivio, model)).qoe_lin
    assert modelled < plain


class _SizesSeen(_Recorder):
    def choose(self, obs: Observation) -> Decision:
        self.seen.append(len(obs.upcoming_sizes))
        return Decision(0)


def test_sizes_known_false_hides_the_segment_sizes(envivio: Video) -> None:
    trace = Trace("flat", (0.0, 1000.0), (3000.0, 3000.0))
    known, nominal = _SizesSeen(), _SizesSeen()
    run(known, trace, envivio, SimConfig(first_rung=None, segments=5))
    run(nominal, trace, envivio, SimConfig(first_rung=None, segments=5, sizes_known=False))
    assert known.seen == [5, 4, 3, 2, 1] and nominal.seen == [0] * 5
