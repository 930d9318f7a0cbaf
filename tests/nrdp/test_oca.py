from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import manifest
from nrdp.config import OcaConfig
from nrdp.delivery.oca import (
    HEALTH_TRANSITIONS,
    Oca,
    OcaSelector,
    OcaSource,
    OcaState,
    ocas_from_base_urls,
)
from nrdp.delivery.reasons import FailureReason
from nrdp.errors import InvalidArgument

R = FailureReason
CFG = OcaConfig(
    base_exclusion=10.0, max_exclusion=80.0, exclusion_factor=2.0, suspect_failures_to_exclude=2
)


def pick(sel: OcaSelector, now: float) -> str:
    chosen = sel.select(now)
    assert chosen is not None
    return chosen.id


def fleet(n: int = 3) -> list[Oca]:
    return [Oca(id=f"oca{i}", url=f"http://127.0.0.1:{9000 + i}/", rank=i) for i in range(n)]


def test_oca_validates_and_joins_paths() -> None:
    oca = Oca(id="a", url="http://127.0.0.1:9000/content/title1")
    assert oca.url_for("video/seg-1.m4s") == "http://127.0.0.1:9000/content/title1/video/seg-1.m4s"
    assert oca.url_for("/v/1.m4s") == "http://127.0.0.1:9000/content/title1/v/1.m4s"
    for bad in (
        {"id": "", "url": "http://h/"},
        {"id": "a", "url": "ftp://h/"},
        {"id": "a", "url": "/relative"},
        {"id": "a", "url": "http://h/", "weight": -1},
        {"id": "a", "url": "http://h/", "rank": 1.5},
    ):
        with pytest.raises(InvalidArgument):
            Oca(**bad)


def test_duplicate_and_unknown_ids_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        OcaSelector([fleet(1)[0], fleet(1)[0]])
    with pytest.raises(InvalidArgument):
        OcaSelector(fleet()).report_failure("nope", R.STALL, 0.0)


def test_selects_the_best_rank_and_stays_on_it() -> None:
    sel = OcaSelector(list(reversed(fleet())), CFG)
    assert pick(sel, 0.0) == "oca0"
    sel.report_success("oca0", 1_000_000, 1.0, 1.0)
    assert pick(sel, 1.0) == "oca0"
    assert sel.health("oca0").throughput_bps == pytest.approx(8_000_000)


def test_failover_is_sticky_on_the_new_oca_and_does_not_return_to_the_first() -> None:
    sel = OcaSelector(fleet(), CFG)
    assert pick(sel, 0.0) == "oca0"
    sel.report_failure("oca0", R.STALL, 1.0)
    assert pick(sel, 1.0) == "oca1"
    for t in range(2, 40):
        sel.report_success("oca1", 100_000, 0.5, float(t))
        # oca0 became probe-eligible at t=11 but the selector stays on the good oca1
        assert pick(sel, float(t)) == "oca1"
    assert sel.health("oca0").state is OcaState.PROBING


def test_exclusion_grows_per_strike_and_probe_success_clears_it() -> None:
    sel = OcaSelector(fleet(1), CFG)
    sel.report_failure("oca0", R.CONNECT, 0.0)
    assert sel.health("oca0").excluded_until == 10.0
    assert sel.all_excluded(5.0)
    assert sel.select(5.0) is None
    assert sel.next_available_at(5.0) == 10.0
    assert pick(sel, 10.0) == "oca0"  # probing: one request
    assert sel.health("oca0").state is OcaState.PROBING
    assert sel.select(10.1) is None  # the probe is in flight
    assert not sel.all_excluded(10.1)
    sel.report_failure("oca0", R.CONNECT, 11.0)
    assert sel.health("oca0").excluded_until == 11.0 + 20.0
    assert pick(sel, 31.0) == "oca0"
    sel.report_failure("oca0", R.CONNECT, 31.0)
    assert sel.health("oca0").excluded_until == 31.0 + 40.0
    assert pick(sel, 71.0) == "oca0"
    sel.report_failure("oca0", R.CONNECT, 71.0)
    assert sel.health("oca0").excluded_until == 71.0 + 80.0  # capped at max_exclusion
    assert pick(sel, 151.0) == "oca0"
    assert sel.report_success("oca0", 10, 0.1, 151.5) is OcaState.HEALTHY
    assert sel.health("oca0").strikes == 0
    sel.report_failure("oca0", R.CONNECT, 152.0)
    assert sel.health("oca0").excluded_until == 162.0  # back to the base


