"""The packager CLI's package mode: a protected (or clear) title with its MPD and options.

``python -m fake_backend.packager OUT_DIR --scheme cenc --key KID:KEY [...]`` goes through
:func:`~fake_backend.packager.package.package_title` instead of writing bare renditions;
the output options (on-demand profile, media time offset, key rotation, thumbnail tiles)
map one flag each onto :class:`~fake_backend.packager.options.PackageOptions`.
"""

from __future__ import annotations

import argparse
from typing import Any

from fake_backend.packager.catalog_specs import AudioTrackSpec, PackageSpec
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package import package_title
from fake_backend.packager.spec import RungSpec
from fake_backend.packager.thumbnails import ThumbnailSpec

__all__ = ["add_package_arguments", "package_from_args", "parse_grid", "parse_key"]


def parse_key(text: str) -> tuple[bytes, bytes]:
    """``KID:KEY``, 32 hex digits each (dashes in the KID allowed)."""
    kid, sep, key = text.partition(":")
    try:
        pair = bytes.fromhex(kid.replace("-", "")), bytes.fromhex(key)
    except ValueError:
        pair = (b"", b"")
    if not sep or len(pair[0]) != 16 or len(pair[1]) != 16:
        raise argparse.ArgumentTypeError(f"{text!r} is not KID:KEY (32 hex digits each)")
    return pair


def parse_grid(text: str) -> tuple[int, int]:
    """``CxR``: columns x rows of a thumbnail tile."""
    cols, sep, rows = text.lower().partition("x")
    if not sep or not cols.isdigit() or not rows.isdigit() or int(cols) < 1 or int(rows) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not COLUMNSxROWS, e.g. 5x2")
    return int(cols), int(rows)


def add_package_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("package mode (MPD + protection; on when --scheme is given)")
    g.add_argument("--scheme", choices=("clear", "cenc", "cbcs"))
    g.add_argument(
        "--key",
        type=parse_key,
        action="append",
        default=[],
        metavar="KID:KEY",
        help="content key; video uses the first, audio the second (or the first)",
    )
    g.add_argument("--license-url", help="written as the ClearKey entry's dashif:Laurl")
    g.add_argument("--on-demand", action="store_true", help="SegmentBase + sidx, one file each")
    g.add_argument("--media-time-offset", type=float, default=0.0, metavar="S")
    g.add_argument(
        "--rotate-every",
        type=int,
        default=0,
        metavar="N",
        help="key rotation: a new key every N segments, cycling through every --key",
    )
    g.add_argument("--thumbnails", type=parse_grid, metavar="CxR", help="DASH-IF tiles")
    g.add_argument("--thumbnail-interval", type=float, default=1.0, metavar="S")


def _options(args: argparse.Namespace, kids: list[bytes]) -> PackageOptions:
    rotation: dict[str, tuple[bytes, ...]] = {}
    if args.rotate_every:
        rotation = {"video": tuple(kids), "audio": tuple(kids)} if args.scheme != "clear" else {}
    thumbs = None
    if args.thumbnails is not None:
        cols, rows = args.thumbnails
        thumbs = ThumbnailSpec(columns=cols, rows=rows, interval_s=args.thumbnail_interval)
    return PackageOptions(
        on_demand=args.on_demand,
        media_time_offset_s=args.media_time_offset,
        rotation=rotation,
        crypto_period_segments=max(1, args.rotate_every),
        thumbnails=thumbs,
    )


def package_from_args(args: argparse.Namespace, rungs: tuple[RungSpec, ...]) -> dict[str, Any]:
    """Package per ``args``; the title's description (no keys) for the CLI to print."""
    spec = PackageSpec(
        args.title_id,
        args.title_id,
        args.duration,
        rungs,
        fps=args.fps,
        segment_duration_s=args.segment,
        scheme=args.scheme,
        audio=() if args.no_audio else (AudioTrackSpec("audio"),),
        preset=args.preset,
    )
    keys = dict(args.key)
    kids = list(keys)
    by_kind = {}
    if kids:
        by_kind = {"video": kids[0], "audio": kids[1] if len(kids) > 1 else kids[0]}
    title = package_title(
        spec,
        args.out_dir,
        keys=keys,
        kids=by_kind,
        license_url=args.license_url,
        options=_options(args, kids),
    )
    summary = title.describe()
    for t in summary["tracks"]:
        t["segment_count"] = len(t.pop("segments"))
    summary["files"] = len(title.files)
    return summary
