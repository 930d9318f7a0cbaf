"""BBA-0/1/2: reservoir, cushion, rate and chunk maps, dynamic reservoir, startup ramp."""

from __future__ import annotations

import pytest

from abr.bba import BBA0, BBA1, BBA2
from abr.errors import AlgorithmConfigError
from abr.types import Decision, Ladder, Observation, Phase, ThroughputSample

LADDER = Ladder((300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0), 4.0)


def nominal_rows(n: int = 30) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(b * 1000 / 8 * 4) for b in LADDER.bitrates_kbps) for _ in range(n))


def obs(buffer_s: float, last: int | None = None, **kw: object) -> Observation:
    return Observation(
        now=0.0,
        buffer_s=buffer_s,
        phase=kw.pop("phase", Phase.STEADY),
        ladder=LADDER,
        last_decision=None if last is None else Decision(last),
        buffer_cap_s=60.0,
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("mapping", ["rate", "index"])
def test_bba0_reservoir_and_cushion(mapping: str) -> None:
    algo = BBA0(reservoir_s=5, cushion_s=10, mapping=mapping)
    for b in (0.0, 2.0, 4.99):
        assert algo.choose(obs(b, last=5)).rung == 0
    for b in (15.0, 30.0, 60.0):
        assert algo.choose(obs(b, last=0)).rung == 5


def test_bba0_index_map_is_pensieve_bb() -> None:
    algo = BBA0(5, 10, mapping="index")
    # (A-1) * (B - 5) / 10 truncated
    assert [algo.choose(obs(b)).rung for b in (5.0, 7.0, 9.0, 11.0, 13.0, 14.9)] == [
        0,
        1,
        2,
        3,
        4,
        4,
    ]


def test_bba0_rate_map_hysteresis() -> None:
    algo = BBA0(5, 10, mapping="rate")
    # f(B) at B = 8 s: 300 + 4000 * 0.3 = 1500 kbps: from rung 0 step up to max rate below f
    assert algo.choose(obs(8.0, last=0)).rung == 2
    # from rung 2 (1200) with f = 1500: neither Rate+ (1850) nor Rate- (750) crossed: stay
    assert algo.choose(obs(8.0, last=2)).rung == 2
    # from rung 4 (2850), f = 1500 <= Rate- 1850: go to the lowest rate above f
    assert algo.choose(obs(8.0, last=4)).rung == 3


def test_bba0_rejects_bad_config() -> None:
    with pytest.raises(AlgorithmConfigError):
        BBA0(cushion_s=0)
    with pytest.raises(AlgorithmConfigError):
        BBA0(mapping="cubic")


def test_bba1_reservoir_grows_with_large_low_rung_segments() -> None:
    algo = BBA1()
    cbr = obs(10.0, upcoming_sizes=nominal_rows())
    assert algo.reservoir(cbr) == pytest.approx(5.0)  # clamped to the minimum
    # low-rung segments 50 % larger than nominal: 2 s extra per segment over the window
    big = tuple((int(r[0] * 1.5), *r[1:]) for r in nominal_rows())
    res = algo.reservoir(obs(10.0, upcoming_sizes=big))
    assert res == pytest.approx(min(30 * 2.0, 0.35 * 60))


def test_bba1_chunk_map_uses_actual_next_segment_size() -> None:
    algo = BBA1()
    rows = nominal_rows()
    at_30 = algo.choose(obs(30.0, last=0, upcoming_sizes=rows)).rung
    assert 0 < at_30 < 5
    # the next segment at rung at_30+1 is tiny: the chunk map allows it
    cheap = list(rows)
    first = list(rows[0])
    first[at_30 + 1] = rows[0][0]
    cheap[0] = tuple(first)
    assert algo.choose(obs(30.0, last=0, upcoming_sizes=tuple(cheap))).rung >= at_30 + 1
    assert algo.choose(obs(2.0, last=3, upcoming_sizes=rows)).rung == 0
    assert algo.choose(obs(59.0, last=0, upcoming_sizes=rows)).rung == 5


def fast(seconds: float, end: float) -> ThroughputSample:
    return ThroughputSample(100_000, 0.0, seconds, end)


def test_bba2_ramps_up_on_fast_downloads_then_hands_over() -> None:
    algo = BBA2()
    rows = nominal_rows()
    # 4 s segment downloaded in 0.2 s = 20x real time: step up one rung per segment
    d1 = algo.choose(
        obs(4.0, last=1, upcoming_sizes=rows, samples=(fast(0.2, 1.0),), phase=Phase.STARTUP)
    )
    assert d1.rung == 2 and "startup" in d1.reason
    d2 = algo.choose(obs(7.8, last=2, upcoming_sizes=rows, samples=(fast(0.2, 2.0),)))
    assert d2.rung == 3
    # a slow download (2x real time at a low buffer needs ~8x): hold the rung
    d3 = algo.choose(obs(9.8, last=3, upcoming_sizes=rows, samples=(fast(2.0, 3.0),)))
    assert d3.rung == 3
    # the buffer shrinks: startup is over, the chunk map (BBA-1) decides from now on
    d4 = algo.choose(obs(8.0, last=3, upcoming_sizes=rows, samples=(fast(5.0, 4.0),)))
    assert d4.rung == BBA1().choose(obs(8.0, last=3, upcoming_sizes=rows)).rung
    assert "startup over" in d4.reason


def test_bba2_without_ramp_equals_bba1_after_startup() -> None:
    algo = BBA2()
    rows = nominal_rows()
    algo.choose(obs(10.0, last=0, upcoming_sizes=rows, phase=Phase.REBUFFERING))
    for b in (3.0, 20.0, 35.0, 50.0):
        o = obs(b, last=2, upcoming_sizes=rows)
        assert algo.choose(o).rung == BBA1().choose(o).rung
