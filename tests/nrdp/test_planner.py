from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import manifest
from nrdp.config import BufferConfig
from nrdp.errors import InvalidArgument
from nrdp.scheduler.buffer import TrackBuffer, TrackKind
from nrdp.scheduler.planner import SegmentIndex, TrackCursor, plan

V, A, T = TrackKind.VIDEO, TrackKind.AUDIO, TrackKind.TEXT


@dataclass(frozen=True)
class Ref:
    number: int
    start: float
    duration: float


class ListIndex:
    """A segment index over explicit durations, numbered from ``first``."""

    def __init__(self, durations: list[float], first: int = 1) -> None:
        self.refs: list[Ref] = []
        t = 0.0
        for i, d in enumerate(durations):
            self.refs.append(Ref(first + i, t, d))
            t += d
        self.first = first
        self.end = t
        self._starts = [r.start for r in self.refs]

    def at_time(self, time: float) -> Ref:
        if time < 0 or time >= self.end:
            raise LookupError(time)
        return self.refs[bisect.bisect_right(self._starts, time) - 1]

    def by_number(self, number: int) -> Ref:
        if not 0 <= number - self.first < len(self.refs):
            raise IndexError(number)
        return self.refs[number - self.first]


def uniform(n: int, d: float = 4.0) -> ListIndex:
    return ListIndex([d] * n)


CFG = BufferConfig(start=2.0, rebuffer=4.0, target=12.0, max_ahead=16.0)


def test_the_list_index_is_a_segment_index() -> None:
    index: SegmentIndex = uniform(3)
    assert index.at_time(5.0) == Ref(2, 4.0, 4.0)


def test_start_fetches_the_segment_at_the_playhead_lowest_buffer_first() -> None:
    video, audio = TrackBuffer(V), TrackBuffer(A)
    audio.append(0.0, 4.0)
    tracks = [TrackCursor(V, uniform(10), video), TrackCursor(A, uniform(10), audio, 2)]
    p = plan(tracks, position=0.0, config=CFG, paused=False, now=100.0, max_requests=1)
    assert [(r.kind, r.number) for r in p.requests] == [(V, 1)]
    assert p.requests[0].deadline == 100.0
    both = plan(tracks, position=0.0, config=CFG, paused=False, now=100.0, max_requests=3)
    # audio is a whole segment ahead of video: lock-step holds it until video catches up
    assert [(r.kind, r.number) for r in both.requests] == [(V, 1)]
    assert both.waiting == (A,)
    video.append(0.0, 2.0)  # video is no longer a whole segment behind
    both = plan(tracks, position=0.0, config=CFG, paused=False, now=100.0, max_requests=3)
    assert [(r.kind, r.number) for r in both.requests] == [(V, 1), (A, 2)]
    assert both.requests[1].deadline == 104.0
    assert both.requests[1].buffered_ahead == 4.0


def test_lock_step_never_holds_a_lone_track_or_text() -> None:
    audio, text = TrackBuffer(A), TrackBuffer(T)
    audio.append(0.0, 8.0)
    text.append(0.0, 8.0)
    lone = plan(
        [TrackCursor(A, uniform(10), audio, 3)], position=0.0, config=CFG, paused=False, now=0.0
    )
    assert [(r.kind, r.number) for r in lone.requests] == [(A, 3)] and lone.waiting == ()
    video = TrackBuffer(V)
    video.mark_end_of_stream()  # a finished track is no laggard
    tracks = [TrackCursor(V, uniform(10), video), TrackCursor(A, uniform(10), audio, 3)]
    tracks.append(TrackCursor(T, uniform(10), text, 3))
    p = plan(tracks, position=0.0, config=CFG, paused=False, now=0.0, max_requests=3)
    assert {r.kind for r in p.requests} == {A, T} and p.waiting == ()


def test_ties_prefer_video_then_audio_then_text() -> None:
    tracks = [TrackCursor(k, uniform(5), TrackBuffer(k)) for k in (T, A, V)]
    p = plan(tracks, position=0.0, config=CFG, paused=False, now=0.0, max_requests=3)
    assert [r.kind for r in p.requests] == [V, A, T]


def test_stops_at_the_target_and_respects_in_flight() -> None:
    buf = TrackBuffer(V)
    for i in range(3):
        buf.append(i * 4.0, 4.0)
    full = plan(
        [TrackCursor(V, uniform(10), buf, 4)], position=0.0, config=CFG, paused=False, now=0.0
    )
    assert full.idle and full.full == (V,)
    later = plan(
        [TrackCursor(V, uniform(10), buf, 4)], position=1.0, config=CFG, paused=False, now=0.0
    )
    assert [r.number for r in later.requests] == [4]
    busy = plan(
        [TrackCursor(V, uniform(10), buf, 4, in_flight=True)],
        position=1.0,
        config=CFG,
        paused=False,
        now=0.0,
    )
    assert busy.idle and busy.full == ()


def test_paused_prefetches_up_to_the_paused_target_without_deadline() -> None:
    cfg = BufferConfig(start=2.0, rebuffer=4.0, target=8.0, paused_target=12.0, max_ahead=16.0)
    buf = TrackBuffer(V)
    buf.append(0.0, 8.0)
    cursor = TrackCursor(V, uniform(10), buf, 3)
    assert plan([cursor], position=0.0, config=cfg, paused=False, now=0.0).idle
    paused = plan([cursor], position=0.0, config=cfg, paused=True, now=0.0)
    assert [r.number for r in paused.requests] == [3]
    assert paused.requests[0].deadline is None


