"""Which rung a segment request is fetched at, and what its request tells the CDN (CMCD).

The ABR algorithm proposes from an :class:`~abr.types.Observation` the engine's state
fills in; the viewer's pin and cap and the rungs excluded after a too-slow download are
then applied (:func:`~nrdp.scheduler.decisions.apply_rung_rules`, pure). The algorithm's
decision is kept for its next observation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abr.types import Observation, Phase
from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.cmcd import CmcdData, ObjectType, StreamingFormat, StreamType, apply
from nrdp.delivery.downloader import UrlDecorator
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.decisions import apply_rung_rules, live_exclusions, segments_left
from nrdp.scheduler.planner import SegmentRequest
from nrdp.scheduler.runtime import TrackRuntime

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["choose_rung", "cmcd_decorator"]


def choose_rung(engine: PlaybackEngine, track: TrackRuntime, req: SegmentRequest) -> int:
    """The rung for ``req``: ABR's choice (or the pin) under the rung rules."""
    n = len(track.choice.representations)
    if track.kind is not TrackKind.VIDEO or n == 1:
        return 0
    now = engine.clock.now()
    track.excluded = live_exclusions(track.excluded, now)
    rules = {"cap": engine.quality_cap, "pin": engine.fixed_rung, "excluded": track.excluded}
    if engine.fixed_rung is not None:
        return apply_rung_rules(engine.fixed_rung, n, **rules)  # type: ignore[arg-type]
    try:
        count: int | None = len(track.choice.representations[0].index())
    except (TypeError, SdkError):  # open-ended (live) index: unknown
        count = None
    obs = Observation(
        now=now,
        buffer_s=req.buffered_ahead,
        phase=engine.phase,
        ladder=track.choice.ladder(),
        segment_index=max(0, req.number - 1),
        segments_left=segments_left(count, req.number),
        samples=tuple(engine.samples),
        last_decision=engine.last_decision,
        buffer_cap_s=engine.config.buffer.target,
    )
    decision = engine.abr.choose(obs)
    engine.last_decision = decision
    return apply_rung_rules(decision.rung, n, **rules)  # type: ignore[arg-type]


def cmcd_decorator(
    engine: PlaybackEngine, track: TrackRuntime, rep: Representation, req: SegmentRequest
) -> UrlDecorator | None:
    """The CMCD keys of ``req``'s request (query or headers), ``None`` when CMCD is off."""
    cfg = engine.config.cmcd
    if not cfg.enabled:
        return None
    mtp = engine.samples[-1].kbps if engine.samples else None
    top = max(int((r.bandwidth or 0) / 1000) for r in track.choice.representations)
    data = CmcdData(
        encoded_bitrate_kbps=int((rep.bandwidth or 0) / 1000) or None,
        buffer_length_ms=req.buffered_ahead * 1000.0,
        buffer_starvation=engine.stalled,
        content_id=cfg.content_id or engine.content_id,
        object_duration_ms=req.duration * 1000.0,
        measured_throughput_kbps=mtp,
        object_type=ObjectType.VIDEO if track.kind is TrackKind.VIDEO else ObjectType.AUDIO,
        streaming_format=StreamingFormat.DASH,
        session_id=engine.session_id,
        stream_type=StreamType.VOD if engine.live is None else StreamType.LIVE,
        startup=engine.phase is Phase.STARTUP,
        top_bitrate_kbps=top or None,
    )
    keys, mode = cfg.keys, cfg.mode

    def decorate(url: str) -> tuple[str, dict[str, str]]:
        return apply(url, data, mode=mode, keys=keys)

    return decorate
