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
import re
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


class _Shape(ValueError):
    """Internal: a field of the answer has the wrong type or value (``str(self)`` says which)."""


def _text(doc: Any, key: str, default: str | None = None) -> str:
    value = doc.get(key, default) if isinstance(doc, Mapping) else None
    if not isinstance(value, str):
        raise _Shape(key)
    return value


def _optional_text(doc: Mapping[str, Any], key: str) -> str | None:
    return None if doc.get(key) is None else _text(doc, key)


def _number(doc: Mapping[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    """A finite JSON number (an int where ``kind`` is int; never a bool), or None."""
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind if kind is int else int | float):
        raise _Shape(key)
    if not -(2**53) < value < 2**53:  # exact in a float, and never inf or NaN
        raise _Shape(key)
    return kind(value)


def _object(doc: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    value = doc.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise _Shape(key)
    return value


def _header(name: object, value: object) -> tuple[str, Secret[str]]:
    """A license request header: printable ASCII name and value (a CR or LF would split
    the request; aiohttp refuses it with an untyped error)."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise _Shape("license.headers")
    if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
        raise _Shape("license.headers")
    return name, Secret(value)


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{0,8192}")


def _oca(doc: Any, url: str) -> Oca:
    try:
        return Oca(
            id=_text(doc, "oca_id"),
            url=_text(doc, "base_url"),
            rank=_number(doc, "rank", int) or 0,
            weight=1,
            source=OcaSource.PLAY_API,
        )
    except (_Shape, InvalidArgument) as exc:
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
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        return url, None
    try:
        seconds = float(ttl)
    except OverflowError:  # an int past float's range
        return url, None
    return url, seconds if 0 < seconds < math.inf else None


def _relative_path(path: str) -> str:
    """The MPD's path on every OCA: relative (no scheme or host: it must resolve on each
    candidate, not send them all to one place) and free of control characters."""
    try:
        parts = urlsplit(path)
    except ValueError:
        raise _Shape("manifest.mpd_path") from None
    if parts.scheme or parts.netloc or path.startswith("//") or not _HEADER_VALUE.fullmatch(path):
        raise _Shape("manifest.mpd_path")
    return path


def _kids(drm: Mapping[str, Any]) -> tuple[bytes, ...]:
    kids = drm.get("kids", [])
    if not isinstance(kids, list) or not all(isinstance(k, str) for k in kids):
        raise _Shape("drm.kids")
    return tuple(bytes.fromhex(k) for k in kids)


def parse_playback_manifest(doc: Mapping[str, Any], *, url: str = PATH) -> PlaybackManifest:
    """The typed manifest from the Play API's JSON answer: every field of the type it is
    declared with (a wrong type is refused, never converted)."""
    try:
        man, lic = _object(doc, "manifest", required=True), _object(doc, "license", required=True)
        candidates = doc.get("oca_candidates")
        if not isinstance(candidates, list):
            raise _Shape("oca_candidates")
        drm, exp = _object(doc, "drm"), _object(doc, "experiment")
        params = dict(_object(exp, "params"))
        algorithm = params.pop("abr", None)
        if algorithm is not None and not isinstance(algorithm, str):
            raise _Shape("experiment.params.abr")
        max_height = _number(doc, "max_height", int)
        if max_height is not None and max_height < 1:
            raise _Shape("max_height")
        steering_url, steering_ttl = _steering(doc.get("steering"))
        token = _optional_text(doc, "playback_token")
        result = PlaybackManifest(
            playback_id=_text(doc, "playback_id"),
            title_id=_text(doc, "title_id"),
            mpd_url=_text(man, "mpd_url"),
            mpd_path=_relative_path(_text(man, "mpd_path", "manifest.mpd")),
            ocas=tuple(_oca(c, url) for c in candidates),
            license_url=_text(lic, "url"),
            license_headers=MappingProxyType(
                dict(_header(k, v) for k, v in _object(lic, "headers").items())
            ),
            drm_scheme=_optional_text(drm, "scheme"),
            kids=_kids(drm),
            max_height=max_height,
            experiment_cell=_optional_text(exp, "cell"),
            abr_algorithm=algorithm,
            abr_params=MappingProxyType(params),
            expires_at=_number(doc, "expires_at", float),
            playback_token=Secret(token) if token else None,
            steering_url=steering_url,
            steering_ttl=steering_ttl,
        )
    except _Shape as exc:
        raise MalformedResponse(url=url, reason=f"playback manifest: bad {exc}") from None
    except ValueError as exc:  # bytes.fromhex
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
