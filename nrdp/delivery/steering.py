"""DASH-IF content steering, sans-I/O: the steering manifest and when and where to ask again.

The Play API names a steering server (``steering.server_url``, ``steering.ttl_s``). The
server answers a DASH-IF Content Steering v1 manifest (JSON)::

    {"VERSION": 1, "TTL": 10, "RELOAD-URI": "https://steer/...",
     "PATHWAY-PRIORITY": ["oca-2", "oca-1", "oca-3"]}

Pathway ids are OCA ids; :meth:`nrdp.delivery.oca.OcaSelector.reprioritize` applies the
priority. This module only decides (time comes in as an argument):

- :func:`parse_steering_manifest`: bytes -> frozen :class:`SteeringManifest`, anything else
  is a typed :class:`~nrdp.errors.MalformedSteeringManifest` (recoverable).
- :class:`SteeringSchedule`: which URL to ask next (the last RELOAD-URI, resolved against
  the URL it came from, else the server URL) with the ``_DASH_pathway`` and
  ``_DASH_throughput`` query parameters (as dash.js sends them: the pathways used since the
  previous request, best throughput first, quoted and comma-separated, and their throughputs
  in bit/s), and when (TTL clamped to ``[min_ttl, max_ttl]``; a missing TTL is 300 s). After
  a failure the last good manifest stays in force and the request is repeated after the
  last TTL, doubled per failure in a row up to 8x (and clamped); a 429 waits its
  ``Retry-After`` instead; 410 Gone ends steering for the session (as dash.js and the HLS
  steering rules do).

The I/O shell is :class:`nrdp.delivery.steering_client.SteeringClient`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from nrdp.errors import InvalidArgument, MalformedSteeringManifest

__all__ = [
    "DEFAULT_TTL",
    "PATHWAY_PARAM",
    "THROUGHPUT_PARAM",
    "SteeringManifest",
    "SteeringSchedule",
    "parse_steering_manifest",
    "steering_request_url",
]

DEFAULT_TTL = 300.0
"""Seconds until the next reload when a manifest has no TTL (the HLS/DASH-IF default)."""
PATHWAY_PARAM = "_DASH_pathway"
THROUGHPUT_PARAM = "_DASH_throughput"
MAX_PATHWAYS = 256
MAX_ID_LENGTH = 256
MAX_FAILURE_FACTOR = 8.0


@dataclass(frozen=True)
class SteeringManifest:
    """One DASH-IF content steering v1 answer (PATHWAY-CLONES are not supported)."""

    version: int
    ttl: float | None
    """Seconds until the next reload, as sent (None when the manifest has none)."""
    reload_uri: str | None
    """Absolute: a relative RELOAD-URI is resolved against the URL the manifest came from."""
    pathway_priority: tuple[str, ...]


def _bad(url: str, reason: str) -> MalformedSteeringManifest:
    return MalformedSteeringManifest(url=url, reason=reason)


_FLOAT_MAX = sys.float_info.max


def parse_steering_manifest(data: bytes | str, *, url: str) -> SteeringManifest:
    """The typed manifest from a steering server's body fetched from ``url``."""
    try:
        doc: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad(url, "body is not JSON") from None
    if not isinstance(doc, dict):
        raise _bad(url, "not a JSON object")
    version = doc.get("VERSION")
    if isinstance(version, bool) or not isinstance(version, int | float) or version != 1:
        raise _bad(url, "VERSION must be 1")
    ttl = doc.get("TTL")
    if ttl is not None and (
        isinstance(ttl, bool)
        or not isinstance(ttl, int | float)
        or not 0 < ttl < _FLOAT_MAX  # a bigger int would overflow float()
    ):
        raise _bad(url, "TTL must be a number > 0")
    reload_uri = doc.get("RELOAD-URI")
    if reload_uri is not None:
        if not isinstance(reload_uri, str) or not reload_uri:
            raise _bad(url, "RELOAD-URI must be a non-empty string")
        try:
            reload_uri = urljoin(url, reload_uri)
            parts = urlsplit(reload_uri)
        except ValueError:
            raise _bad(url, "RELOAD-URI is not a URL") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad(url, "RELOAD-URI must be an http(s) URL")
    priority = doc.get("PATHWAY-PRIORITY")
    if not isinstance(priority, list) or not priority:
        raise _bad(url, "PATHWAY-PRIORITY must be a non-empty array")
    if len(priority) > MAX_PATHWAYS:
        raise _bad(url, f"more than {MAX_PATHWAYS} pathways")
    if not all(isinstance(p, str) and 0 < len(p) <= MAX_ID_LENGTH for p in priority):
        raise _bad(url, "pathway ids must be non-empty strings")
    return SteeringManifest(
        version=1,
        ttl=float(ttl) if ttl is not None else None,
        reload_uri=reload_uri,
        pathway_priority=tuple(dict.fromkeys(priority)),  # unique, first occurrence wins
    )