def test_end_of_stream_is_reported_never_requested_past() -> None:
    buf = TrackBuffer(V)
    buf.append(0.0, 8.0)
    p = plan([TrackCursor(V, uniform(2), buf, 3)], position=5.0, config=CFG, paused=False, now=0.0)
    assert p.idle and p.ended == (V,)
    buf.mark_end_of_stream()
    p = plan([TrackCursor(V, uniform(2), buf, 3)], position=5.0, config=CFG, paused=False, now=0.0)
    assert p.idle and p.ended == ()
    past = plan(
        [TrackCursor(A, uniform(2), TrackBuffer(A))],
        position=9.0,
        config=CFG,
        paused=False,
        now=0.0,
    )
    assert past.ended == (A,)


def test_a_next_number_behind_the_playhead_jumps_to_the_playhead() -> None:
    p = plan(
        [TrackCursor(V, uniform(10), TrackBuffer(V), 2)],
        position=21.0,
        config=CFG,
        paused=False,
        now=0.0,
    )
    assert [r.number for r in p.requests] == [6]


def test_a_segment_longer_than_max_ahead_is_still_fetched_at_the_playhead() -> None:
    p = plan(
        [TrackCursor(V, ListIndex([30.0, 30.0]), TrackBuffer(V))],
        position=0.0,
        config=CFG,
        paused=False,
        now=0.0,
    )
    assert [r.number for r in p.requests] == [1]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        plan([], position=0.0, config=CFG, paused=False, now=0.0, max_requests=0)
    with pytest.raises(InvalidArgument):
        plan([], position=-1.0, config=CFG, paused=False, now=0.0)


@settings(max_examples=200, deadline=None)
@given(
    durations=st.lists(st.floats(0.5, 10.0), min_size=1, max_size=40),
    position_frac=st.floats(0, 1.2),
    target=st.floats(1.0, 30.0),
    extra=st.floats(0.0, 20.0),
    paused=st.booleans(),
    max_requests=st.integers(1, 3),
    steps=st.integers(1, 60),
)
def test_simulated_filling_never_exceeds_the_cap_nor_the_end(
    durations: list[float],
    position_frac: float,
    target: float,
    extra: float,
    paused: bool,
    max_requests: int,
    steps: int,
) -> None:
    """Download what the planner asks, repeatedly, and check its promises hold."""
    cfg = BufferConfig(
        start=min(1.0, target), rebuffer=min(1.0, target), target=target, max_ahead=target + extra
    )
    indexes = {V: ListIndex(durations), A: ListIndex([2.0] * int(sum(durations) / 2.0 + 1))}
    buffers = {k: TrackBuffer(k) for k in indexes}
    nexts: dict[TrackKind, int | None] = {V: None, A: None}
    position = position_frac * indexes[V].end
    for _ in range(steps):
        cursors = [TrackCursor(k, indexes[k], buffers[k], nexts[k]) for k in (V, A)]
        p = plan(
            cursors,
            position=position,
            config=cfg,
            paused=paused,
            now=0.0,
            max_requests=max_requests,
        )
        assert len(p.requests) <= max_requests
        for kind in p.ended:
            buffers[kind].mark_end_of_stream()
        if p.idle:
            break
        aheads = [r.buffered_ahead for r in p.requests]
        assert aheads == sorted(aheads)  # lowest buffer first
        for r in p.requests:
            index = indexes[r.kind]
            assert index.refs[0].number <= r.number <= index.refs[-1].number
            assert r.start < index.end
            assert r.buffered_ahead < cfg.goal(paused=paused)  # stop at the goal
            reach = r.start + r.duration - position
            assert reach <= cfg.max_ahead + 1e-9 or r.start <= position + 0.05
            buffers[r.kind].append(r.start, r.duration)
            nexts[r.kind] = r.number + 1
    for kind, buf in buffers.items():
        ahead = buf.ahead(position)
        longest = max(ref.duration for ref in indexes[kind].refs)
        # A segment that holds the playhead (within the buffer's gap tolerance) is always
        # fetched, so it may reach up to its own length plus that tolerance.
        assert ahead <= max(cfg.max_ahead, longest + buf.gap_tolerance) + 1e-6


def test_a_real_manifest_representation_index_plugs_in(corpus_dir: Path) -> None:
    mpd = corpus_dir / "mpd" / "androidx__sample_mpd_segment_template.mpd"
    doc = manifest.parse_mpd(mpd.read_bytes(), "http://127.0.0.1/title/manifest.mpd")
    rep = doc.periods[0].adaptation_sets[0].representations[0]
    index = rep.index()
    first, last = index[0], index[len(index) - 1]
    buf = TrackBuffer(A)
    number: int | None = None
    fetched = []
    for _ in range(len(index) + 2):
        p = plan(
            [TrackCursor(A, index, buf, number)],
            position=first.start,
            config=BufferConfig(target=30.0, max_ahead=40.0),
            paused=False,
            now=0.0,
        )
        if p.ended:
            buf.mark_end_of_stream()
        if p.idle:
            break
        r = p.requests[0]
        fetched.append(r.number)
        buf.append(r.start, r.duration)
        number = r.number + 1
    assert fetched == [ref.number for ref in index]
    assert fetched[-1] == last.number
    assert buf.end_of_stream
    assert buf.ahead(first.start) == pytest.approx(last.start + last.duration - first.start)
