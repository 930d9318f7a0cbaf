"""``python -m abr``: compare algorithms over trace sets, or plot one session.

This module (with ``report`` and ``parallel``) is the only part of ``abr`` that touches
files, the terminal or processes.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from abr import registry
from abr.errors import TraceFormatError, VideoFormatError
from abr.sim.parallel import Job, map_units, run_trace
from abr.sim.qoe import metrics
from abr.sim.simulator import PENSIEVE, SABRE, SimConfig, run
from abr.sim.traces import FORMATS, Trace, parse_trace
from abr.sim.video import Video, parse_video_json
from mediacore.errors import SdkError

__all__ = ["build_parser", "load_trace", "load_trace_dir", "load_video", "main"]

U = TypeVar("U")
R = TypeVar("R")

PRESETS = {"pensieve": PENSIEVE, "sabre": SABRE}
PEERS = ("bb", "rb", "bba0", "bba1", "bba2", "throughput", "bola", "bola-e", "dynamic", "robustmpc")


def load_trace(path: Path, fmt: str = "kbps") -> Trace:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(
            f"cannot read: {exc}", source=str(path), line=0, reason="io"
        ) from None
    return parse_trace(text, path.stem, fmt)


def load_trace_dir(path: Path, fmt: str = "kbps") -> list[Trace]:
    if not path.is_dir():
        raise TraceFormatError("not a directory", source=str(path), line=0, reason="io")
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise TraceFormatError("no trace files", source=str(path), line=0, reason="empty")
    return [load_trace(p, fmt) for p in files]


def load_video(path: Path) -> Video:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VideoFormatError(f"cannot read: {exc}", source=str(path), field="") from None
    return parse_video_json(text, str(path))


def _config(args: argparse.Namespace) -> SimConfig:
    base = PRESETS[args.preset]
    changes = {}
    for key in ("latency_s", "payload_fraction", "buffer_cap_s", "segments"):
        value = getattr(args, key)
        if value is not None:
            changes[key] = value
    if args.abandon:
        changes["abandon"] = True
    cfg = SimConfig(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})
    cfg.validate()
    return cfg


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m abr", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--video", required=True, type=Path, help="video JSON (ladder + sizes)")
        sp.add_argument("--trace-format", default="kbps", choices=FORMATS)
        sp.add_argument(
            "--preset",
            default="pensieve",
            choices=sorted(PRESETS),
            help="simulator timing (default: pensieve = ANCHORS.md settings)",
        )
        sp.add_argument("--latency-s", dest="latency_s", type=float)
        sp.add_argument("--payload-fraction", dest="payload_fraction", type=float)
        sp.add_argument("--buffer-cap-s", dest="buffer_cap_s", type=float)
        sp.add_argument("--segments", type=int, help="segments per session")
        sp.add_argument("--abandon", action="store_true", help="enable download abandonment")

    c = sub.add_parser("compare", help="run algorithms over trace directories")
    c.add_argument("--traces", nargs="+", required=True, type=Path, help="trace directories")
    common(c)
    c.add_argument(
        "--algorithms", default=None, help="comma-separated names (default: all peers + default)"
    )
    c.add_argument("--json", type=Path, help="write the summary JSON here")
    c.add_argument("--plot", type=Path, help="write a bar chart PNG here")
    c.add_argument("--workers", type=int, default=None, help="processes (default: CPU cores)")
    _cluster_flag(c)

    w = sub.add_parser("sweep", help="a parameter grid of one algorithm vs a baseline")
    w.add_argument("--traces", nargs="+", required=True, type=Path, help="trace directories")
    common(w)
    w.add_argument("--algorithm", required=True, help="registered name or module:Class")
    w.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="PARAM=V1,V2,...",
        help="values of one declared tunable (repeat for more; every combination runs)",
    )
    w.add_argument("--baseline", default="robustmpc", help="paired per trace ('none' to skip)")
    w.add_argument("--chunk", type=int, default=8, help="traces per work unit (default 8)")
    w.add_argument("--json", type=Path, help="write the sweep JSON here")
    w.add_argument("--plot", type=Path, help="write a heatmap PNG (first two grid params)")
    w.add_argument("--workers", type=int, default=None, help="processes (default: CPU cores)")
    _cluster_flag(w)

    s = sub.add_parser("simulate", help="run one session and plot it")
    s.add_argument("--trace", required=True, type=Path)
    common(s)
    s.add_argument("--algorithm", default="default")
    s.add_argument("--plot", type=Path, help="write the session plot PNG here")
    s.add_argument("--json", type=Path, help="write the per-chunk log JSON here")
    return p


def _cluster_flag(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the work units on this Dask scheduler's workers (default: locally)",
    )


def _run_with_progress(
    console: Any, label: str, fn: Callable[[U], R], items: Sequence[U], args: argparse.Namespace
) -> tuple[list[R], float]:
    """``fn`` over ``items`` (here, a pool or ``--scheduler``) with a progress bar for 8+
    items; the results in item order and the wall seconds they took."""
    from rich.progress import Progress

    start = time.perf_counter()
    with Progress(console=console, transient=True, disable=len(items) < 8) as progress:
        task = progress.add_task(label, total=len(items))
        results = map_units(
            fn, items, args.workers, lambda _: progress.advance(task), args.scheduler
        )
    return results, time.perf_counter() - start


def _write_json(path: Path | None, summary: dict[str, Any]) -> None:
    if path:
        path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


def _sweep(args: argparse.Namespace) -> int:
    from rich.console import Console

    from abr.sim.sweep import parse_grid, run_unit, summarize_sweep, units
    from abr.sim.sweep_report import plot_heatmap, sweep_table

    console = Console()
    grid = parse_grid(args.algorithm, args.grid)
    baseline = None if args.baseline.lower() == "none" else args.baseline
    video = load_video(args.video)
    cfg = _config(args)
    sets = {d.resolve().name: load_trace_dir(d, args.trace_format) for d in args.traces}
    work = units(args.algorithm, grid, baseline, sets, video, cfg, args.chunk)
    results, elapsed = _run_with_progress(
        console, f"sweeping ({len(work)} units)", run_unit, work, args
    )
    summary = summarize_sweep(args.algorithm, grid, baseline, results)
    console.print(sweep_table(summary))
    decisions = summary["decisions"]
    console.print(
        f"{len(summary['configs'])} configurations, {len(work)} units, {decisions} decisions "
        f"in {elapsed:.1f}s ({decisions / max(elapsed, 1e-9):.0f} decisions/s)"
    )
    _write_json(args.json, summary)
    if args.plot:
        plot_heatmap(summary, args.plot)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from rich.console import Console

    from abr.sim.report import plot_comparison, summarize, tables

    console = Console()
    algos = (
        tuple(a.strip() for a in args.algorithms.split(","))
        if args.algorithms
        else (*PEERS, registry.DEFAULT)
    )
    for a in algos:
        registry.create(a)  # unknown names fail before any work
    video = load_video(args.video)
    cfg = _config(args)
    jobs = []
    for d in args.traces:
        set_name = d.resolve().name
        for tr in load_trace_dir(d, args.trace_format):
            jobs.append(Job(set_name, tr, algos, video, cfg))
    results, elapsed = _run_with_progress(console, "simulating", run_trace, jobs, args)
    default = "default" if "default" in algos else registry.DEFAULT
    summary = summarize(results, algos, default)
    for t in tables(summary):
        console.print(t)
    decisions = sum(r.decisions for r in results)
    console.print(
        f"{len(jobs)} traces x {len(algos)} algorithms, {decisions} decisions in "
        f"{elapsed:.1f}s ({decisions / max(elapsed, 1e-9):.0f} decisions/s)"
    )
    _write_json(args.json, summary)
    if args.plot:
        plot_comparison(summary, args.plot)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from abr.sim.report import plot_session

    console = Console()
    algo = registry.create(args.algorithm)
    video = load_video(args.video)
    trace = load_trace(args.trace, args.trace_format)
    log = run(algo, trace, video, _config(args))
    m = metrics(log)
    console.print(
        f"{log.algorithm} on {trace.name}: QoE_lin {m.qoe_lin:.3f}/chunk, "
        f"bitrate {m.bitrate_kbps:.0f} kbps, stall {m.rebuffer_s:.2f}s, "
        f"{m.switches} switches, startup {m.startup_s:.2f}s"
    )
    if args.plot:
        plot_session(log, trace, args.plot)
    if args.json:
        chunks = [
            {
                "index": c.index,
                "rung": c.rung,
                "bitrate_kbps": c.bitrate_kbps,
                "bytes": c.bytes,
                "request_s": c.request_s,
                "ttfb_s": c.ttfb_s,
                "transfer_s": c.transfer_s,
                "rebuffer_s": c.rebuffer_s,
                "buffer_s": c.buffer_s,
                "reason": c.reason,
            }
            for c in log.chunks
        ]
        args.json.write_text(
            json.dumps(
                {
                    "algorithm": log.algorithm,
                    "trace": log.trace,
                    "qoe_lin": m.qoe_lin,
                    "chunks": chunks,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns a process exit code (2 = usage, 1 = typed SDK error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        return _simulate(args)
    except SdkError as exc:
        import sys

        print(f"error: {exc}", file=sys.stderr)
        return 1