def steering_request_url(url: str, pathways: Sequence[tuple[str, float | None]]) -> str:
    """``url`` with ``_DASH_pathway``/``_DASH_throughput`` for ``(pathway, bps)`` pairs.

    Pathways are sorted by throughput, best first (unknown last, order kept); the pathway
    list is quoted and comma-separated, the throughputs (bit/s, integers) are those of the
    pathways that have one. Earlier values of both parameters (a RELOAD-URI echoes the
    request it answered) are replaced; every other query parameter is kept.
    """
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in (PATHWAY_PARAM, THROUGHPUT_PARAM)
    ]
    if pathways:
        ranked = sorted(pathways, key=lambda p: -p[1] if p[1] is not None else math.inf)
        query.append((PATHWAY_PARAM, '"' + ",".join(p for p, _ in ranked) + '"'))
        rates = [str(int(bps)) for _, bps in ranked if bps is not None and math.isfinite(bps)]
        if rates:
            query.append((THROUGHPUT_PARAM, ",".join(rates)))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


class SteeringSchedule:
    """Where and when to fetch the next steering manifest (one per playback session)."""

    def __init__(
        self,
        server_url: str,
        *,
        initial_ttl: float | None = None,
        min_ttl: float = 1.0,
        max_ttl: float = DEFAULT_TTL,
    ) -> None:
        parts = urlsplit(server_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument("must be an absolute http(s) URL", argument="server_url")
        if not (math.isfinite(min_ttl) and math.isfinite(max_ttl) and 0 < min_ttl <= max_ttl):
            raise InvalidArgument("need 0 < min_ttl <= max_ttl", argument="ttl")
        self.server_url = server_url
        self.min_ttl = min_ttl
        self.max_ttl = max_ttl
        self.manifest: SteeringManifest | None = None
        self.ttl = initial_ttl if initial_ttl is not None and initial_ttl > 0 else DEFAULT_TTL
        self.failures = 0
        self.stopped = False
        self.next_at: float | None = None

    def clamp(self, seconds: float) -> float:
        return min(self.max_ttl, max(self.min_ttl, seconds))

    @property
    def reload_url(self) -> str:
        """The URL of the next request, before its query parameters."""
        if self.manifest is not None and self.manifest.reload_uri is not None:
            return self.manifest.reload_uri
        return self.server_url

    def start(self, now: float) -> float:
        """Schedule the first request (the Play API's ranking is fresh: wait one TTL)."""
        self.next_at = now + self.clamp(self.ttl)
        return self.next_at

    def delay(self, now: float) -> float | None:
        """Seconds until the next request is due (None once steering has stopped)."""
        if self.stopped:
            return None
        if self.next_at is None:
            self.start(now)
        assert self.next_at is not None
        return max(0.0, self.next_at - now)

    def request_url(self, pathways: Sequence[tuple[str, float | None]] = ()) -> str:
        return steering_request_url(self.reload_url, pathways)

    def on_manifest(self, manifest: SteeringManifest, now: float) -> float:
        """A good manifest arrived: remember it; returns the seconds until the next one."""
        self.manifest = manifest
        self.failures = 0
        if manifest.ttl is not None:
            self.ttl = manifest.ttl
        wait = self.clamp(self.ttl if manifest.ttl is not None else DEFAULT_TTL)
        self.next_at = now + wait
        return wait

    def on_failure(
        self, now: float, *, status: int | None = None, retry_after: float | None = None
    ) -> float | None:
        """A request failed (network error, HTTP ``status``, or a malformed body); returns the
        seconds until the retry, or None when steering is over (410 Gone)."""
        if status == 410:
            self.stopped = True
            self.next_at = None
            return None
        self.failures += 1
        if status == 429 and retry_after is not None and retry_after >= 0:
            wait = self.clamp(retry_after)
        else:
            factor = min(MAX_FAILURE_FACTOR, 2.0 ** min(self.failures - 1, 16))
            wait = self.clamp(self.ttl * factor)
        self.next_at = now + wait
        return wait

    def stop(self) -> None:
        self.stopped = True
        self.next_at = None
