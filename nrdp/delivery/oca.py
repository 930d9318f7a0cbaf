"""OCA selection: ranked candidates, health per OCA, exclusion with backoff, sticky choice.

Theory of operation. Candidates come ranked from the Play API (rank, weight) or from the
manifest's BaseURLs (DVB priority/weight, serviceLocation). Each OCA has a health state,
changed only along :data:`HEALTH_TRANSITIONS`:

- HEALTHY: usable. A *soft* failure (the policy retried on the same OCA) makes it SUSPECT;
  a *hard* failure (the policy fell back to another location) EXCLUDEs it.
- SUSPECT: still usable; a success makes it HEALTHY again, and
  ``suspect_failures_to_exclude`` soft failures in a row exclude it, unless it is the last
  usable OCA (the policy is retrying it with backoff; excluding it would only add a wait).
- EXCLUDED until a time: never selected. Its exclusion grows with each strike in a row,
  ``min(max_exclusion, base * exclusion_factor**(strikes-1))``.
- PROBING: the exclusion expired. The OCA may be tried again, but with one request at a
  time (half-open, like a circuit breaker); success makes it HEALTHY and clears the strikes,
  failure excludes it again for longer.

Selection is sticky: while the current OCA is HEALTHY or SUSPECT, :meth:`OcaSelector.select`
keeps returning it (connections stay warm and throughput samples stay comparable). Only when
it is excluded does the selector pick again: the best-ranked HEALTHY OCA, else the best
SUSPECT one, else a PROBING one with no probe in flight (weighted-random within the best
rank when an ``rng`` is given, otherwise by rank, then weight, then input order).

Content steering. :meth:`OcaSelector.reprioritize` takes a steering server's
PATHWAY-PRIORITY (pathway ids are OCA ids) and makes it the preference order, ahead of the
Play API's rank: the listed OCAs in the listed order, then the unlisted ones by rank (kept
as a last resort, so steering never takes a failover target away); ids the selector does
not know are ignored. Health is untouched: an excluded OCA stays excluded until its backoff
expires, however high steering ranks it. A sticky choice is given up only for a HEALTHY
OCA that steering ranks strictly higher, and only at the next :meth:`select` while the
current OCA is HEALTHY; a SUSPECT current OCA (a retry of a partly fetched object may be
on its way) is kept until it reports a success, so no object is moved mid-transfer by
steering. Requests already in flight are never touched.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from nrdp.config import OcaConfig
from nrdp.delivery.reasons import FailureReason
from nrdp.errors import InvalidArgument

__all__ = [
    "HEALTH_TRANSITIONS",
    "BaseUrlLike",
    "HealthEvent",
    "Oca",
    "OcaHealth",
    "OcaSelector",
    "OcaSource",
    "OcaState",
    "ocas_from_base_urls",
]


class OcaSource(enum.Enum):
    PLAY_API = "play-api"
    MANIFEST = "manifest"


@dataclass(frozen=True)
class Oca:
    """One location holding the content: an id and a base URL that segment paths join to."""

    id: str
    url: str
    rank: int = 0
    weight: int = 1
    service_location: str | None = None
    source: OcaSource = OcaSource.PLAY_API

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidArgument("must be a non-empty string", argument="oca.id")
        try:
            parts = urlsplit(self.url)
        except (ValueError, TypeError):
            raise InvalidArgument("is not a URL", argument="oca.url") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument("must be an absolute http(s) URL", argument="oca.url")
        if isinstance(self.rank, bool) or not isinstance(self.rank, int):
            raise InvalidArgument("must be an int", argument="oca.rank")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or self.weight < 0:
            raise InvalidArgument("must be an int >= 0", argument="oca.weight")

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this OCA.

        A manifest BaseURL resolves by RFC 3986 (as the DASH spec says); a Play API OCA URL
        is a directory, with or without its trailing slash.
        """
        if self.source is OcaSource.MANIFEST:
            return urljoin(self.url, path)
        base = self.url if self.url.endswith("/") else self.url + "/"
        return urljoin(base, path.lstrip("/"))


class BaseUrlLike(Protocol):
    """What :func:`ocas_from_base_urls` reads from a manifest BaseURL candidate."""

    @property
    def url(self) -> str: ...
    @property
    def service_location(self) -> str | None: ...
    @property
    def priority(self) -> int: ...
    @property
    def weight(self) -> int: ...


