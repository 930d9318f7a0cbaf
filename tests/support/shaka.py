"""shaka-packager (``NRDP_SHAKA_PACKAGER``) over the shared source (see :mod:`.thirdparty`)."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

from tests.support.sources import SourceMedia, remux_to_mp4
from tests.support.streams import (
    FPS,
    KEY,
    KID,
    LADDER_A,
    SECONDS,
    SEGMENT_S,
    ThirdPartyStream,
    fresh_dir,
    memo,
    session_dir,
    source,
)

__all__ = ["ToolUnavailable", "rotated_keys", "shaka_packager", "shaka_packager_path"]


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


@memo
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
    out_dir = fresh_dir(session_dir() / f"shaka-{tag}-{int(audio)}")
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
