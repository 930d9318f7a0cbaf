"""The app's one door to the SDK: intents in (UI thread), results out as queued signals.

Every method is called on the UI thread and returns at once: it submits a coroutine to the
SDK's loop thread (``runtime.py``). Results and typed errors come back as signals carrying
view-model values (``app_state.py``); errors carry their ``to_dict()`` so the dialog can
show the code. Only the public ``nrdp`` API is used.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import inspect
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

import nrdp
from apps.desktop.app_state import HomeState, TitleCard, TitleDetails
from apps.desktop.artwork import fetch_posters, poster_image
from apps.desktop.bridge import PlayerBridge
from apps.desktop.runtime import LoopThread
from apps.desktop.seek_preview import thumbnail_of
from apps.desktop.seeks import SerialSeeks

__all__ = ["Session", "poster_image"]


def _error_dict(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, nrdp.SdkError):
        return dict(exc.to_dict())
    return {"code": 0, "error": type(exc).__name__, "message": str(exc), "retriable": False}


class Session(QObject):
    """One device session (login, discovery, one player) driven from the UI thread."""

    logged_in = Signal(str)
    home_ready = Signal(object)  # HomeState
    search_ready = Signal(str, object)  # query, tuple[TitleCard, ...]
    details_ready = Signal(object)  # TitleDetails
    load_started = Signal(str, float)  # title id, start
    failed = Signal(str, object)  # what ("login", "home", "play", ...), error dict
    poster_ready = Signal(str, object)  # title id, QImage (decoded on the loop thread)
    thumbnail_ready = Signal(float, object)  # time, (bytes, (x, y, w, h)) or None
    poster_failed = Signal(str, int)  # title id, error code (0: not a picture): keep the drawn one

    def __init__(
        self,
        gateway_url: str,
        *,
        runtime: LoopThread | None = None,
        player_config: nrdp.PlayerConfig | None = None,
        device_id: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway_url = gateway_url
        self.runtime = runtime if runtime is not None else LoopThread()
        self._own_runtime = runtime is None
        self.bridge = PlayerBridge(self)
        self.player_config = player_config or nrdp.PlayerConfig()
        self.device_id = device_id or f"desktop-{uuid.uuid4().hex[:16]}"
        self.device: nrdp.Device | None = None
        self.player: nrdp.Player | None = None
        self.title_id: str | None = None
        self.master_clock: nrdp.MasterClock | None = None
        """Installed on the player at each ``play`` (``nrdp.Player.set_master_clock``): the
        audio device's clock (``bridge.device_clock``) when the window has a device."""
        self._posters_asked: set[str] = set()
        self.seeks = SerialSeeks()

    # -- plumbing ------------------------------------------------------------------------
    def _spawn(
        self,
        what: str,
        coro: Coroutine[Any, Any, Any],
        done: Callable[[Any], None] | None = None,
    ) -> concurrent.futures.Future[Any]:
        fut = self.runtime.submit(coro)

        def finished(f: concurrent.futures.Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                self.failed.emit(what, _error_dict(exc))
            elif done is not None:
                done(f.result())

        fut.add_done_callback(finished)
        return fut

    async def _device(self) -> nrdp.Device:
        if self.device is None:
            device = nrdp.Device(nrdp.DeviceConfig(self.device_id, self.gateway_url))
            await device.__aenter__()
            self.device = device
        return self.device

    # -- control plane -------------------------------------------------------------------
    def login(self, email: str, password: str) -> concurrent.futures.Future[Any]:
        async def run() -> str:
            device = await self._device()
            await device.login(email, password)
            return email

        return self._spawn("login", run(), self.logged_in.emit)

    def load_home(self) -> concurrent.futures.Future[Any]:
        async def run() -> HomeState:
            device = await self._device()
            return HomeState.from_json(await device.discovery.home())

        return self._spawn("home", run(), self.home_ready.emit)

    def search(self, query: str) -> concurrent.futures.Future[Any]:
        async def run() -> tuple[str, tuple[TitleCard, ...]]:
            device = await self._device()
            doc = await device.discovery.search(query)
            return query, tuple(TitleCard.from_json(d) for d in doc.get("results", ()))

        return self._spawn("search", run(), lambda r: self.search_ready.emit(*r))

    def load_details(self, title_id: str) -> concurrent.futures.Future[Any]:
        async def run() -> TitleDetails:
            device = await self._device()
            doc = await device.discovery.title(title_id)
            bookmarks: list[dict[str, Any]] = []
            with contextlib.suppress(nrdp.SdkError):  # no resume point is not an error
                bookmarks = await device.discovery.bookmarks()
            return TitleDetails.from_json(doc, bookmarks)

        return self._spawn("details", run(), self.details_ready.emit)

    def posters_supported(self) -> bool:
        """Can the SDK fetch artwork over the discovery channel (``discovery.artwork``)?"""
        return hasattr(nrdp.DiscoveryClient, "artwork")

    def load_posters(self, cards: tuple[TitleCard, ...]) -> concurrent.futures.Future[Any] | None:
        """Fetch (``DiscoveryClient.artwork``, discovery channel) and decode the posters of
        ``cards`` that list one, on the loop thread, each title once (``artwork.py``); each
        arrives as ``poster_ready(title_id, QImage)``. A poster that fails keeps the drawn
        placeholder (``poster_failed``): artwork is never worth an error dialog, and the UI
        thread never waits for it."""
        todo = [c for c in cards if c.poster_url and c.id not in self._posters_asked]
        if not todo or not self.posters_supported():
            return None
        self._posters_asked.update(c.id for c in todo)

        async def run() -> None:
            device = await self._device()
            await fetch_posters(
                device.discovery,
                todo,
                asked=self._posters_asked,
                ready=self.poster_ready.emit,
                failed=self.poster_failed.emit,
            )

        return self._spawn("posters", run())

    # -- playback ------------------------------------------------------------------------
    def play(
        self, title_id: str | nrdp.DashSource, start: float = 0.0
    ) -> concurrent.futures.Future[Any]:
        """Load ``title_id`` (or an open MPD source) at ``start``; a failure arrives as
        ``failed("play", error)``."""
        source = title_id
        title_id = source if isinstance(source, str) else source.mpd_url
        self.title_id = title_id

        async def run() -> None:
            device = await self._device()
            if self.player is None:
                self.player = device.player(sink=self.bridge, config=self.player_config)
                self.player.on_event(self.bridge.on_event)
            self.player.set_master_clock(self.master_clock)
            self.bridge.live_target_s = None  # the next source reports its own
            self.load_started.emit(title_id, start)
            await self.player.load(source, start or None)

        return self._spawn("play", run())

    def _on_player(self, fn: Callable[[nrdp.Player], None]) -> None:
        def call() -> None:
            if self.player is not None:
                with contextlib.suppress(nrdp.SdkError):
                    fn(self.player)

        self.runtime.call(call)

    def resume(self) -> None:
        self._on_player(lambda p: p.play())

    def pause(self) -> None:
        self._on_player(lambda p: p.pause())

    def seek(self, position: float) -> concurrent.futures.Future[Any]:
        """Seek (one at a time, the latest wins: ``seeks.py``)."""
        ticket = self.seeks.ticket()

        async def seek() -> None:
            if self.player is not None:
                await self.player.seek(position)

        return self._spawn("seek", self.seeks.run(ticket, seek))

    def go_live(self) -> concurrent.futures.Future[Any]:
        """Seek to the live edge (``Player.go_live``); nothing for an on-demand source."""
        ticket = self.seeks.ticket()

        async def go_live() -> None:
            if self.player is not None and getattr(self.player, "live", False):
                await self.player.go_live()

        return self._spawn("go live", self.seeks.run(ticket, go_live))

    def set_quality(self, rung: int | None) -> None:
        """``None``: automatic (ABR); else pin the video rung."""
        self._on_player(lambda p: p.set_quality(rung=rung, max_rung=None))

    def select_audio_track(self, track_id: str) -> concurrent.futures.Future[Any]:
        """Switch the audio track (``Player.select_audio_track``, when the SDK has it)."""

        async def run() -> None:
            fn = getattr(self.player, "select_audio_track", None)
            if fn is not None:
                await _maybe_await(fn(track_id))

        return self._spawn("audio track", run())

    def select_text_track(self, track_id: str | None) -> concurrent.futures.Future[Any]:
        """Show subtitles of ``track_id`` (``None``: off), when the SDK has text tracks."""

        async def run() -> None:
            fn = getattr(self.player, "select_text_track", None)
            if fn is not None:
                await _maybe_await(fn(track_id))

        return self._spawn("subtitles", run())

    def thumbnail(self, t: float) -> concurrent.futures.Future[Any]:
        """Ask for the seek-bar thumbnail at ``t`` (``thumbnail_ready``; ``None``: none)."""

        async def run() -> tuple[float, Any]:
            return t, await thumbnail_of(self.player, t) if self.player is not None else None

        return self._spawn("thumbnail", run(), lambda r: self.thumbnail_ready.emit(*r))

    def poll(self) -> None:
        """Ask for a :class:`~apps.desktop.bridge.Poll` (arrives on ``bridge.polled``)."""
        self._on_player(self.bridge.poll)

    def stop(self) -> concurrent.futures.Future[Any]:
        async def run() -> None:
            if self.player is not None:
                await self.player.stop()

        return self._spawn("stop", run())

    def close(self, timeout: float = 10.0) -> None:
        """Close the device (players, channels) and, if it is ours, the loop thread."""

        async def run() -> None:
            if self.device is not None:
                await self.device.close()
                self.device = None
                self.player = None

        if self.runtime.running:
            with contextlib.suppress(Exception):
                self.runtime.submit(run()).result(timeout)
        if self._own_runtime:
            self.runtime.stop()


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
