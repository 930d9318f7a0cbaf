from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.errors import InvalidState
from nrdp.state import RESUME, TRANSITIONS, PlayerEvent, PlayerState, PlayerStateMachine

E, S = PlayerEvent, PlayerState


def drive(machine: PlayerStateMachine, *events: PlayerEvent) -> PlayerState:
    for i, ev in enumerate(events):
        machine.process(ev, float(i))
    return machine.state


def test_happy_path_load_buffer_play_pause_seek_end() -> None:
    m = PlayerStateMachine()
    assert drive(m, E.LOAD, E.PLAY, E.LOADED) is S.BUFFERING
    assert drive(m, E.BUFFER_READY) is S.PLAYING
    assert drive(m, E.BUFFER_EMPTY) is S.BUFFERING  # a stall
    assert drive(m, E.BUFFER_READY, E.PAUSE) is S.PAUSED
    assert drive(m, E.SEEK, E.SEEK_DONE, E.BUFFER_READY) is S.PAUSED  # intent kept
    assert drive(m, E.PLAY, E.END_OF_STREAM) is S.ENDED
    assert not m.active
    assert drive(m, E.SEEK, E.SEEK_DONE) is S.BUFFERING


def test_pause_while_loading_is_remembered() -> None:
    m = PlayerStateMachine(play_intent=True)
    drive(m, E.LOAD, E.PAUSE, E.LOADED, E.BUFFER_READY)
    assert m.state is S.PAUSED
    assert not m.play_intent


@pytest.mark.parametrize(
    ("prefix", "event"),
    [
        ((), E.PLAY),
        ((), E.SEEK),
        ((E.LOAD,), E.BUFFER_READY),
        ((E.LOAD,), E.LOAD),
        ((E.LOAD, E.LOADED, E.BUFFER_READY), E.LOAD),
        ((E.STOP,), E.PLAY),
        ((E.FAIL,), E.SEEK),
        ((E.LOAD, E.LOADED, E.SEEK), E.END_OF_STREAM),
    ],
)
def test_illegal_events_raise_invalid_state_and_change_nothing(
    prefix: tuple[PlayerEvent, ...], event: PlayerEvent
) -> None:
    m = PlayerStateMachine()
    drive(m, *prefix)
    before, intent = m.state, m.play_intent
    assert not m.can(event)
    with pytest.raises(InvalidState) as info:
        m.process(event, 99.0)
    assert info.value.state == before.value
    assert info.value.event == event.value
    assert (m.state, m.play_intent) == (before, intent)


def test_stop_and_fail_are_legal_everywhere_and_load_restarts_finished_sessions() -> None:
    for state in S:
        assert E.STOP in TRANSITIONS[state]
        assert E.FAIL in TRANSITIONS[state]
    for finished in (E.STOP, E.FAIL):
        m = PlayerStateMachine()
        drive(m, E.LOAD, finished)
        assert drive(m, E.LOAD) is S.LOADING


def test_transition_records_when_the_state_was_entered() -> None:
    m = PlayerStateMachine()
    t = m.process(E.LOAD, 5.0)
    assert (t.old, t.new, t.changed, t.at) == (S.IDLE, S.LOADING, True, 5.0)
    t = m.process(E.PLAY, 6.0)
    assert not t.changed
    assert m.entered_at == 5.0


def test_every_state_is_reachable_and_the_table_is_closed() -> None:
    targets = {t for row in TRANSITIONS.values() for t in row.values()}
    assert set(TRANSITIONS) == set(S)
    assert (targets - {RESUME}) | {S.IDLE, S.PLAYING, S.PAUSED} == set(S)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(E)), max_size=40))
def test_any_event_sequence_follows_the_table_or_raises(events: list[PlayerEvent]) -> None:
    m = PlayerStateMachine()
    for i, ev in enumerate(events):
        before = m.state
        row = TRANSITIONS[before]
        if ev not in row:
            with pytest.raises(InvalidState):
                m.process(ev, float(i))
            assert m.state is before
            continue
        t = m.process(ev, float(i))
        expected = row[ev]
        if expected is RESUME:
            expected = S.PLAYING if m.play_intent else S.PAUSED
        assert t.new is expected is m.state
        if ev is E.PLAY:
            assert m.play_intent
        if ev is E.PAUSE:
            assert not m.play_intent
        assert m.state is not S.PLAYING or m.play_intent
