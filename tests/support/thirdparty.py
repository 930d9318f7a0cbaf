"""DASH content made by other people's tools, for end-to-end tests of the player.

Nothing here uses our packager or MPD writer: FFmpeg's ``dash`` muxer (through PyAV) and
shaka-packager write the segments and the MPD; only the picture (with its frame-id band) and
the H.264 encode are ours (:mod:`tests.support.sources`). Every generator returns a
:class:`ThirdPartyStream` and is cached for the test session (same arguments, same
directory), so several tests can share one encode::

    from tests.support.thirdparty import ffmpeg_dash
    stream = ffmpeg_dash(timeline=True, encrypted=True)
    stream.mpd, stream.keys, stream.frame_count, stream.reference[360]

What each tool supports through these generators (checked by tests/support/):

* FFmpeg ``dash`` (PyAV): SegmentTemplate with ``$Number%05d$`` and ``@duration``
  (``timeline=False``) or a SegmentTimeline (``timeline=True``), SegmentList of files or of
  byte ranges into one file (``segment_list``, ``single_file``); ``cenc-aes-ctr``
  encryption through the mp4 sub-muxer's ``format_options`` (the init gets encv/tenc, the
  segments senc/saiz/saio; FFmpeg writes no ContentProtection into the MPD and no pssh).
* shaka-packager (``NRDP_SHAKA_PACKAGER``): on-demand profile (SegmentBase + sidx, one file
  per representation), raw-key ClearKey encryption (mp4protection + ``cenc:default_KID``
  and a W3C common pssh in the MPD), ``--crypto_period_duration`` key rotation (``seig``
  groups, one KID per crypto period; its raw-key source derives them by rotating the
  given KID/key left by the period index).
"""

from __future__ import annotations

import atexit
import functools
import inspect
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

import av
from lxml import etree

from tests.support.sources import Rung, SourceMedia, encode_source, remux_to_mp4

__all__ = [
    "FPS",
    "KEY",
    "KID",
    "LADDER_A",
    "LADDER_B",
    "SEGMENT_S",
    "ThirdPartyStream",
    "ffmpeg_dash",
    "session_dir",
    "source",
]

FPS = 24
SEGMENT_S = 2.0
SECONDS = 6.0
LADDER_A = (Rung(256, 144, 250), Rung(384, 216, 400), Rung(640, 360, 800))
LADDER_B = (Rung(320, 180, 300), Rung(512, 288, 600))
KID = bytes.fromhex("0123456789abcdef0123456789abcdef")
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
CENC_NS = "urn:mpeg:cenc:2013"


@dataclass(frozen=True)
class ThirdPartyStream:
    """One generated presentation: ``mpd`` under ``dir`` (serve ``dir`` as the origin)."""

    tool: str
    dir: Path
    mpd: Path
    frame_count: int
    """Video frames of the whole presentation (every Period)."""
    fps: int
    first_frame_id: int
    reference: Mapping[int, tuple[str, ...]]
    """Rendition height -> per-frame luma digests (:func:`tests.support.sources.frame_hash`)
    of the clear source, in presentation order (for a multi-Period stream: only the heights
    present in every Period... see :func:`two_period`)."""
    keys: Mapping[bytes, bytes] = field(default_factory=dict)
    """KID -> content key (empty when clear)."""

    @property
    def encrypted(self) -> bool:
        return bool(self.keys)

    @property
    def frame_ids(self) -> range:
        """The frame ids stamped into the pictures, in presentation order."""
        return range(self.first_frame_id, self.first_frame_id + self.frame_count)

    @property
    def mpd_name(self) -> str:
        return self.mpd.relative_to(self.dir).as_posix()


P = ParamSpec("P")
R = TypeVar("R")


def _memo(fn: Callable[P, R]) -> Callable[P, R]:
    """Cache by argument *values* (``f()`` and ``f(x=default)`` share one result and dir)."""
    sig = inspect.signature(fn)
    cache: dict[tuple[tuple[str, object], ...], R] = {}

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    return wrapper


def _fresh_dir(path: Path) -> Path:
    """An empty ``path`` (a half-written one from a failed earlier call is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@functools.cache
def session_dir() -> Path:
    """A directory for this process's generated content, removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="nrdp-thirdparty-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@_memo
def source(
    ladder: tuple[Rung, ...] = LADDER_A,
    seconds: float = SECONDS,
    first_frame_id: int = 0,
    audio: bool = True,
) -> SourceMedia:
    """The encoded picture (cached): what every generator repackages."""
    name = f"source-{len(ladder)}r-{seconds:g}s-{first_frame_id}-{int(audio)}.nut"
    return encode_source(
        session_dir() / name,
        ladder,
        fps=FPS,
        seconds=seconds,
        gop_s=SEGMENT_S,
        first_frame_id=first_frame_id,
        audio=audio,
    )


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


