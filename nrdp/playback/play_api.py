"""The Play API client: one signed call that returns the playback manifest.

The playback manifest says where the MPD is, which OCAs may serve it (ranked), where the
license server is and which token it wants, the DRM system and KIDs, the ladder the plan
allows and the A/B cell of the account. It is parsed here into a frozen
:class:`PlaybackManifest`; a body of the wrong shape is a typed
:class:`~nrdp.errors.MalformedResponse`, a 403 ``NotEntitled`` a typed
:class:`~nrdp.errors.NotEntitled` (before any media or license request is made).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from mediacore.secret import Secret
from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.delivery.oca import Oca, OcaSource
from nrdp.errors import InvalidArgument, MalformedResponse, NotEntitled, ServiceError

__all__ = ["NOT_ENTITLED", "PlaybackManifest", "fetch_playback_manifest", "parse_playback_manifest"]

PATH = "/play/v1/manifest"
NOT_ENTITLED = 8130


@dataclass(frozen=True)
class PlaybackManifest:
    """Everything one playback needs from the Play API (the token stays a Secret)."""

    playback_id: str
    title_id: str
    mpd_url: str
    mpd_path: str
    ocas: tuple[Oca, ...]
    license_url: str
    license_headers: Mapping[str, Secret[str]]
    drm_scheme: str | None
    kids: tuple[bytes, ...]
    max_height: int | None
    experiment_cell: str | None
    abr_algorithm: str | None
    abr_params: Mapping[str, Any] = field(default_factory=dict)
    expires_at: float | None = None
    playback_token: Secret[str] | None = None
    """The session's playback token (OCAs read it: the client, its faults, its access)."""
    steering_url: str | None = None
    """The DASH-IF content steering server (None: the Play API named none, or a bad one)."""
    steering_ttl: float | None = None
    """Seconds until the first steering request (the Play API's ``steering.ttl_s``)."""


def _oca(doc: Any, url: str) -> Oca:
    try:
        return Oca(
            id=str(doc["oca_id"]),
            url=str(doc["base_url"]),
            rank=int(doc.get("rank", 0)),
            weight=1,
            source=OcaSource.PLAY_API,
        )
    except (KeyError, TypeError, ValueError, InvalidArgument) as exc:
        raise MalformedResponse(url=url, reason="bad OCA candidate") from exc


def _steering(doc: Any) -> tuple[str | None, float | None]:
    """The steering server and first TTL; a bad or missing entry is no steering, never an
    error (playback does not need steering)."""
    if not isinstance(doc, Mapping):
        return None, None
    url, ttl = doc.get("server_url"), doc.get("ttl_s")
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return None, None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < math.inf:
        return url, None
    return url, float(ttl)


def parse_playback_manifest(doc: Mapping[str, Any], *, url: str = PATH) -> PlaybackManifest:
    """The typed manifest from the Play API's JSON answer."""
    try:
        man = doc["manifest"]
        lic = doc["license"]
        ocas = tuple(_oca(c, url) for c in doc["oca_candidates"])
        drm = doc.get("drm") or {}
        kids = tuple(bytes.fromhex(k) for k in drm.get("kids", ()))
        exp = doc.get("experiment") or {}
        params = dict(exp.get("params") or {})
        algorithm = params.pop("abr", None)
        steering_url, steering_ttl = _steering(doc.get("steering"))
        result = PlaybackManifest(
            playback_id=str(doc["playback_id"]),
            title_id=str(doc["title_id"]),
            mpd_url=str(man["mpd_url"]),
            mpd_path=str(man.get("mpd_path", "manifest.mpd")),
            ocas=ocas,
            license_url=str(lic["url"]),
            license_headers=MappingProxyType(
                {str(k): Secret(str(v)) for k, v in (lic.get("headers") or {}).items()}
            ),
            drm_scheme=drm.get("scheme"),
            kids=kids,
            max_height=int(doc["max_height"]) if doc.get("max_height") is not None else None,
            experiment_cell=str(exp["cell"]) if exp.get("cell") is not None else None,
            abr_algorithm=str(algorithm) if algorithm is not None else None,
            abr_params=MappingProxyType(params),
            expires_at=float(doc["expires_at"]) if doc.get("expires_at") is not None else None,
            playback_token=(
                Secret(str(doc["playback_token"])) if doc.get("playback_token") else None
            ),
            steering_url=steering_url,
            steering_ttl=steering_ttl,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(url=url, reason=f"playback manifest: {type(exc).__name__}") from exc
    if not result.ocas:
        raise MalformedResponse(url=url, reason="no OCA candidates")
    if any(len(k) != 16 for k in result.kids):
        raise MalformedResponse(url=url, reason="KIDs must be 16 bytes")
    return result


async def fetch_playback_manifest(
    channel: Channel, auth: AuthSession, title_id: str, *, profile_id: str | None = None
) -> PlaybackManifest:
    """``POST /play/v1/manifest`` (bearer + signed both ways) on the playback channel."""
    body: dict[str, Any] = {"title_id": title_id}
    if profile_id is not None:
        body["profile_id"] = profile_id
    try:
        resp = await auth.call(channel, "POST", PATH, json_body=body, signed=True)
    except ServiceError as err:
        if err.server_code == NOT_ENTITLED:
            raise NotEntitled(title_id=title_id) from err
        raise
    return parse_playback_manifest(resp.json_object(), url=resp.url)
