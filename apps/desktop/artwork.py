"""Posters over the discovery channel, fetched and decoded on the loop thread.

Artwork shares the discovery channel's breaker with rows and search, so a failing artwork
service must not trip it: the first poster is fetched alone, the rest :data:`PARALLEL` at a
time, and the first failure stops the batch (at most 2 x 2 attempts fail, under the
breaker's threshold of 5). Titles not fetched leave ``asked`` and are asked again with the
next rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QImage

import nrdp
from apps.desktop.app_state import TitleCard

__all__ = ["PARALLEL", "fetch_posters", "poster_image"]

PARALLEL = 2  # at once, after a first poster came through


def poster_image(data: bytes) -> QImage:
    """Decode poster bytes (PNG/JPEG) to a :class:`QImage`; safe off the UI thread (a
    QImage, unlike a QPixmap, needs no GUI thread). A null image if ``data`` is no picture."""
    image = QImage()
    image.loadFromData(data)
    return image


async def fetch_posters(
    discovery: Any,
    todo: Sequence[TitleCard],
    *,
    asked: set[str],
    ready: Callable[[str, QImage], None],
    failed: Callable[[str, int], None],
) -> None:
    """Each card's poster (``discovery.artwork(id)``) to ``ready(id, image)``, or
    ``failed(id, code)`` (0: not a picture); see the module doc for the pacing."""
    gate = asyncio.Semaphore(PARALLEL)
    stop = asyncio.Event()

    async def one(card: TitleCard) -> None:
        async with gate:
            if stop.is_set():
                asked.discard(card.id)
                return
            try:
                data = await discovery.artwork(card.id)
            except nrdp.SdkError as exc:
                stop.set()
                asked.discard(card.id)
                failed(card.id, int(exc.code))
                return
        image = poster_image(data)
        if image.isNull():
            failed(card.id, 0)
        else:
            ready(card.id, image)

    if todo:
        await one(todo[0])
        await asyncio.gather(*(one(card) for card in todo[1:]))