@_memo
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
    _fresh_dir(out_dir)
    mpd = out_dir / "manifest.mpd"
    _mux_dash(src, mpd, layout.options((kid, key) if encrypted else None, audio))
    if encrypted and signal:
        root = etree.parse(str(mpd)).getroot()
        for aset in root.iter(f"{{{MPD_NS}}}AdaptationSet"):
            _signal_key(aset, kid, clearkey=True)
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


def _signal_key(aset: etree._Element, kid: bytes, *, clearkey: bool = False) -> None:
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


# ------------------------------------------------------------------------- shaka-packager


class ToolUnavailable(RuntimeError):
    """The third-party tool is not installed here (tests skip on it)."""


def shaka_packager_path() -> Path | None:
    """``NRDP_SHAKA_PACKAGER`` when it names an executable file, else None."""
    value = os.environ.get("NRDP_SHAKA_PACKAGER", "")
    path = Path(value) if value else None
    return path if path is not None and path.is_file() and os.access(path, os.X_OK) else None


def rotated_keys(kid: bytes, key: bytes, periods: int) -> dict[bytes, bytes]:
    """shaka-packager's raw-key rotation: period i uses KID and key rotated left by i bytes."""
    return {kid[i:] + kid[:i]: key[i:] + key[:i] for i in range(periods)}


def _shaka_stream_args(src: SourceMedia, inputs: list[Path], on_demand: bool) -> list[str]:
    args = []
    for k, path in enumerate(inputs):
        kind = "audio" if src.audio and k == len(inputs) - 1 else "video"
        name = "audio" if kind == "audio" else f"v{src.ladder[k].height}"
        if on_demand:
            args.append(f"in={path},stream={kind},output={name}.mp4")
        else:
            args.append(
                f"in={path},stream={kind},init_segment={name}/init.mp4,"
                f"segment_template={name}/$Number$.m4s"
            )
    return args


@_memo
def shaka_packager(
    *,
    on_demand: bool = True,
    encrypted: bool = False,
    key_rotation: bool = False,
    seconds: float = SECONDS,
    audio: bool = True,
) -> ThirdPartyStream:
    """shaka-packager over the source's ladder: on-demand (SegmentBase + sidx, one file per
    representation) or live-profile SegmentTemplate (static MPD); raw-key ClearKey ``cenc``
    with no clear lead; ``key_rotation`` adds ``--crypto_period_duration`` = one segment."""
    binary = shaka_packager_path()
    if binary is None:
        raise ToolUnavailable("shaka-packager not found: set NRDP_SHAKA_PACKAGER")
    src = source(LADDER_A, seconds, 0, audio)
    tag = f"{'od' if on_demand else 'live'}-{int(encrypted)}{int(key_rotation)}-{seconds:g}"
    out_dir = _fresh_dir(session_dir() / f"shaka-{tag}-{int(audio)}")
    inputs = [
        remux_to_mp4(src, k, out_dir / f"source-{k}.mp4")
        for k in range(len(src.ladder) + int(audio))
    ]
    cmd = [str(binary), *_shaka_stream_args(src, inputs, on_demand)]
    cmd += ["--segment_duration", f"{SEGMENT_S:g}", "--mpd_output", "manifest.mpd"]
    if not on_demand:
        cmd.append("--generate_static_live_mpd")
    keys: dict[bytes, bytes] = {}
    if encrypted or key_rotation:
        cmd += ["--enable_raw_key_encryption", "--clear_lead", "0"]
        cmd += ["--keys", f"label=:key_id={KID.hex()}:key={KEY.hex()}"]
        cmd += ["--protection_systems", "CommonSystem"]
        keys = {KID: KEY}
    if key_rotation:
        cmd += ["--crypto_period_duration", f"{SEGMENT_S:g}"]
        keys = rotated_keys(KID, KEY, math.ceil(seconds / SEGMENT_S))
    done = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"shaka-packager failed ({done.returncode}): {done.stderr[-2000:]}")
    for path in inputs:
        path.unlink()
    return ThirdPartyStream(
        tool="shaka-packager",
        dir=out_dir,
        mpd=out_dir / "manifest.mpd",
        frame_count=src.frame_count,
        fps=FPS,
        first_frame_id=0,
        reference=src.reference,
        keys=keys,
    )


# ------------------------------------------------------------------------- two Periods

KID_2 = bytes.fromhex("fedcba9876543210fedcba9876543210")


def _adaptation_sets(mpd: Path) -> list[etree._Element]:
    root = etree.parse(str(mpd)).getroot()
    return list(root.iterfind(f"{{{MPD_NS}}}Period/{{{MPD_NS}}}AdaptationSet"))


def _shift_templates(aset: etree._Element, skip_segments: int) -> None:
    """Start the Period ``skip_segments`` into the stream: startNumber + PTO on each template."""
    for template in aset.iter(f"{{{MPD_NS}}}SegmentTemplate"):
        duration = int(template.get("duration", "0"))
        if not duration:
            raise ValueError("two_period needs @duration templates (use_timeline=0)")
        template.set("startNumber", str(int(template.get("startNumber", "1")) + skip_segments))
        template.set("presentationTimeOffset", str(duration * skip_segments))