def ocas_from_base_urls(candidates: Iterable[BaseUrlLike]) -> list[Oca]:
    """Turn manifest BaseURL candidates into OCAs; the id is serviceLocation or the host."""
    out: list[Oca] = []
    seen: set[str] = set()
    for cand in candidates:
        ident = cand.service_location or urlsplit(cand.url).netloc or cand.url
        base, n = ident, 1
        while ident in seen:
            n += 1
            ident = f"{base}#{n}"
        seen.add(ident)
        out.append(
            Oca(
                id=ident,
                url=cand.url,
                rank=cand.priority,
                weight=cand.weight,
                service_location=cand.service_location,
                source=OcaSource.MANIFEST,
            )
        )
    return out


class OcaState(enum.Enum):
    HEALTHY = "healthy"
    SUSPECT = "suspect"
    EXCLUDED = "excluded"
    PROBING = "probing"


class HealthEvent(enum.Enum):
    SUCCESS = "success"
    SOFT_FAILURE = "soft-failure"
    HARD_FAILURE = "hard-failure"
    EXPIRED = "expired"


_H, _V = OcaState, HealthEvent
HEALTH_TRANSITIONS: Mapping[OcaState, Mapping[HealthEvent, OcaState]] = {
    _H.HEALTHY: {
        _V.SUCCESS: _H.HEALTHY,
        _V.SOFT_FAILURE: _H.SUSPECT,
        _V.HARD_FAILURE: _H.EXCLUDED,
    },
    _H.SUSPECT: {
        _V.SUCCESS: _H.HEALTHY,
        _V.SOFT_FAILURE: _H.SUSPECT,
        _V.HARD_FAILURE: _H.EXCLUDED,
    },
    # Late results of requests started before the exclusion change nothing.
    _H.EXCLUDED: {
        _V.EXPIRED: _H.PROBING,
        _V.SUCCESS: _H.EXCLUDED,
        _V.SOFT_FAILURE: _H.EXCLUDED,
        _V.HARD_FAILURE: _H.EXCLUDED,
    },
    _H.PROBING: {
        _V.SUCCESS: _H.HEALTHY,
        _V.SOFT_FAILURE: _H.EXCLUDED,
        _V.HARD_FAILURE: _H.EXCLUDED,
    },
}


@dataclass(frozen=True)
class OcaHealth:
    """A snapshot of one OCA's health, for stats and reports."""

    oca_id: str
    state: OcaState
    excluded_until: float | None
    strikes: int
    consecutive_failures: int
    successes: int
    failures: int
    throughput_bps: float | None
    last_reason: FailureReason | None


class _Entry:
    __slots__ = (
        "consecutive",
        "excluded_until",
        "failures",
        "last_reason",
        "oca",
        "order",
        "probe_in_flight",
        "state",
        "strikes",
        "successes",
        "throughput",
    )

    def __init__(self, oca: Oca, order: int) -> None:
        self.oca = oca
        self.order = order
        self.state = OcaState.HEALTHY
        self.excluded_until = 0.0
        self.strikes = 0
        self.consecutive = 0
        self.successes = 0
        self.failures = 0
        self.throughput: float | None = None
        self.last_reason: FailureReason | None = None
        self.probe_in_flight = False


