"""What a segment's arrival changes: the presenter's queue, the buffer model, the track's
next number and rung, and the events that report it (quality change, download, bandwidth,
buffer level). A live segment given up counts as buffered: a gap crossed on the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manifest.model import Representation, SegmentRef
from nrdp.delivery.downloader import DownloadResult
from nrdp.events import BandwidthEstimated, BufferLevel, QualityChanged, SegmentDownloaded
from nrdp.scheduler.decisions import switch_reason
from nrdp.scheduler.runtime import Queued, TrackRuntime

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["accept_segment", "skip_segment"]


def accept_segment(
    engine: PlaybackEngine,
    track: TrackRuntime,
    rung: int,
    rep: Representation,
    item: Queued,
    res: DownloadResult,
) -> None:
    """``item`` (downloaded at ``rung`` as ``res``) is queued for ``track``'s presenter."""
    now = engine.clock.now()
    track.queue.append(item)
    track.switching = False
    track.buffer.append(item.start, item.duration)
    engine.arrived.set()
    track.next_number = item.number + 1
    engine.samples.append(res.sample)
    bitrate = int(rep.bandwidth or 0)
    if track.rung != rung:
        old = track.rep(track.rung).bandwidth if track.rung is not None else None
        reason = switch_reason(track.rung, engine.fixed_rung is not None)
        engine.emit(
            QualityChanged(
                at=now,
                track=track.kind,
                old_bitrate=old,
                new_bitrate=bitrate,
                rung=rung,
                reason=reason,
            )
        )
        track.rung = rung
    engine.emit(
        SegmentDownloaded(
            at=now,
            track=track.kind,
            number=item.number,
            size=res.size,
            seconds=res.ttfb_s + res.transfer_s,
            ttfb=res.ttfb_s,
            oca=res.oca_id,
            rung=rung,
            bitrate=bitrate,
            representation=None if rep.id is None else str(rep.id),
        )
    )
    if res.sample.duration_s > 0:
        engine.emit(BandwidthEstimated(at=now, bps=res.sample.kbps * 1000.0))
    ahead = track.buffer.ahead(engine.position)
    engine.emit(BufferLevel(at=now, track=track.kind, ahead=ahead))


def skip_segment(
    engine: PlaybackEngine, track: TrackRuntime, ref: SegmentRef, generation: int
) -> None:
    """A live segment given up: its span counts as buffered (a gap the presenter crosses
    on the clock) and the track moves on to the next one."""
    if track.generation != generation:
        return
    track.buffer.append(ref.start, ref.duration)
    track.next_number = ref.number + 1
    engine.arrived.set()
