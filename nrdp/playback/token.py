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

The session is also the :class:`~nrdp.delivery.downloader.SegmentAuth` of its downloader:
every OCA request carries the current token (``X-Nrdp-Playback-Token``: the backend knows
the client by it, and checks it). A token within the renewal margin is renewed before the
request; an OCA's 403 ``PlaybackTokenInvalid`` (8150) renews it and the request is tried
again once. Concurrent renewals (audio, video, license) make one Play API call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping

from drm import KeyStore
from mediacore.errors import SdkError
from mediacore.secret import Secret
from mediacore.signed_message import PLAYBACK_TOKEN_HEADER, PLAYBACK_TOKEN_INVALID
from nrdp.auth import AuthSession
from nrdp.channels.http import Channel
from nrdp.clock import Clock
from nrdp.errors import LicenseDenied, ServiceError
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import PlaybackManifest, fetch_playback_manifest

__all__ = ["OCA_TOKEN_HEADER", "PLAYBACK_TOKEN_INVALID", "PlaybackSession"]

DEFAULT_MARGIN_S = 60.0
OCA_TOKEN_HEADER = PLAYBACK_TOKEN_HEADER
"""The header that carries the playback token on OCA (manifest and segment) requests."""
SEGMENT_RENEW_INTERVAL_S = 5.0
"""OCA requests renew a due token at most this often (after the last Play API call or failed
renewal): a server whose tokens are due at once is not asked again for every request."""


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
        self._renewing = asyncio.Lock()
        self._renew_tried_at: float | None = None

    async def start(self) -> PlaybackManifest:
        """The first Play API call of the session."""
        pm = await self._fetch()
        self.first = pm
        return pm

    async def _fetch(self) -> PlaybackManifest:
        self._renew_tried_at = self.clock.now()
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

    async def _renew(self, seen: PlaybackManifest | None) -> None:
        """Refresh unless another caller already replaced ``seen`` (one Play API call for
        every caller that saw the same old token)."""
        async with self._renewing:
            if self.manifest is seen:
                await self.refresh()

    async def license(self, kids: Iterable[bytes], *, proactive: bool = False) -> KeyStore:
        """Keys for ``kids``; renews the token first (``proactive``) or after a refusal."""
        wanted = frozenset(kids)
        if self.manifest is None:
            await self.start()
        if proactive and self.due():
            await self._renew(self.manifest)
        assert self.manifest is not None
        seen = self.manifest
        try:
            self.license_calls += 1
            return await acquire_license(self.channel, self.auth, self.manifest, wanted)
        except LicenseDenied as err:
            if not token_refused(err):
                raise
        await self._renew(seen)  # once: a second refusal propagates, typed
        assert self.manifest is not None
        self.license_calls += 1
        return await acquire_license(self.channel, self.auth, self.manifest, wanted)

    # -- SegmentAuth: the token on OCA requests -------------------------------------

    async def segment_headers(self) -> Mapping[str, Secret[str]]:
        """The current token for an OCA request, renewed first when it is due (at most every
        :data:`SEGMENT_RENEW_INTERVAL_S`; if renewing fails the old token goes on)."""
        pm = self.manifest
        if pm is None or pm.playback_token is None:
            return {}
        tried = self._renew_tried_at
        if self.due() and (tried is None or self.clock.now() - tried >= SEGMENT_RENEW_INTERVAL_S):
            with contextlib.suppress(SdkError):
                await self._renew(pm)
            pm = self.manifest
        token = pm.playback_token if pm is not None else None
        return {OCA_TOKEN_HEADER: token} if token is not None else {}

    async def segment_refused(
        self, sent: Mapping[str, Secret[str]], server_code: int | None
    ) -> bool:
        """An OCA answered 403 with ``server_code`` to a request that carried ``sent``: if it
        refused the token, renew it (unless that happened meanwhile) and say the request is
        worth one more try (False when renewing failed)."""
        pm = self.manifest
        if server_code != PLAYBACK_TOKEN_INVALID or pm is None:
            return False
        if sent.get(OCA_TOKEN_HEADER) != pm.playback_token:
            return True  # renewed since that request was sent: try the new token
        try:
            await self._renew(pm)
        except SdkError:
            return False
        return True
