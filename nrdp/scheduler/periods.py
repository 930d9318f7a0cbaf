"""Periods back to back: the engine's moves from one Period to the next.

:class:`PeriodSequencer` completes a Period before it plays (SegmentBase ``sidx``), stages
the next one while the current one plays (its indexes, then its tracks' inits and first
segments, so the boundary waits for nothing), swaps the tracks at the boundary (holding
the presentation clock in real time until the new media is in) and takes a live MPD
update's Periods without losing the tracks' places. Which Period holds a position and
which comes next are pure (:mod:`nrdp.timeline`); the state stays on the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import TYPE_CHECKING

from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.scheduler.buffer import TrackBuffer
from nrdp.scheduler.runtime import TrackRuntime
from nrdp.state import PlayerState
from nrdp.timeline import PeriodPlan, next_period

if TYPE_CHECKING:
    from nrdp.scheduler.fetcher import Fetcher
    from nrdp.scheduler.live import LivePlayback
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["PeriodSequencer", "runtimes_for"]


def runtimes_for(period: PeriodPlan) -> list[TrackRuntime]:
    """Fresh per-track state for ``period``'s tracks."""
    return [TrackRuntime(c, TrackBuffer(c.kind)) for c in period.tracks]


class PeriodSequencer:
    """Moves one engine's playback from Period to Period."""

    def __init__(self, engine: PlaybackEngine) -> None:
        self.engine = engine

    async def prepare_current(self) -> None:
        engine = self.engine
        assert engine.prepare is not None
        prepared = await engine.prepare(engine.period)
        if prepared is not engine.period:
            self._replace(engine.period_index, prepared)
            for t, choice in zip(engine.tracks, prepared.tracks, strict=False):
                t.choice = choice

    async def prepare_ahead(self, fetcher: Fetcher) -> None:
        """The next Period while this one plays: its SegmentBase indexes, then (on demand)
        its tracks with their inits and first segments, so the boundary waits for nothing."""
        engine = self.engine
        engine.staged = None
        following = next_period(engine.periods, engine.period_index)
        if following is None:
            return
        with contextlib.suppress(SdkError):  # tried again, and raised, when that Period starts
            if engine.prepare is not None:
                self._replace(following, await engine.prepare(engine.periods[following]))
            if engine.live is not None:
                return  # a live Period's first segment is not available before its start
            plan = engine.periods[following]
            tracks = runtimes_for(plan)
            engine.staged = (following, tracks)
            await asyncio.gather(*(fetcher.prefetch(t, plan.start, plan.key) for t in tracks))

    def update(self, periods: tuple[PeriodPlan, ...]) -> None:
        """A live MPD update: the Periods as they are now (segments appended, a Period end
        now known, new Periods after the current one). The tracks playing keep their state
        and get the updated representations (matched by id)."""
        engine = self.engine
        current = engine.period
        index = next(
            (i for i, p in enumerate(periods) if p.id == current.id and p.start == current.start),
            None,
        )
        if index is None:  # the current Period left the MPD (out of the window): keep it
            return
        engine.periods, engine.period_index = periods, index
        reps = {r.id: r for c in periods[index].tracks for r in c.representations}
        for o in periods[index].catalog.audio:
            reps.update({r.id: r for r in o.choice.representations})
        for t in engine.tracks:
            fresh = tuple(reps.get(r.id, r) for r in t.choice.representations)
            t.next_number = _renumbered(t, fresh, engine.live)
            t.choice = dataclasses.replace(t.choice, representations=fresh)
        engine.wake.set()

    def enter(self, index: int) -> None:
        """Leave the finished Period for ``index``: new tracks (the ladder may change),
        the presentation clock held in real time until the new media is in."""
        engine = self.engine
        self.leave(index, staged=True)
        engine.abr.reset()  # a new ladder: the last decision's rung means nothing in it
        engine.last_decision = None
        engine.floor = max(engine.floor, engine.period.start)
        if engine.config.realtime and engine.state.state is PlayerState.PLAYING:
            engine.holding = True
            for t in engine.tracks:
                t.switching = not t.queue  # a track fetched ahead has its media in
            engine.sync_clock()

    def leave(self, index: int, *, staged: bool = False) -> None:
        """Make ``index`` the current Period: its staged tracks when they are complete,
        else fresh ones (a seek, or a boundary reached before the staging finished)."""
        engine = self.engine
        engine.frames.retire(engine.tracks)
        engine.period_index = index
        ahead, engine.staged = engine.staged, None
        if staged and ahead is not None and ahead[0] == index and not _in_flight(ahead[1]):
            engine.tracks = ahead[1]  # their first segments are in already
        else:
            engine.tracks = runtimes_for(engine.period)

    def _replace(self, index: int, prepared: PeriodPlan) -> None:
        periods = list(self.engine.periods)
        periods[index] = prepared
        self.engine.periods = tuple(periods)


def _in_flight(tracks: list[TrackRuntime]) -> bool:
    return any(t.in_flight for t in tracks)


def _renumbered(
    track: TrackRuntime, fresh: tuple[Representation, ...], live: LivePlayback | None
) -> int | None:
    """``track.next_number`` in ``fresh``'s numbering: an MPD update may renumber the
    segments (``$Time$`` addressing, a moved @startNumber); the segment's start does not
    move, so the next one is found by the start of the last one fetched."""
    if track.next_number is None or live is None:
        return track.next_number
    horizon = live.horizon()
    rung = track.rung or 0
    try:
        last = track.rep(rung).index(horizon).by_number(track.next_number - 1)
        same = fresh[rung].index(horizon).at_time(last.start + last.duration / 2)
    except (LookupError, SdkError):
        return track.next_number
    return same.number + 1