class OcaSelector:
    """Chooses the OCA for each request and keeps every OCA's health (one per session)."""

    def __init__(
        self,
        candidates: Sequence[Oca],
        config: OcaConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config if config is not None else OcaConfig()
        self._rng = rng
        self._entries: dict[str, _Entry] = {}
        for i, oca in enumerate(candidates):
            if oca.id in self._entries:
                raise InvalidArgument(f"duplicate OCA id {oca.id!r}", argument="candidates")
            self._entries[oca.id] = _Entry(oca, i)
        self._current: _Entry | None = None
        self._steering: dict[str, int] = {}
        self._switch_pending = False

    # ------------------------------------------------------------------ queries

    @property
    def candidates(self) -> tuple[Oca, ...]:
        return tuple(e.oca for e in self._entries.values())

    @property
    def current(self) -> Oca | None:
        return self._current.oca if self._current is not None else None

    @property
    def priority(self) -> tuple[str, ...]:
        """Every candidate's id in preference order (steering order first, then rank)."""
        entries = sorted(self._entries.values(), key=self._order_key)
        return tuple(e.oca.id for e in entries)

    @property
    def steering_order(self) -> tuple[str, ...]:
        """The pathways the last :meth:`reprioritize` applied (empty before any)."""
        return tuple(sorted(self._steering, key=self._steering.__getitem__))

    def health(self, oca_id: str) -> OcaHealth:
        e = self._entry(oca_id)
        return OcaHealth(
            oca_id=oca_id,
            state=e.state,
            excluded_until=e.excluded_until if e.state is OcaState.EXCLUDED else None,
            strikes=e.strikes,
            consecutive_failures=e.consecutive,
            successes=e.successes,
            failures=e.failures,
            throughput_bps=e.throughput,
            last_reason=e.last_reason,
        )

    def is_excluded(self, oca_id: str, now: float) -> bool:
        self._expire(now)
        return self._entry(oca_id).state is OcaState.EXCLUDED

    def excluded_count(self, now: float) -> int:
        self._expire(now)
        return sum(e.state is OcaState.EXCLUDED for e in self._entries.values())

    def all_excluded(self, now: float) -> bool:
        """Whether every candidate is excluded right now (also true with no candidates)."""
        return self.excluded_count(now) == len(self._entries)

    def next_available_at(self, now: float) -> float | None:
        """When the earliest excluded OCA may be probed (``now`` if one is usable already)."""
        self._expire(now)
        if any(e.state is not OcaState.EXCLUDED for e in self._entries.values()):
            return now
        return min((e.excluded_until for e in self._entries.values()), default=None)

    # ------------------------------------------------------------------ selection

    def select(self, now: float) -> Oca | None:
        """The OCA for the next request, or ``None`` when none may be used right now."""
        self._expire(now)
        cur = self._current
        # sticky while usable, unless steering ranks a healthy OCA higher (HEALTHY only:
        # a SUSPECT current OCA may owe a retry of a partly fetched object)
        pending = self._switch_pending and cur is not None and cur.state is OcaState.HEALTHY
        if cur is not None and cur.state in (OcaState.HEALTHY, OcaState.SUSPECT) and not pending:
            return cur.oca
        self._switch_pending = False
        for state in (OcaState.HEALTHY, OcaState.SUSPECT, OcaState.PROBING):
            pool = [
                e
                for e in self._entries.values()
                if e.state is state and not (state is OcaState.PROBING and e.probe_in_flight)
            ]
            if pool:
                chosen = self._pick(pool)
                if chosen.state is OcaState.PROBING:
                    chosen.probe_in_flight = True
                self._current = chosen
                return chosen.oca
        return None

    def _rank_key(self, e: _Entry) -> tuple[int, int]:
        """Steering position for listed OCAs, then the Play API / manifest rank."""
        if not self._steering:
            return (0, e.oca.rank)
        pos = self._steering.get(e.oca.id)
        return (0, pos) if pos is not None else (1, e.oca.rank)

    def _order_key(self, e: _Entry) -> tuple[tuple[int, int], int, int]:
        return (self._rank_key(e), -e.oca.weight, e.order)

    def _pick(self, pool: list[_Entry]) -> _Entry:
        best = min(self._rank_key(e) for e in pool)
        top = sorted((e for e in pool if self._rank_key(e) == best), key=self._order_key)
        if self._rng is None or len(top) == 1:
            return top[0]
        total = sum(e.oca.weight for e in top)
        if total <= 0:
            return top[0]
        x = self._rng.uniform(0, total)
        for e in top:
            x -= e.oca.weight
            if x <= 0:
                return e
        return top[-1]

    # ------------------------------------------------------------------ steering

    def reprioritize(self, pathway_ids: Iterable[str], now: float) -> tuple[str, ...]:
        """Make a content steering PATHWAY-PRIORITY the preference order; returns the ids
        applied (known ones, first occurrence, in order).

        Unknown ids are ignored; a list with no known id changes nothing. Exclusions,
        strikes and probes are kept. If a HEALTHY OCA now ranks strictly above the current
        one, the selector moves to it at the next :meth:`select` made while the current OCA
        is HEALTHY (see the module docstring); otherwise the sticky choice stays.
        """
        applied = tuple(
            dict.fromkeys(p for p in pathway_ids if isinstance(p, str) and p in self._entries)
        )
        if not applied:
            return self.steering_order
        self._steering = {oca_id: i for i, oca_id in enumerate(applied)}
        self._expire(now)
        cur = self._current
        self._switch_pending = False
        if cur is not None and cur.state in (OcaState.HEALTHY, OcaState.SUSPECT):
            healthy = [e for e in self._entries.values() if e.state is OcaState.HEALTHY]
            if healthy:
                top = min(healthy, key=self._order_key)
                self._switch_pending = self._rank_key(top) < self._rank_key(cur)
        return applied

    # ------------------------------------------------------------------ reports

    def report_success(self, oca_id: str, nbytes: int, seconds: float, now: float) -> OcaState:
        """A request on ``oca_id`` finished well: ``nbytes`` in ``seconds``."""
        if nbytes < 0 or not math.isfinite(seconds) or seconds < 0:
            raise InvalidArgument("bytes and seconds must be >= 0", argument="sample")
        e = self._entry(oca_id)
        self._expire(now)
        e.probe_in_flight = False
        if e.state is OcaState.EXCLUDED:
            return e.state
        e.successes += 1
        e.consecutive = 0
        if seconds > 0 and nbytes > 0:
            sample = nbytes * 8 / seconds
            alpha = 1.0 - 0.5 ** (seconds / self.config.throughput_half_life)
            e.throughput = (
                sample if e.throughput is None else (alpha * sample + (1 - alpha) * e.throughput)
            )
        if e.state is OcaState.PROBING:
            e.strikes = 0
        self._apply(e, HealthEvent.SUCCESS)
        return e.state

    def report_failure(
        self,
        oca_id: str,
        reason: FailureReason,
        now: float,
        *,
        exclude: bool = True,
        exclusion_s: float | None = None,
    ) -> OcaState:
        """A request on ``oca_id`` failed.

        ``exclude`` is the policy's verdict (a location fallback excludes; a retry on the
        same OCA does not); ``exclusion_s`` is the base exclusion it suggests (default
        ``config.base_exclusion``), grown per strike and capped by ``config.max_exclusion``.
        """
        if exclusion_s is not None and (not math.isfinite(exclusion_s) or exclusion_s <= 0):
            raise InvalidArgument("must be > 0", argument="exclusion_s")
        e = self._entry(oca_id)
        self._expire(now)
        e.probe_in_flight = False
        if e.state is OcaState.EXCLUDED:
            return e.state
        e.failures += 1
        e.consecutive += 1
        e.last_reason = reason
        struck_out = e.consecutive >= self.config.suspect_failures_to_exclude
        hard = exclude or (struck_out and self._has_alternative(e))
        event = HealthEvent.HARD_FAILURE if hard else HealthEvent.SOFT_FAILURE
        self._apply(e, event)
        if e.state is OcaState.EXCLUDED:
            e.strikes += 1
            base = exclusion_s if exclusion_s is not None else self.config.base_exclusion
            growth = self.config.exclusion_factor ** min(e.strikes - 1, 64)
            e.excluded_until = now + min(self.config.max_exclusion, base * growth)
            if self._current is e:
                self._current = None
        return e.state

    def report_cancelled(self, oca_id: str) -> None:
        """A request ended without a verdict (e.g. a seek cancelled it): free a probe slot."""
        self._entry(oca_id).probe_in_flight = False

    # ------------------------------------------------------------------ internals

    def _entry(self, oca_id: str) -> _Entry:
        try:
            return self._entries[oca_id]
        except KeyError:
            raise InvalidArgument(f"unknown OCA {oca_id!r}", argument="oca_id") from None

    def _has_alternative(self, e: _Entry) -> bool:
        return any(o is not e and o.state is not OcaState.EXCLUDED for o in self._entries.values())

    def _expire(self, now: float) -> None:
        for e in self._entries.values():
            if e.state is OcaState.EXCLUDED and now >= e.excluded_until:
                self._apply(e, HealthEvent.EXPIRED)

    @staticmethod
    def _apply(e: _Entry, event: HealthEvent) -> None:
        e.state = HEALTH_TRANSITIONS[e.state][event]
        if e.state is OcaState.HEALTHY:
            e.consecutive = 0

    def __repr__(self) -> str:
        cur = self._current.oca.id if self._current else None
        return f"OcaSelector({len(self._entries)} OCAs, current={cur!r})"
