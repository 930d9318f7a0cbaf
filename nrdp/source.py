"""What a :class:`~nrdp.player.Player` can load: a title id (the Play API route) or an open
DASH source, :class:`DashSource` (any on-demand MPD URL, with ClearKey keys or a license
URL). Both routes end in the same playback plan and the same engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mediacore.secret import Secret
from nrdp.errors import InvalidArgument, redact_url

__all__ = ["ClearKey", "DashSource", "parse_key_arg"]

KEY_BYTES = 16


def _kid_bytes(value: str | bytes, argument: str) -> bytes:
    if isinstance(value, bytes):
        raw = value
    else:
        text = value.strip().replace("-", "")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InvalidArgument("must be 32 hex digits (or a UUID)", argument=argument) from None
    if len(raw) != KEY_BYTES:
        raise InvalidArgument("must be 16 bytes", argument=argument)
    return raw


@dataclass(frozen=True)
class ClearKey:
    """ClearKey DRM for an open source: ``keys`` (KID -> key, bytes or hex/UUID text) known
    up front, and/or a ``license_url`` answering W3C ClearKey license requests (KIDs the
    keys do not cover are asked there, all at once, before any media segment)."""

    license_url: str | None = None
    keys: Mapping[bytes, Secret[bytes]] = field(default_factory=dict, repr=False)

    def __init__(
        self,
        license_url: str | None = None,
        keys: Mapping[bytes, bytes]
        | Mapping[str, str]
        | Mapping[str | bytes, str | bytes]
        | None = None,
    ) -> None:
        if license_url is not None and urlsplit(license_url).scheme not in ("http", "https"):
            raise InvalidArgument("must be an http(s) URL", argument="license_url")
        parsed: dict[bytes, Secret[bytes]] = {}
        items: Iterable[tuple[str | bytes, str | bytes]] = (keys or {}).items()
        for kid, key in items:
            parsed[_kid_bytes(kid, "kid")] = Secret(_kid_bytes(key, "key"))
        object.__setattr__(self, "license_url", license_url)
        object.__setattr__(self, "keys", parsed)


@dataclass(frozen=True, repr=False)
class DashSource:
    """An on-demand DASH presentation by MPD URL. ``headers`` go on every request for it
    (MPD, segments, license), e.g. a CDN token; they are kept out of reprs."""

    mpd_url: str
    drm: ClearKey | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.mpd_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument("must be an absolute http(s) URL", argument="mpd_url")
        object.__setattr__(self, "headers", dict(self.headers))

    def __repr__(self) -> str:  # the URL's query may carry a token
        return f"DashSource({redact_url(self.mpd_url)!r}, drm={self.drm!r})"

    @property
    def content_id(self) -> str:
        """A stable id for CMCD and telemetry: the MPD URL's path (no query: no tokens)."""
        parts = urlsplit(self.mpd_url)
        return f"{parts.netloc}{parts.path}"


def parse_key_arg(text: str) -> tuple[bytes, bytes]:
    """``KID:KEY`` (hex or UUID each), as the apps' ``--key`` flag takes it."""
    kid, sep, key = text.partition(":")
    if not sep:
        raise InvalidArgument("must be KID:KEY", argument="key")
    return _kid_bytes(kid, "kid"), _kid_bytes(key, "key")
