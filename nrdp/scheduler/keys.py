"""Keys for the segments the fetcher decrypts: key rotation's new KIDs are licensed
before decrypting (those a fragment's ``pssh`` names, and a KID first seen in its ``seig``
group, once), and decryption runs off the loop (``busy`` on the clock)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drm import KeyNotFound, find_pssh
from mediacore.errors import SdkError
from nrdp.clock import busy
from nrdp.media.pipeline import ClearInit

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["SegmentKeys", "segment_kids"]


def segment_kids(data: bytes) -> set[bytes]:
    """KIDs the ``pssh`` boxes of a fragment list (key rotation announces them there)."""
    try:
        return {k for box in find_pssh(data) for k in box.kids}
    except SdkError:  # a pssh we cannot read: the seig group still names the KID
        return set()


class SegmentKeys:
    """Licenses what the engine's pipeline lacks and decrypts with it."""

    def __init__(self, engine: PlaybackEngine) -> None:
        self.engine = engine

    async def decrypt(self, init: ClearInit, data: bytes) -> bytes:
        """The clear segment. Key rotation: KIDs a fragment's ``pssh`` names are licensed
        before decrypting, and a KID first seen in its ``seig`` group (no pssh) once."""
        engine = self.engine
        if init.kids:
            await self.license(frozenset(segment_kids(data)))
        for attempt in range(2):
            try:
                with busy(engine.clock):
                    return await engine.pipeline.decrypt(init, data)
            except KeyNotFound as err:
                if attempt or engine.need_keys is None:
                    raise
                await self.license(frozenset({bytes.fromhex(err.kid)}))
        raise AssertionError("unreachable")

    async def license(self, kids: frozenset[bytes]) -> None:
        """Keys for those of ``kids`` the pipeline does not hold yet."""
        engine = self.engine
        # an all-zero KID (key rotation's tenc) is a placeholder: the seig group names the key
        missing = frozenset(k for k in kids if k not in engine.pipeline.keys and any(k))
        if missing and engine.need_keys is not None:
            with busy(engine.clock):
                engine.pipeline.keys.update(await engine.need_keys(missing))
