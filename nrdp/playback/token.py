"""The playback token's lifetime: renew it through the Play API when it has (or will) expire.

The Play API's playback token (sent to the license server) expires (``expires_at``, 4 h on
the reference backend). A :class:`PlaybackSession` keeps the current playback manifest of
one title and gets licenses with it:

* reactively: a license call refused because of the token (``PlaybackTokenInvalid``, server
  code 8150: expired, or bound to something else) makes the session call the Play API again
  for the same title (a fresh token, license URL and headers) and retry the license once; a
  second refusal is the typed :class:`~nrdp.errors.LicenseDenied`;
* proactively: a license needed again later in the session (``proactive=True``, e.g. a
  rendition whose KID the first license did not cover) first renews a token that expires
  within ``margin`` seconds (at most half its lifetime), so the license call does not fail.

The token's remaining lifetime is measured once, when the manifest arrives (``expires_at``
minus the wall clock), then counted down on the session's monotonic clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from drm import KeyStore
from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.clock import Clock
from nrdp.errors import LicenseDenied, ServiceError
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import PlaybackManifest, fetch_playback_manifest

__all__ = ["PLAYBACK_TOKEN_INVALID", "PlaybackSession"]

PLAYBACK_TOKEN_INVALID = 8150
DEFAULT_MARGIN_S = 60.0


def token_refused(err: LicenseDenied) -> bool:
    """The license server refused the playback token (not the account or the KIDs)."""
    cause = err.__cause__
    return isinstance(cause, ServiceError) and cause.server_code == PLAYBACK_TOKEN_INVALID


class PlaybackSession:
    """One title's playback manifest and token, renewed when the token runs out."""

    def __init__(
        self,
        channel: Channel,
        auth: AuthSession,
        title_id: str,
        *,
        clock: Clock,
        wall: Callable[[], float],
        profile_id: str | None = None,
        margin_s: float = DEFAULT_MARGIN_S,
        on_refresh: Callable[[PlaybackManifest], None] | None = None,
    ) -> None:
        self.channel = channel
        self.auth = auth
        self.title_id = title_id
        self.profile_id = profile_id
        self.clock = clock
        self.wall = wall
        self.margin_s = margin_s
        self.on_refresh = on_refresh
        self.first: PlaybackManifest | None = None
        self.manifest: PlaybackManifest | None = None
        self.refreshes = 0
        self.license_calls = 0
        self._deadline: float | None = None
        self._lifetime: float | None = None

    async def start(self) -> PlaybackManifest:
        """The first Play API call of the session."""
        pm = await self._fetch()
        self.first = pm
        return pm

    async def _fetch(self) -> PlaybackManifest:
        pm = await fetch_playback_manifest(
            self.channel, self.auth, self.title_id, profile_id=self.profile_id
        )
        self.manifest = pm
        if pm.expires_at is not None:
            self._lifetime = max(0.0, pm.expires_at - self.wall())
            self._deadline = self.clock.now() + self._lifetime
        else:
            self._lifetime = self._deadline = None
        return pm

    async def refresh(self) -> PlaybackManifest:
        """Call the Play API again for the same title: a fresh token and license URL."""
        pm = await self._fetch()
        self.refreshes += 1
        if self.on_refresh is not None:
            self.on_refresh(pm)
        return pm

    def expires_in(self) -> float | None:
        """Seconds the current token has left (``None``: no expiry given)."""
        if self._deadline is None:
            return None
        return self._deadline - self.clock.now()

    def due(self) -> bool:
        """The token expires within the renewal margin (at most half its lifetime)."""
        left = self.expires_in()
        if left is None or self._lifetime is None:
            return False
        return left <= min(self.margin_s, self._lifetime / 2)

    async def license(self, kids: Iterable[bytes], *, proactive: bool = False) -> KeyStore:
        """Keys for ``kids``; renews the token first (``proactive``) or after a refusal."""
        wanted = frozenset(kids)
        if self.manifest is None:
            await self.start()
        if proactive and self.due():
            await self.refresh()
        assert self.manifest is not None
        try:
            self.license_calls += 1
            return await acquire_license(self.channel, self.auth, self.manifest, wanted)
        except LicenseDenied as err:
            if not token_refused(err):
                raise
        await self.refresh()  # once: a second refusal propagates, typed
        self.license_calls += 1
        return await acquire_license(self.channel, self.auth, self.manifest, wanted)
