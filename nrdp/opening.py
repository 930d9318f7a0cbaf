"""Opening a source over the playback channel: the MPD (typed errors for an unreachable URL
or a document that is not an MPD), its xlink Periods, its BaseURLs as failover locations,
ClearKey keys, and each Period's SegmentBase index before the Period plays.

Everything here runs before the first media segment is requested, so a bad source costs
no media traffic and fails with a typed error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping

from drm import KeyStore
from drm.clearkey import build_license_request, parse_license_response
from manifest import Manifest, SegmentBase, UnsupportedFeature, parse_mpd
from manifest.baseurl import candidates_for, join_url
from manifest.model import Representation
from manifest.xlink import resolve_xlink
from mediacore.errors import LicenseError, NetworkError, SdkError
from mediacore.secret import Secret
from nrdp.channels.http import Channel
from nrdp.clock import Clock, busy
from nrdp.delivery.deadlines import STARTUP_BUDGETS
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSource, ocas_from_base_urls
from nrdp.delivery.resume import ByteRange
from nrdp.errors import (
    HttpStatusError,
    KeysMissing,
    LicenseAcquisitionFailed,
    LicenseDenied,
    ServiceError,
    redact_url,
)
from nrdp.scheduler.tracks import TrackChoice
from nrdp.source import ClearKey
from nrdp.timeline import PeriodPlan, relative_path

__all__ = [
    "StaticHeaders",
    "clearkey_keys",
    "fetch_document",
    "locate_in",
    "locations_for",
    "open_manifest",
    "prepare_period",
]

MAX_XLINKS = 64


class StaticHeaders:
    """The :class:`~nrdp.delivery.downloader.SegmentAuth` of an open source: its fixed
    headers on every request, nothing to renew."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {k: Secret(v) for k, v in headers.items()}

    async def segment_headers(self) -> Mapping[str, Secret[str]]:
        return self._headers

    async def segment_refused(self, sent: Mapping[str, Secret[str]], code: int | None) -> bool:
        return False


async def fetch_document(channel: Channel, url: str, headers: Mapping[str, str]) -> bytes:
    """GET ``url`` over the playback channel; a non-2xx answer is a typed network error."""
    try:
        resp = await channel.request("GET", url, headers=dict(headers))
    except ServiceError as err:
        raise HttpStatusError(status=err.status, url=redact_url(url)) from err
    return resp.body


async def open_manifest(
    channel: Channel, url: str, headers: Mapping[str, str], *, data: bytes | None = None
) -> Manifest:
    """The MPD at ``url`` (``data`` if already fetched), xlinks resolved; a dynamic
    (live) MPD as it is now (the player's live task refreshes it)."""
    if data is None:
        data = await fetch_document(channel, url, headers)
    manifest = parse_mpd(data, url)  # HTML or garbage: a typed manifest error
    for _ in range(MAX_XLINKS):
        pending = manifest.unresolved_xlinks
        if not pending:
            return manifest
        path, href = pending[0]
        fragment = b"" if href.endswith(":resolve-to-zero:2013") else None
        if fragment is None:
            fragment = await fetch_document(channel, join_url(url, href), headers)
        manifest = resolve_xlink(manifest, path, fragment)
    raise UnsupportedFeature(feature=f"more than {MAX_XLINKS} xlink elements", path="MPD")


def locations_for(manifest: Manifest, mpd_url: str, ocas: Iterable[Oca] = ()) -> list[Oca]:
    """Failover locations: the ranked OCAs first (Play API titles), then the MPD's own
    BaseURL candidates (DVB priority/weight, serviceLocation); an MPD without BaseURLs and
    without OCAs is served from where it came from."""
    out = list(ocas)
    known = {o.url.rstrip("/") for o in out}
    after = max((o.rank for o in out), default=0)
    candidates = candidates_for(mpd_url, manifest.base_urls)
    for cand in ocas_from_base_urls(candidates):
        if out and cand.url == mpd_url:
            continue  # the MPD's own URL is an OCA already
        if cand.url.rstrip("/") in known:
            continue
        out.append(dataclasses.replace(cand, rank=cand.rank + after) if after else cand)
    return out


def locate_in(root: str) -> Callable[[Representation, str], str]:
    """The engine's ``locate``: a segment path of ``rep`` as a path under ``root`` (the
    first location), so that every location serves it (absolute elsewhere: as is)."""

    def locate(rep: Representation, path: str) -> str:
        base = rep.primary_base_url
        return relative_path(root, join_url(base, path) if path else base)

    return locate


def root_of(location: Oca) -> str:
    """The URL segment paths of ``location`` are relative to."""
    if location.source is OcaSource.MANIFEST:
        return location.url
    return location.url if location.url.endswith("/") else location.url + "/"


async def clearkey_keys(
    channel: Channel, drm: ClearKey | None, kids: Iterable[bytes], headers: Mapping[str, str]
) -> KeyStore:
    """Keys for ``kids``: those given, the rest from the license URL in one request."""
    store = KeyStore({k: v.reveal() for k, v in (drm.keys if drm else {}).items()})
    wanted = sorted(set(kids) - set(store.kids()))
    if not wanted:
        return store
    if drm is None or drm.license_url is None:
        raise KeysMissing(kids=tuple(k.hex() for k in wanted))
    body = build_license_request(wanted)
    hdrs = {"Content-Type": "application/json", **headers}
    try:
        resp = await channel.request("POST", drm.license_url, headers=hdrs, body=body)
        got = parse_license_response(resp.body)
    except ServiceError as err:
        if err.status in (401, 403):
            raise LicenseDenied(status=err.status, reason="refused") from err
        raise LicenseAcquisitionFailed(reason=f"HTTP {err.status}", attempts=1) from err
    except LicenseError:
        raise
    except (NetworkError, SdkError) as err:
        raise LicenseAcquisitionFailed(reason=type(err).__name__, attempts=1) from err
    missing = [k.hex() for k in wanted if k not in got]
    if missing:
        raise KeysMissing(kids=tuple(missing))
    store.update(got)
    return store


async def prepare_period(
    downloader: Downloader,
    locate: Callable[[Representation, str], str],
    clock: Clock,
    period: PeriodPlan,
) -> PeriodPlan:
    """``period`` with every SegmentBase representation's ``sidx`` fetched (one ranged
    request each for its ``indexRange``), so its segments are known before it plays."""
    tracks: list[TrackChoice] = []
    changed = False
    for choice in period.tracks:
        reps: list[Representation] = []
        for rep in choice.representations:
            info = rep.addressing
            if isinstance(info, SegmentBase) and rep.sidx is None:
                rng = info.index_range
                if rng is None:
                    raise UnsupportedFeature(
                        feature="SegmentBase without indexRange", path=f"Representation {rep.id}"
                    )
                with busy(clock):
                    res = await downloader.fetch(
                        locate(rep, ""),
                        ByteRange(rng.first, rng.last),
                        deadline_s=STARTUP_BUDGETS.index_s,
                    )
                rep = rep.with_sidx(res.data, data_offset=rng.first)
                changed = True
            reps.append(rep)
        duration = choice.segment_duration
        if duration <= 0 and reps:
            duration = reps[0].index()[0].duration
        tracks.append(
            dataclasses.replace(choice, representations=tuple(reps), segment_duration=duration)
        )
    return period.with_tracks(tuple(tracks)) if changed else period
