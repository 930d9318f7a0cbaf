"""FFmpeg's ``dash`` muxer through PyAV, over the shared source (see :mod:`.thirdparty`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from lxml import etree

from tests.support.sources import Rung, SourceMedia
from tests.support.streams import (
    CENC_NS,
    FPS,
    KEY,
    KID,
    LADDER_A,
    MPD_NS,
    SECONDS,
    SEGMENT_S,
    ThirdPartyStream,
    fresh_dir,
    memo,
    session_dir,
    source,
)

__all__ = ["DashLayout", "ffmpeg_dash", "signal_key"]


@dataclass(frozen=True)
class DashLayout:
    """Which addressing FFmpeg's dash muxer writes (its ``use_template`` / ``use_timeline``
    / ``single_file`` options)."""

    timeline: bool = False
    segment_list: bool = False
    single_file: bool = False

    @property
    def name(self) -> str:
        if self.segment_list:
            return "list-single" if self.single_file else "list"
        return "tl" if self.timeline else "num"

    def options(self, key: tuple[bytes, bytes] | None, audio: bool) -> dict[str, str]:
        opts = {
            "seg_duration": f"{SEGMENT_S:g}",
            "use_template": "0" if self.segment_list else "1",
            "use_timeline": "1" if self.timeline else "0",
            "single_file": "1" if self.single_file else "0",
            "adaptation_sets": "id=0,streams=v id=1,streams=a" if audio else "id=0,streams=v",
        }
        if key is not None:
            kid, content_key = key
            opts["format_options"] = (
                "encryption_scheme=cenc-aes-ctr:"
                f"encryption_key={content_key.hex()}:encryption_kid={kid.hex()}"
            )
        return opts


def _mux_dash(src: SourceMedia, mpd: Path, options: dict[str, str]) -> None:
    """Remux the source's packets through FFmpeg's dash muxer into ``mpd``'s directory."""
    with (
        av.open(str(src.path)) as inp,
        av.open(str(mpd), "w", format="dash", options=options) as out,
    ):
        streams = {}
        for s in inp.streams:
            o = out.add_stream_from_template(s)
            if s.type == "video":
                o.codec_context.bit_rate = src.ladder[s.index].kbps * 1000  # NUT drops it
            streams[s.index] = o
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


@memo
def ffmpeg_dash(
    *,
    timeline: bool = False,
    encrypted: bool = False,
    ladder: tuple[Rung, ...] = LADDER_A,
    seconds: float = SECONDS,
    first_frame_id: int = 0,
    audio: bool = True,
    kid: bytes = KID,
    segment_list: bool = False,
    single_file: bool = False,
    signal: bool = False,
) -> ThirdPartyStream:
    """FFmpeg's dash muxer over the source: 3 renditions (+ AAC), 2 s segments.

    Addressing: SegmentTemplate ``$Number%05d$`` + ``@duration`` (default), with a
    SegmentTimeline (``timeline``), a SegmentList of segment files (``segment_list``), or a
    SegmentList of ``mediaRange``/``indexRange`` into one file per representation with an
    ``Initialization@range`` (``segment_list`` + ``single_file``).
    ``encrypted``: ``cenc-aes-ctr`` with ``kid`` and :data:`KEY` (another ``kid`` gets
    the key ``kid XOR KEY``, so each KID has its own key). FFmpeg signals nothing in the
    MPD; ``signal`` adds mp4protection + ``cenc:default_KID`` and the DASH-IF ClearKey
    entry to each AdaptationSet of its MPD (the one edit made here).
    """
    src = source(ladder, seconds, first_frame_id, audio)
    key = KEY if kid == KID else bytes(a ^ b for a, b in zip(kid, KEY, strict=True))
    layout = DashLayout(timeline, segment_list, single_file)
    name = f"ffmpeg-{layout.name}-{kid.hex()[:6] if encrypted else 'clear'}{'-sig' * signal}"
    out_dir = session_dir() / f"{name}-{len(ladder)}r-{seconds:g}s-{first_frame_id}-{int(audio)}"
    fresh_dir(out_dir)
    mpd = out_dir / "manifest.mpd"
    _mux_dash(src, mpd, layout.options((kid, key) if encrypted else None, audio))
    if encrypted and signal:
        root = etree.parse(str(mpd)).getroot()
        for aset in root.iter(f"{{{MPD_NS}}}AdaptationSet"):
            signal_key(aset, kid, clearkey=True)
        mpd.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return ThirdPartyStream(
        tool="ffmpeg-dash" + (" (+ContentProtection)" if encrypted and signal else ""),
        dir=out_dir,
        mpd=mpd,
        frame_count=src.frame_count,
        fps=FPS,
        first_frame_id=first_frame_id,
        reference=src.reference,
        keys={kid: key} if encrypted else {},
    )


def signal_key(aset: etree._Element, kid: bytes, *, clearkey: bool = False) -> None:
    """Insert mp4protection + ``cenc:default_KID`` (and the DASH-IF ClearKey entry)."""
    cp = etree.Element(f"{{{MPD_NS}}}ContentProtection", nsmap={"cenc": CENC_NS})
    cp.set("schemeIdUri", "urn:mpeg:dash:mp4protection:2011")
    cp.set("value", "cenc")
    h = kid.hex()
    cp.set(f"{{{CENC_NS}}}default_KID", f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    aset.insert(0, cp)
    if clearkey:
        ck = etree.Element(f"{{{MPD_NS}}}ContentProtection")
        ck.set("schemeIdUri", "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e")
        ck.set("value", "ClearKey1.0")
        aset.insert(1, ck)
