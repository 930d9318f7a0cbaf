"""The license client: W3C ClearKey over the playback channel, keys kept in memory only.

The request body is built by :func:`drm.clearkey.build_license_request` and the JWK set parsed
by :func:`drm.clearkey.parse_license_response` into a :class:`drm.KeyStore`. The call is
signed both ways and carries the playback token from the playback manifest. Outcomes are
typed: 401/403 -> :class:`~nrdp.errors.LicenseDenied` (not retried), a timeout after the
channel's retries -> :class:`~nrdp.errors.LicenseTimeout`, other failures after retries ->
:class:`~nrdp.errors.LicenseAcquisitionFailed`, and KIDs the answer lacks ->
:class:`~nrdp.errors.KeysMissing`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from drm import KeyStore
from drm.clearkey import build_license_request, parse_license_response
from mediacore.errors import LicenseError, NetworkError, SdkError
from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.errors import (
    KeysMissing,
    LicenseAcquisitionFailed,
    LicenseDenied,
    LicenseTimeout,
    NetworkTimeout,
    ServiceError,
)
from nrdp.playback.play_api import PlaybackManifest

__all__ = ["acquire_license"]


def _path_of(url: str) -> str:
    """The path (and raw query) the request is signed over: the license URL's, as sent."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def acquire_license(
    channel: Channel,
    auth: AuthSession,
    manifest: PlaybackManifest,
    kids: Iterable[bytes],
) -> KeyStore:
    """Keys for ``kids`` (16-byte KIDs) from the manifest's license server."""
    wanted = sorted(set(kids))
    if not wanted:
        return KeyStore()
    body = build_license_request(wanted)
    headers = {k: v.reveal() for k, v in manifest.license_headers.items()}
    path = _path_of(manifest.license_url)
    attempts = channel.config.retry.max_attempts
    try:
        resp = await auth.call(channel, "POST", path, body=body, headers=headers, signed=True)
    except ServiceError as err:
        if err.status in (401, 403):
            raise LicenseDenied(status=err.status, reason=err.server_name or "refused") from err
        raise LicenseAcquisitionFailed(
            reason=err.server_name or f"HTTP {err.status}", attempts=attempts
        ) from err
    except NetworkTimeout as err:
        raise LicenseTimeout(timeout_s=err.timeout_s) from err
    except NetworkError as err:
        raise LicenseAcquisitionFailed(reason=type(err).__name__, attempts=attempts) from err
    try:
        keys = parse_license_response(resp.body)
    except LicenseError:
        raise
    except SdkError as err:
        raise LicenseAcquisitionFailed(reason=type(err).__name__, attempts=1) from err
    missing = [k.hex() for k in wanted if k not in set(keys.kids())]
    if missing:
        raise KeysMissing(kids=tuple(missing))
    return keys
