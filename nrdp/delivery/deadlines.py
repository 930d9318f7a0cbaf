"""How long one response may take (the deadline half of the progress rule, issue 17 #2).

Two kinds of request have a deadline, both handed to ``Downloader.fetch(deadline_s=...)``
and enforced per response by :class:`~nrdp.delivery.progress.ProgressMeter`:

- what is fetched before any media is buffered (the MPD, SegmentBase indexes) gets a
  fixed budget: :data:`STARTUP_BUDGETS`, the one place these numbers live;
- media (segments and their inits) gets what the buffer can afford:
  :func:`media_deadline`, from the seconds the track holds ahead of the playhead.

A response that misses its deadline is a location fault (fail over, resume by Range).
With no other location and no lower rung, the downloader keeps reading from the same OCA
without the deadline: a stall beats giving up. Pure: values in, values out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from nrdp.errors import InvalidArgument

__all__ = [
    "DEFAULT_DEADLINE_RULE",
    "STARTUP_BUDGETS",
    "BufferDeadlineRule",
    "Drain",
    "StartupBudgets",
    "media_deadline",
]


def _positive(name: str, *values: float) -> None:
    if not all(v > 0 for v in values):
        raise InvalidArgument("must be > 0", argument=name)


@dataclass(frozen=True)
class StartupBudgets:
    """Seconds one response may take before playback has any buffer to spend.

    Far longer than a healthy OCA needs (an MPD of a few hundred KB, an index of a few KB),
    far shorter than a trickle that stays just above the progress rule's byte rate.
    """

    mpd_s: float = 10.0
    """The MPD (Play API titles, open sources' first document, live MPD updates)."""
    index_s: float = 6.0
    """One SegmentBase ``sidx`` (``indexRange``) before its Period plays."""

    def __post_init__(self) -> None:
        _positive("startup_budgets", self.mpd_s, self.index_s)


STARTUP_BUDGETS = StartupBudgets()
"""The budgets the player uses (``routes``, ``opening``)."""


class Drain(enum.Enum):
    """How the track's buffer is being spent while a request is made."""

    PLAYING = "playing"
    """Playing in real time: the buffer runs dry in ``ahead`` seconds."""
    WAITING = "waiting"
    """Starting, rebuffering, seeking, held at a Period boundary: the viewer waits."""
    IDLE = "idle"
    """Paused, or playing as fast as possible: nothing runs dry."""


@dataclass(frozen=True)
class BufferDeadlineRule:
    """The numbers of :func:`media_deadline`."""

    margin_s: float = 0.5
    """Left in the buffer when the deadline trips: time to fail over and fetch elsewhere."""
    floor_s: float = 2.0
    """Never shorter: a tiny buffer (just started, just resumed) is not an instant trip."""
    waiting_s: float = 10.0
    """While the viewer waits there is no buffer to spend: a fixed budget instead."""

    def __post_init__(self) -> None:
        _positive("deadline_rule", self.floor_s, self.waiting_s)
        if self.margin_s < 0:
            raise InvalidArgument("must be >= 0", argument="margin_s")


DEFAULT_DEADLINE_RULE = BufferDeadlineRule()


def media_deadline(
    ahead_s: float, drain: Drain, rule: BufferDeadlineRule = DEFAULT_DEADLINE_RULE
) -> float | None:
    """Seconds a media response may take, ``None`` for no deadline.

    ``ahead_s``: what the track holds ahead of the playhead (its buffer runs dry then).
    """
    if drain is Drain.PLAYING:
        return max(rule.floor_s, ahead_s - rule.margin_s)
    if drain is Drain.WAITING:
        return rule.waiting_s
    return None
