"""``python -m fake_backend.packager OUT_DIR``: encode a synthetic title and write its files.

With ``--scheme`` the title is packaged (protection, MPD, output options; see
:mod:`fake_backend.packager.cli_package`). Prints the ``title.json`` summary (without the
per-segment list) as JSON on stdout. Exit status 0 on success, 2 on bad arguments or a
packager error (printed as the error's JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from fake_backend.packager.cli_package import add_package_arguments, package_from_args
from fake_backend.packager.errors import PackagerError
from fake_backend.packager.media_factory import encode_title
from fake_backend.packager.spec import DEMO_LADDER, TEST_LADDER, TitleSpec

__all__ = ["main"]

_LADDERS = {"test": TEST_LADDER, "demo": DEMO_LADDER}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fake_backend.packager", description=__doc__)
    parser.add_argument("out_dir", help="directory to write <rendition>/init.mp4, seg-<n>.m4s")
    parser.add_argument("--title-id", default="synthetic")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--segment", type=float, default=2.0, help="segment seconds (default 2)")
    parser.add_argument("--ladder", choices=sorted(_LADDERS), default="test")
    parser.add_argument("--preset", default="veryfast", help="libx264 preset")
    parser.add_argument("--no-audio", action="store_true")
    add_package_arguments(parser)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.scheme is not None:
        try:
            summary = package_from_args(args, _LADDERS[args.ladder])
        except PackagerError as exc:
            print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
            return 2
        except ValueError as exc:  # an option out of range (PackageOptions, ThumbnailSpec)
            parser.error(str(exc))
        summary["encode_seconds"] = round(time.perf_counter() - started, 3)
        print(json.dumps(summary, indent=2))
        return 0
    try:
        spec = TitleSpec(
            args.title_id,
            args.duration,
            _LADDERS[args.ladder],
            fps=args.fps,
            segment_duration_s=args.segment,
            audio=not args.no_audio,
            preset=args.preset,
        )
        title = encode_title(spec)
        written = title.write(args.out_dir)
    except PackagerError as exc:
        print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
        return 2
    summary = title.describe()
    for r in summary["renditions"]:
        r["segment_count"] = len(r.pop("segments"))
    summary["files"] = len(written)
    summary["encode_seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
