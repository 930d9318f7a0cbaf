"""What :meth:`~nrdp.player.Player.load` builds before anything plays: the source opened
(a title id through the Play API, or a :class:`~nrdp.source.DashSource`; both in
:mod:`nrdp.routes`), the ABR algorithm, the engine with its media worker pool and thumbnails
(a :class:`~nrdp.player_session.PlayerSession`), and content steering beside it.

A bad source, a refused license or an unknown ABR name raises its typed error from here,
before any media segment is requested.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import abr.registry
from abr.base import AbrAlgorithm
from mediacore.errors import AbrError, SdkError
from nrdp.config import PlayerConfig
from nrdp.delivery.steering import SteeringManifest
from nrdp.delivery.steering_client import SteeringClient
from nrdp.events import ErrorEvent, LicenseAcquired, OcaFailover, SteeringUpdated
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import Sink
from nrdp.playback.play_api import PlaybackManifest
from nrdp.playback.token import PlaybackSession
from nrdp.player_events import PlayerEvents
from nrdp.player_session import PlayerSession
from nrdp.routes import Opened, open_dash, open_title
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.source import DashSource
from nrdp.thumbnails import ThumbnailSource

if TYPE_CHECKING:
    from nrdp.device import Device

__all__ = ["make_abr", "make_session", "open_source", "start_steering"]


async def open_source(
    device: Device,
    config: PlayerConfig,
    source: str | DashSource,
    session: PlaybackSession | None,
    events: PlayerEvents,
) -> Opened:
    """Open ``source`` (a title id needs its playback ``session``); OCA failovers and the
    license are announced, a title's session is recorded in telemetry when enabled."""
    clock = device.clock

    def failover(a: str, b: str | None, r: str) -> None:
        events.emit(OcaFailover(at=clock.now(), from_oca=a, to_oca=b, reason=r))

    if isinstance(source, DashSource):
        opened = await open_dash(device, config, source, failover)
    else:
        assert session is not None, "a title id opens with a playback session"
        opened = await open_title(device, config, session, failover)
        if config.telemetry and opened.playback is not None:
            events.start_telemetry(device.telemetry, opened.playback, source)
    if opened.license_seconds is not None:
        seconds, count = opened.license_seconds, len(opened.kids)
        events.emit(LicenseAcquired(at=clock.now(), seconds=seconds, key_count=count))
    return opened


def make_abr(config: PlayerConfig, pm: PlaybackManifest | None) -> AbrAlgorithm:
    """The configured algorithm; with ``"default"``, the Play API's choice (with its
    parameters, else its defaults) when it names one this SDK has."""
    cfg = config.abr
    if cfg.algorithm == "default" and pm is not None and pm.abr_algorithm:
        with contextlib.suppress(AbrError):
            return abr.registry.create(pm.abr_algorithm, **dict(pm.abr_params))
        with contextlib.suppress(AbrError):
            return abr.registry.create(pm.abr_algorithm)
    return abr.registry.create(cfg.algorithm, **dict(cfg.params))


def make_session(
    device: Device, config: PlayerConfig, opened: Opened, sink: Sink, events: PlayerEvents
) -> PlayerSession:
    """The engine for ``opened``, the worker pool it decrypts and decodes on and the
    thumbnails, not started yet; ``stop`` ends them (:class:`PlayerSession`)."""
    algorithm = make_abr(config, opened.playback)
    pipeline = MediaPipeline(opened.keys)
    try:
        engine = PlaybackEngine(
            periods=opened.periods,
            downloader=opened.downloader,
            pipeline=pipeline,
            abr=algorithm,
            sink=sink,
            config=config,
            clock=device.clock,
            emit=events.emit,
            duration=opened.duration,
            content_id=opened.content_id,
            session_id=opened.session_id,
            locate=opened.locate(),
            prepare=opened.prepare(device),
        )
    except BaseException:
        pipeline.close()
        raise
    engine.need_keys = opened.need_keys
    thumbs = ThumbnailSource(  # seek-bar previews (DASH-IF tiles), fetched on demand
        opened.manifest, opened.downloader, opened.locate(), max_size=config.thumbnail_max_size
    )
    return PlayerSession(opened, engine, pipeline, thumbs, on_end=events.finish)


def start_steering(
    device: Device, config: PlayerConfig, opened: Opened, events: PlayerEvents
) -> SteeringClient | None:
    """Follow the Play API's content steering server until ``stop`` (over the playback
    channel); its failures are non-fatal ``ErrorEvent``s, never a playback error. None:
    no steering server, or steering turned off."""
    pm = opened.playback
    if pm is None or not config.oca.steering or pm.steering_url is None:
        return None
    clock = device.clock

    def updated(manifest: SteeringManifest, order: tuple[str, ...], ttl: float) -> None:
        events.emit(SteeringUpdated(at=clock.now(), pathways=order, ttl=ttl))

    def failed(err: SdkError) -> None:
        events.emit(ErrorEvent.from_error(err, at=clock.now(), fatal=False))

    steering = SteeringClient(
        device.playback,
        opened.selector,
        pm.steering_url,
        config=config.oca,
        clock=clock,
        initial_ttl=pm.steering_ttl,
        read_timeout=device.playback.config.timeouts.read,
        on_update=updated,
        on_error=failed,
    )
    steering.start()
    return steering