def test_policy_exclusion_is_the_base_and_soft_failures_make_suspects() -> None:
    sel = OcaSelector(fleet(2), CFG)
    assert pick(sel, 0.0) == "oca0"
    assert sel.report_failure("oca0", R.TIMEOUT, 0.0, exclude=False) is OcaState.SUSPECT
    assert pick(sel, 0.0) == "oca0"  # still usable, still sticky
    assert sel.report_success("oca0", 5, 0.1, 0.5) is OcaState.HEALTHY
    sel.report_failure("oca0", R.TIMEOUT, 1.0, exclude=False)
    assert sel.report_failure("oca0", R.TIMEOUT, 2.0, exclude=False) is OcaState.EXCLUDED
    assert pick(sel, 2.0) == "oca1"
    sel.report_failure("oca1", R.HTTP_STATUS, 3.0, exclusion_s=300.0)
    assert sel.health("oca1").excluded_until == 3.0 + 80.0  # capped
    assert sel.health("oca1").last_reason is R.HTTP_STATUS
    with pytest.raises(InvalidArgument):
        sel.report_failure("oca1", R.STALL, 3.0, exclusion_s=0.0)


def test_late_results_for_an_excluded_oca_change_nothing() -> None:
    sel = OcaSelector(fleet(2), CFG)
    sel.report_failure("oca0", R.STALL, 0.0)
    before = sel.health("oca0")
    assert sel.report_success("oca0", 100, 1.0, 1.0) is OcaState.EXCLUDED
    assert sel.report_failure("oca0", R.STALL, 2.0) is OcaState.EXCLUDED
    assert sel.health("oca0") == before


def test_cancelled_probe_frees_the_slot() -> None:
    sel = OcaSelector(fleet(1), CFG)
    sel.report_failure("oca0", R.STALL, 0.0)
    assert sel.select(10.0) is not None
    assert sel.select(10.0) is None
    sel.report_cancelled("oca0")
    assert sel.select(10.0) is not None


def test_healthy_beats_suspect_beats_probing_when_choosing_anew() -> None:
    sel = OcaSelector(fleet(3), CFG)
    sel.report_failure("oca0", R.STALL, 0.0)  # excluded until 10
    sel.report_failure("oca1", R.STALL, 0.0, exclude=False)  # suspect
    assert pick(sel, 11.0) == "oca2"  # healthy, although worst rank
    sel.report_failure("oca2", R.STALL, 11.0)
    assert pick(sel, 11.0) == "oca1"  # suspect before probing


def test_weighted_random_choice_within_the_best_rank_is_seeded() -> None:
    ocas = [
        Oca(id=f"w{i}", url=f"http://h{i}/", rank=1, weight=w) for i, w in enumerate([1, 3, 0])
    ] + [Oca(id="worse", url="http://x/", rank=2, weight=100)]
    picks = [pick(OcaSelector(ocas, CFG, rng=random.Random(s)), 0.0) for s in range(400)]
    assert set(picks) == {"w0", "w1"}  # never weight 0, never the worse rank
    assert 0.65 < picks.count("w1") / len(picks) < 0.85
    again = [pick(OcaSelector(ocas, CFG, rng=random.Random(s)), 0.0) for s in range(400)]
    assert picks == again
    assert pick(OcaSelector(ocas, CFG), 0.0) == "w1"  # deterministic: heaviest first


@dataclass(frozen=True)
class _BaseUrl:
    url: str
    service_location: str | None
    priority: int
    weight: int


def test_manifest_base_urls_become_ocas() -> None:
    ocas = ocas_from_base_urls(
        [
            _BaseUrl("http://a.example/t/", "cdn-a", 1, 10),
            _BaseUrl("http://b.example/t/", None, 2, 1),
            _BaseUrl("http://c.example/t/", "cdn-a", 1, 5),
        ]
    )
    assert [o.id for o in ocas] == ["cdn-a", "b.example", "cdn-a#2"]
    assert all(o.source is OcaSource.MANIFEST for o in ocas)
    assert ocas[0].rank == 1 and ocas[0].weight == 10


def test_no_candidates_means_all_excluded() -> None:
    sel = OcaSelector([], CFG)
    assert sel.all_excluded(0.0)
    assert sel.select(0.0) is None
    assert sel.next_available_at(0.0) is None


