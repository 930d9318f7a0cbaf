"""DASH content that nobody here made: FFmpeg's ``dash`` muxer (through PyAV) writes the
segments and the MPD, at test time; the only thing of ours is the moving picture. The
reference for every frame is PyAV's own decode of each rendition's files.

``two_period_mpd`` joins two such streams (different ladders; the second one's media time
starts at ``ts_offset`` and its Period says so with ``presentationTimeOffset``) into one
MPD with two Periods; the XML is edited, not written by us.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from mediacore.boxes import iter_boxes
from nrdp.media.sinks import luma_digest

FPS = 24
NS = "urn:mpeg:dash:schema:mpd:2011"
LADDER_A = ((256, 144, 150), (384, 216, 300), (640, 360, 600))
LADDER_B = ((320, 180, 200), (512, 288, 450))


@dataclass(frozen=True)
class FfmpegDash:
    dir: Path
    frames: int
    reference: dict[str, list[str]]
    """Representation id -> luma digests of its frames in presentation order."""

    @property
    def mpd(self) -> Path:
        return self.dir / "manifest.mpd"


def _picture(i: int, seed: int) -> av.VideoFrame:
    yy, xx = np.mgrid[0:360, 0:640]
    img = np.empty((360, 640, 3), np.uint8)
    img[..., 0] = (xx + i * 7 + seed) % 256
    img[..., 1] = (yy * 2 + i * 13) % 256
    img[..., 2] = (i * 5 + seed * 3) % 256
    return av.VideoFrame.from_ndarray(img, format="rgb24")


def make_ffmpeg_dash(
    dest: Path,
    *,
    timeline: bool,
    ladder: tuple[tuple[int, int, int], ...] = LADDER_A,
    frames: int = 48,
    ts_offset: float = 0.0,
    seed: int = 0,
    key: tuple[bytes, bytes] | None = None,
    single_file: bool = False,
) -> FfmpegDash:
    """``frames`` at 24 fps, 1 s segments, one H.264 rendition per ``ladder`` entry;
    ``key`` = (KID, key): ``cenc-aes-ctr`` by FFmpeg's mp4 muxer (no ContentProtection in
    the MPD: the KID is only in the init's ``tenc``)."""
    dest.mkdir(parents=True, exist_ok=True)
    opts = {
        "seg_duration": "1",
        "use_template": "1",
        "use_timeline": "1" if timeline else "0",
        "adaptation_sets": "id=0,streams=v",
        "output_ts_offset": str(ts_offset),
    }
    if single_file:  # one file per rendition, SegmentList with mediaRange, a global sidx
        opts.update(use_template="0", use_timeline="0", single_file="1", global_sidx="1")
    if key is not None:
        opts["format_options"] = (
            f"encryption_scheme=cenc-aes-ctr:encryption_key={key[1].hex()}:"
            f"encryption_kid={key[0].hex()}"
        )
    with av.open(str(dest / "manifest.mpd"), "w", format="dash", options=opts) as out:
        streams = []
        for w, h, kbps in ladder:
            s = out.add_stream("libx264", rate=FPS)
            s.width, s.height, s.pix_fmt, s.bit_rate = w, h, "yuv420p", kbps * 1000
            s.codec_context.gop_size = FPS
            s.options = {"preset": "ultrafast", "bf": "0", "sc_threshold": "0"}
            streams.append(s)
        for i in range(frames):
            picture = _picture(i, seed)
            for s in streams:
                f = picture.reformat(s.width, s.height, "yuv420p")
                f.pts, f.time_base = i, Fraction(1, FPS)
                out.mux(s.encode(f))
        for s in streams:
            out.mux(s.encode(None))
    secret = key[1] if key is not None else None
    reference = {str(k): _decode(dest, k, secret) for k in range(len(ladder))}
    if single_file:
        _segment_base_mpd(dest, len(ladder))
    return FfmpegDash(dest, frames, reference)


def _segment_base_mpd(dest: Path, renditions: int) -> None:
    """``segbase.mpd``: FFmpeg's MPD with each SegmentList replaced by the SegmentBase
    (Initialization range + indexRange) of the same file: its own ``sidx`` box."""
    ET.register_namespace("", NS)
    doc = ET.parse(dest / "manifest.mpd")
    for rep in doc.getroot().iter(f"{{{NS}}}Representation"):
        seg_list = rep.find(f"{{{NS}}}SegmentList")
        assert seg_list is not None
        data = (dest / f"manifest-stream{rep.get('id')}.mp4").read_bytes()
        sidx = next(b for b in iter_boxes(data) if b.type == "sidx")
        base = ET.Element(f"{{{NS}}}SegmentBase")
        base.set("timescale", seg_list.get("timescale", "1"))
        base.set("indexRange", f"{sidx.offset}-{sidx.offset + sidx.size - 1}")
        init = ET.SubElement(base, f"{{{NS}}}Initialization")
        init.set("range", f"0-{sidx.offset - 1}")
        rep.remove(seg_list)
        rep.append(base)
    assert renditions >= 1
    doc.write(dest / "segbase.mpd", xml_declaration=True, encoding="utf-8")


def _decode(dest: Path, k: int, key: bytes | None = None) -> list[str]:
    single = dest / f"manifest-stream{k}.mp4"
    if single.exists():
        data = single.read_bytes()
    else:
        data = (dest / f"init-stream{k}.m4s").read_bytes()
        for seg in sorted(dest.glob(f"chunk-stream{k}-*.m4s")):
            data += seg.read_bytes()
    out: list[tuple[float, str]] = []
    options = {"decryption_key": key.hex()} if key is not None else {}
    with av.open(io.BytesIO(data), options=options) as c:
        for frame in c.decode(video=0):
            plane = frame.planes[0]
            rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
            out.append((float(frame.pts * frame.time_base), luma_digest(rows[:, : frame.width])))
    return [d for _, d in sorted(out)]


def two_period_mpd(
    root: Path,
    a: FfmpegDash,
    b: FfmpegDash,
    ts_offset: float,
    *,
    name: str = "two.mpd",
    b_mpd: str = "manifest.mpd",
) -> Path:
    """``root/name``: Period 1 = stream ``a`` (under ``a.dir``), Period 2 = stream ``b``
    (its ``b_mpd``) from ``a``'s end, its templates given ``presentationTimeOffset =
    ts_offset``."""
    ET.register_namespace("", NS)
    doc_a, doc_b = ET.parse(a.mpd), ET.parse(b.dir / b_mpd)
    mpd = doc_a.getroot()
    p1 = mpd.find(f"{{{NS}}}Period")
    p2 = doc_b.getroot().find(f"{{{NS}}}Period")
    assert p1 is not None and p2 is not None
    first_s = a.frames / FPS
    total = first_s + b.frames / FPS
    for period, stream, pid in ((p1, a, "one"), (p2, b, "two")):
        period.set("id", pid)
        base = ET.Element(f"{{{NS}}}BaseURL")
        base.text = f"{stream.dir.relative_to(root).as_posix()}/"
        period.insert(0, base)
    p2.set("start", f"PT{first_s:g}S")
    for tpl in p2.iter(f"{{{NS}}}SegmentTemplate"):
        tpl.set("presentationTimeOffset", str(round(ts_offset * int(tpl.get("timescale", "1")))))
    mpd.append(p2)
    mpd.set("mediaPresentationDuration", f"PT{total:g}S")
    out = root / name
    doc_a.write(out, xml_declaration=True, encoding="utf-8")
    return out
