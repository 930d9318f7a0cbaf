"""Every algorithm returns a valid rung for any observation, and stays deterministic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from abr import registry
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample

ladders = st.lists(st.floats(50, 50_000), min_size=1, max_size=7, unique=True).map(
    lambda xs: Ladder(tuple(sorted(xs)), 4.0)
)

samples = st.lists(
    st.builds(
        ThroughputSample,
        bytes=st.integers(1, 10**8),
        ttfb_s=st.floats(0, 2),
        transfer_s=st.floats(1e-4, 100),
        end_s=st.floats(0, 1e4),
    ),
    max_size=8,
).map(lambda xs: tuple(sorted(xs, key=lambda s: s.end_s)))


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    ladder = draw(ladders)
    n = len(ladder)
    upcoming = draw(st.lists(st.tuples(*[st.integers(1, 10**7)] * n), max_size=6))
    last = draw(st.none() | st.integers(0, n - 1).map(Decision))
    return Observation(
        now=draw(st.floats(0, 1e4)),
        buffer_s=draw(st.floats(0, 120)),
        phase=draw(st.sampled_from(list(Phase))),
        ladder=ladder,
        segment_index=draw(st.integers(0, 100)),
        segments_left=draw(st.none() | st.integers(1, 50)),
        upcoming_sizes=tuple(upcoming),
        samples=draw(samples),
        last_decision=last,
        buffer_cap_s=draw(st.none() | st.floats(10, 240)),
    )


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(registry.names()), seq=st.lists(observations(), min_size=1, max_size=4))
def test_any_observation_gives_a_valid_rung(name: str, seq: list[Observation]) -> None:
    algo = registry.create(name)
    first = []
    for obs in seq:
        d = algo.choose(obs)
        assert isinstance(d.rung, int) and 0 <= d.rung < len(obs.ladder)
        assert isinstance(d.reason, str)
        first.append(d)
    algo.reset()
    assert algo.choose(seq[0]) == first[0]  # reset forgets the session


def test_bola_e_stays_on_a_ladder_that_shrank_between_calls() -> None:
    """Found by the property above: state from a 2-rung ladder must not leak onto 1 rung."""
    two = Ladder((50.0, 51.0), 4.0)
    one = Ladder((50.0,), 4.0)
    algo = registry.create("bola-e")
    base = dict(now=0.0, buffer_s=0.0, phase=Phase.STARTUP, segment_index=0)
    algo.choose(Observation(ladder=two, last_decision=Decision(1), **base))
    assert algo.choose(Observation(ladder=one, **base)).rung == 0