OPS = st.lists(
    st.tuples(
        st.sampled_from(["select", "ok", "fail", "soft", "cancel"]),
        st.integers(0, 4),
        st.floats(0, 15),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5), ops=OPS, seed=st.integers(0, 1000))
def test_selector_never_picks_an_excluded_oca_and_is_sticky(
    n: int, ops: list[tuple[str, int, float]], seed: int
) -> None:
    sel = OcaSelector(fleet(n), CFG, rng=random.Random(seed))
    now = 0.0
    last: str | None = None
    for op, idx, dt in ops:
        now += dt
        oca_id = f"oca{idx % n}"
        if op == "select":
            was_current = sel.current
            current_ok = was_current is not None and sel.health(was_current.id).state in (
                OcaState.HEALTHY,
                OcaState.SUSPECT,
            )
            chosen = sel.select(now)
            if chosen is None:
                assert all(
                    sel.health(o.id).state in (OcaState.EXCLUDED, OcaState.PROBING)
                    for o in sel.candidates
                )
                continue
            health = sel.health(chosen.id)
            assert health.state is not OcaState.EXCLUDED
            assert not sel.is_excluded(chosen.id, now)
            if current_ok:
                assert chosen == was_current  # sticky
            last = chosen.id
        elif op == "ok":
            sel.report_success(oca_id, 1000, 0.1, now)
        elif op == "fail":
            sel.report_failure(oca_id, R.STALL, now)
        elif op == "soft":
            sel.report_failure(oca_id, R.TIMEOUT, now, exclude=False)
        else:
            sel.report_cancelled(oca_id)
        for o in sel.candidates:
            h = sel.health(o.id)
            if h.state is OcaState.EXCLUDED:
                assert h.excluded_until is not None
                assert h.excluded_until - now <= CFG.max_exclusion + 1e-9
                assert h.strikes >= 1
        assert sel.all_excluded(now) == all(sel.is_excluded(o.id, now) for o in sel.candidates)
    assert last is None or last in {o.id for o in sel.candidates}


def test_health_table_covers_every_state_and_event() -> None:
    from nrdp.delivery.oca import HealthEvent

    assert set(HEALTH_TRANSITIONS) == set(OcaState)
    for state, row in HEALTH_TRANSITIONS.items():
        expected = (
            set(HealthEvent)
            if state is OcaState.EXCLUDED
            else (set(HealthEvent) - {HealthEvent.EXPIRED})
        )
        assert set(row) == expected


def test_soft_failures_never_exclude_the_last_usable_oca() -> None:
    sel = OcaSelector(fleet(1), CFG)
    for t in range(5):
        assert sel.report_failure("oca0", R.CONNECT, float(t), exclude=False) is OcaState.SUSPECT
    assert pick(sel, 5.0) == "oca0"
    assert sel.report_failure("oca0", R.CONNECT, 6.0) is OcaState.EXCLUDED  # hard still does


def test_manifest_locations_from_a_real_mpd_fail_over_by_priority(corpus_dir: Path) -> None:
    mpd = corpus_dir / "mpd" / "androidx__sample_mpd_vod_location_fallback.mpd"
    doc = manifest.parse_mpd(mpd.read_bytes(), "http://127.0.0.1/title/manifest.mpd")
    rep = doc.periods[0].adaptation_sets[0].representations[0]
    ocas = ocas_from_base_urls(rep.base_url_candidates)
    assert [(o.id, o.rank) for o in ocas] == [("a", 1), ("b", 2), ("c", 2), ("d", 3)]
    sel = OcaSelector(ocas, CFG)
    seg = rep.index()[0]
    order = []
    for t in range(4):
        oca = sel.select(float(t))
        assert oca is not None
        order.append(oca.id)
        assert oca.url_for(seg.path).startswith(oca.url)
        sel.report_failure(oca.id, R.HTTP_STATUS, float(t))
    assert order == ["a", "b", "c", "d"]
    assert sel.all_excluded(3.5)


def test_manifest_base_urls_resolve_like_rfc3986() -> None:
    oca = Oca(id="a", url="http://video.com/base/media/audio", source=OcaSource.MANIFEST)
    assert oca.url_for("seg-1.m4s") == "http://video.com/base/media/seg-1.m4s"
    assert oca.url_for("/root.m4s") == "http://video.com/root.m4s"