def _period(pid: str, start_s: float, duration_s: float, base: str) -> etree._Element:
    period = etree.Element(f"{{{MPD_NS}}}Period", id=pid)
    period.set("start", f"PT{start_s:g}S")
    period.set("duration", f"PT{duration_s:g}S")
    etree.SubElement(period, f"{{{MPD_NS}}}BaseURL").text = base
    return period


@_memo
def two_period(*, encrypted_second: bool = True, audio: bool = True) -> ThirdPartyStream:
    """Two FFmpeg streams back to back in one static MPD (composed here, media by FFmpeg).

    Period 1: :data:`LADDER_A` (3 renditions), 4 s, frames 0..95, clear. Period 2:
    :data:`LADDER_B` (2 other sizes) starting 2 s into a 6 s stream (``startNumber=2``,
    ``presentationTimeOffset`` = 2 s), frames 96..191, ``cenc`` with :data:`KID_2` (signalled
    with mp4protection + ``cenc:default_KID``) unless ``encrypted_second`` is False. Frame
    ids run on across the boundary. ``reference[h]`` covers only the frames of the Period
    whose ladder has height ``h``.
    """
    first = ffmpeg_dash(ladder=LADDER_A, seconds=4.0, audio=audio)
    skip = 1
    offset = first.frame_count - round(skip * SEGMENT_S * FPS)
    second = ffmpeg_dash(
        ladder=LADDER_B,
        seconds=6.0,
        first_frame_id=offset,
        audio=audio,
        encrypted=encrypted_second,
        kid=KID_2,
    )
    out_dir = _fresh_dir(session_dir() / f"two-period-{int(encrypted_second)}-{int(audio)}")
    shutil.copytree(first.dir, out_dir / "p1")
    shutil.copytree(second.dir, out_dir / "p2")
    root = etree.parse(str(first.mpd)).getroot()
    for old in root.findall(f"{{{MPD_NS}}}Period"):
        root.remove(old)
    second_s = second.frame_count / FPS - skip * SEGMENT_S
    p1 = _period("p1", 0.0, first.frame_count / FPS, "p1/")
    p1.extend(_adaptation_sets(first.mpd))
    p2 = _period("p2", first.frame_count / FPS, second_s, "p2/")
    for aset in _adaptation_sets(second.mpd):
        _shift_templates(aset, skip)
        if encrypted_second:
            _signal_key(aset, KID_2)
        p2.append(aset)
    root.extend([p1, p2])
    root.set("mediaPresentationDuration", f"PT{first.frame_count / FPS + second_s:g}S")
    mpd = out_dir / "manifest.mpd"
    mpd.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    skipped = first.frame_count - offset
    reference = dict(first.reference)
    reference.update({h: hashes[skipped:] for h, hashes in second.reference.items()})
    return ThirdPartyStream(
        tool="ffmpeg-dash x2 (composed)",
        dir=out_dir,
        mpd=mpd,
        frame_count=first.frame_count + second.frame_count - skipped,
        fps=FPS,
        first_frame_id=0,
        reference=reference,
        keys=dict(second.keys),
    )


# ------------------------------------------------------------------------- bad sources


@dataclass(frozen=True)
class BadSources:
    """Broken inputs for the player's typed-error tests, all under ``dir`` (serve it).

    ``missing_mpd``: a name with no file (404). ``html_mpd``: an HTML page where the MPD
    should be. ``segments_404_mpd``: FFmpeg's MPD with none of its media next to it.
    ``encrypted_mpd`` + ``wrong_keys``: a real encrypted stream and keys that do not open it
    (right KID, wrong key). ``good``: that stream, for the happy path next to the failures.
    """

    dir: Path
    missing_mpd: str
    html_mpd: str
    segments_404_mpd: str
    encrypted_mpd: str
    wrong_keys: Mapping[bytes, bytes]
    good: ThirdPartyStream


@_memo
def bad_sources() -> BadSources:
    good = ffmpeg_dash(encrypted=True, signal=True)
    root = _fresh_dir(session_dir() / "bad-sources")
    shutil.copytree(good.dir, root / "enc")
    (root / "html").mkdir()
    (root / "html" / "manifest.mpd").write_text(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>portal</body></html>\n"
    )
    (root / "nomedia").mkdir()
    shutil.copy(good.mpd, root / "nomedia" / "manifest.mpd")
    wrong = {kid: bytes(b ^ 0xFF for b in key) for kid, key in good.keys.items()}
    return BadSources(
        dir=root,
        missing_mpd="missing/manifest.mpd",
        html_mpd="html/manifest.mpd",
        segments_404_mpd="nomedia/manifest.mpd",
        encrypted_mpd="enc/manifest.mpd",
        wrong_keys=wrong,
        good=good,
    )
