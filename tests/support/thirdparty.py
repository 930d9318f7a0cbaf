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

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tests.support.ffmpeg_dash import DashLayout, ffmpeg_dash, signal_key
from tests.support.shaka import ToolUnavailable, rotated_keys, shaka_packager, shaka_packager_path
from tests.support.streams import (
    FPS,
    KEY,
    KID,
    LADDER_A,
    LADDER_B,
    MPD_NS,
    SEGMENT_S,
    ThirdPartyStream,
    fresh_dir,
    memo,
    session_dir,
    source,
)

__all__ = [
    "FPS",
    "KEY",
    "KID",
    "KID_2",
    "LADDER_A",
    "LADDER_B",
    "SEGMENT_S",
    "BadSources",
    "DashLayout",
    "ThirdPartyStream",
    "ToolUnavailable",
    "bad_sources",
    "ffmpeg_dash",
    "rotated_keys",
    "session_dir",
    "shaka_packager",
    "shaka_packager_path",
    "source",
    "two_period",
]

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


@memo
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
    out_dir = fresh_dir(session_dir() / f"two-period-{int(encrypted_second)}-{int(audio)}")
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
            signal_key(aset, KID_2)
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


@memo
def bad_sources() -> BadSources:
    good = ffmpeg_dash(encrypted=True, signal=True)
    root = fresh_dir(session_dir() / "bad-sources")
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
