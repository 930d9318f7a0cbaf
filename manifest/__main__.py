"""``python -m manifest inspect FILE [--base-url URL] [--now ISO8601] [--json]`` (nrdp-mpd).

The one I/O shell of the package: reads the MPD file (or stdin for ``-``) and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from manifest.errors import ManifestError
from manifest.isotime import parse_datetime
from manifest.parse import parse_mpd
from manifest.summary import summarize

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nrdp-mpd", description="Inspect DASH MPDs.")
    sub = p.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="print periods, sets, representations and segments")
    ins.add_argument("path", help="MPD file, or - for stdin")
    ins.add_argument("--base-url", help="URL the MPD was fetched from (default: file URI)")
    ins.add_argument(
        "--now", help="wall-clock time for live MPDs, ISO 8601 (e.g. 2026-01-01T00:00:00Z)"
    )
    ins.add_argument("--json", action="store_true", help="print the JSON summary")
    return p


def _print_text(s: dict[str, Any]) -> None:
    w = sys.stdout.write
    w(f"MPD {s['type']} duration={s['media_presentation_duration']} url={s['url']}\n")
    if s["availability_start_time"]:
        w(
            f"  availabilityStartTime={s['availability_start_time']} "
            f"timeShiftBufferDepth={s['time_shift_buffer_depth']} "
            f"minimumUpdatePeriod={s['minimum_update_period']}\n"
        )
    for warning in s["warnings"]:
        w(
            f"  warning {warning['kind']}: {warning['path']} (line {warning['line']}): "
            f"{warning['detail']}\n"
        )
    for p in s["periods"]:
        w(f"Period id={p['id']} start={p['start']} duration={p['duration']}\n")
        for a in p["adaptation_sets"]:
            w(
                f"  AdaptationSet id={a['id']} {a['content_type']} {a['mime_type']} "
                f"lang={a['lang']}\n"
            )
            for c in a["content_protection"]:
                w(
                    f"    protection {c['scheme_id_uri']} scheme={c['scheme']} "
                    f"kid={c['default_kid']} license={c['license_url']}\n"
                )
            for r in a["representations"]:
                res = f"{r['width']}x{r['height']}" if r["width"] else "-"
                total = "-" if r["total_duration"] is None else f"{r['total_duration']}s"
                w(
                    f"    Representation id={r['id']} bw={r['bandwidth']} codecs={r['codecs']} "
                    f"mime={r['mime_type']} res={res} {r['addressing']} "
                    f"segments={r['segment_count']} total={total}\n"
                )
                if r["addressing_error"]:
                    w(f"      addressing: {r['addressing_error']['message']}\n")
                if r["init"]:
                    w(f"      init {r['init']['url']} {r['init']['byte_range'] or ''}\n")
                for seg in r["first_segments"]:
                    w(
                        f"      #{seg['number']} {seg['start']}s {seg['url']} "
                        f"{seg['byte_range'] or ''}\n"
                    )
                if r["last_segment"] and r["segment_count"] > 3:
                    seg = r["last_segment"]
                    w(
                        f"      ... #{seg['number']} {seg['start']}s {seg['url']} "
                        f"{seg['byte_range'] or ''}\n"
                    )
                for c in r["base_url_candidates"]:
                    w(
                        f"      base {c['url']} location={c['service_location']} "
                        f"priority={c['priority']} weight={c['weight']}\n"
                    )
                for c in r["content_protection"]:
                    w(
                        f"      protection {c['system_id'] or c['scheme_id_uri']} "
                        f"scheme={c['scheme']} kid={c['default_kid']} "
                        f"license={c['license_url']}\n"
                    )


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    now = None
    if args.now:
        now = parse_datetime(args.now)
        if now is None:
            sys.stderr.write(f"--now: not an ISO 8601 date-time: {args.now!r}\n")
            return 2
    try:
        if args.path == "-":
            data = sys.stdin.buffer.read()
            url = args.base_url or ""
        else:
            path = Path(args.path)
            data = path.read_bytes()
            url = args.base_url or path.resolve().as_uri()
    except OSError as exc:
        sys.stderr.write(f"cannot read {args.path}: {exc.strerror}\n")
        return 2
    try:
        manifest = parse_mpd(data, url)
        summary = summarize(manifest, now=now)
    except ManifestError as exc:
        if args.json:
            sys.stdout.write(json.dumps({"error": exc.to_dict()}, indent=2) + "\n")
        sys.stderr.write(f"{exc}\n")
        return 1
    try:
        if args.json:
            sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        else:
            _print_text(summary)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` closed the pipe: not an error of ours
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
