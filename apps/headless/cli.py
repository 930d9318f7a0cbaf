"""The command line: ``play``, ``scenario`` and ``load`` (flags in docs/headless.md).

Exit codes: 0 every assertion held, 1 an assertion failed, 2 an error (bad arguments, a
malformed scenario file, an unreachable backend), with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

import nrdp
from abr import TraceFormatError
from apps.embedded import (
    DEMO_MAX_TITLE_S,
    DataDirInUse,
    add_embedded_flags,
    demo_title,
    running_backend,
)
from apps.headless.backend import (
    BackendInfo,
    EmbeddedBackend,
    UsageError,
    read_endpoints,
    titles_to_package,
)
from apps.headless.faults import ControlClient, ControlError, load_trace
from apps.headless.options import (
    NetworkOptions,
    OptionError,
    PlayOptions,
    add_network_flags,
    add_play_flags,
    flag_of,
    from_flags,
    network_from_flags,
)
from apps.headless.progress import (
    LoadProgress,
    PackagingProgress,
    PlaybackProgress,
    cells_table,
    summary_table,
)
from apps.headless.report import (
    Assertion,
    CaseResult,
    frames_complete,
    frames_message,
    session_report,
    write_json,
    write_junit,
)
from apps.headless.scenario_format import ScenarioFormatError, load_scenario, scenario_files
from apps.headless.scenarios import ScenarioRunner, new_device_id
from apps.headless.session import PlaySession

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
_T0 = time.monotonic()


def _process_age() -> float | None:
    """Seconds since this process was started (Linux ``/proc``; 10 ms resolution), so the
    first-frame time includes interpreter start and imports, not only ``main()``."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's usage errors: one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _backend_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("backend (default: an embedded fake backend)")
    g.add_argument("--backend", metavar="URL", help="gateway URL of a running backend")
    g.add_argument(
        "--endpoints",
        type=Path,
        metavar="FILE",
        help="a backend's endpoints.json (gateway, control plane, demo login)",
    )
    g.add_argument("--control", metavar="URL", help="control plane URL (fault injection)")
    g.add_argument("--email", help="account e-mail (default: the demo login)")
    g.add_argument("--password", help="account password")
    add_embedded_flags(g, data_dir=Path(".nrdp-demo"), catalog="demo")
    p.add_argument("--quiet", action="store_true", help="no progress display")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m apps.headless", description="The headless QA player.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    play = sub.add_parser("play", help="play one title and report its QoE")
    play.add_argument("title", nargs="?", help="title id (default: pick one from home rows)")
    play.add_argument("--mpd", metavar="URL", help="play this MPD, on-demand or live (no backend)")
    play.add_argument(
        "--key", action="append", default=[], metavar="KID:KEY", help="ClearKey key (hex)"
    )
    play.add_argument("--license-url", metavar="URL", help="ClearKey license server (--mpd)")
    add_play_flags(play)  # the play options' flags (apps/headless/options.py)
    play.add_argument("--trace", type=Path, metavar="FILE", help="throughput trace for the OCAs")
    add_network_flags(play)  # --netem, --rtt, --trace-format (apps/headless/options.py)
    play.add_argument("--report", type=Path, metavar="OUT.json")
    play.add_argument("--junit", type=Path, metavar="OUT.xml")
    play.add_argument("--plot", type=Path, metavar="OUT.png")
    _backend_flags(play)
    sc = sub.add_parser("scenario", help="run a scenario file or a directory of them")
    sc.add_argument("target", type=Path, metavar="FILE|DIR")
    sc.add_argument("--speed", choices=("realtime", "fast"), help="override files' speed")
    sc.add_argument("--report", type=Path, metavar="OUT.json")
    sc.add_argument("--junit", type=Path, metavar="OUT.xml")
    _backend_flags(sc)
    ld = sub.add_parser("load", help="N concurrent sessions, aggregated QoE")
    ld.add_argument("--sessions", type=int, default=4, metavar="N")
    ld.add_argument("--title", action="append", help="title(s) to play (default: all)")
    ld.add_argument("--decode", action=argparse.BooleanOptionalAction, default=True)
    ld.add_argument("--trace-set", type=Path, metavar="DIR")
    add_play_flags(ld, only=LOAD_OPTIONS)
    add_network_flags(ld)  # every session behind the one emulated link
    ld.add_argument(
        "--accounts",
        choices=("balanced", "random", "shared"),
        help="fresh accounts spread round-robin over the A/B cells (embedded default), fresh "
        "accounts as the backend's hash falls (default with --backend/--endpoints), or one "
        "shared account (--email / demo)",
    )
    ld.add_argument(
        "--ramp", type=float, default=0.0, metavar="S", help="spread session starts over S s"
    )
    ld.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="spread the sessions over this Dask scheduler's workers (default: this process)",
    )
    ld.add_argument("--report", type=Path, metavar="OUT.json")
    _soak_flags(ld)
    _backend_flags(ld)
    _contest_parser(sub)
    return p


def _contest_parser(sub: Any) -> None:
    ct = sub.add_parser("contest", help="ABR contest over emulated links (root; docs/contest.md)")
    ct.add_argument("--traces", type=Path, nargs="+", required=True, metavar="DIR")
    ct.add_argument("--title", default="t-dragon", help="demo-catalog title (default t-dragon)")
    ct.add_argument(
        "--players",
        default="nrdp:horizon,nrdp:bola-e,nrdp:robustmpc,shaka,dashjs",
        help="comma list of nrdp:<abr>, shaka, dashjs",
    )
    ct.add_argument("--rtt", type=float, default=40.0, metavar="MS")
    ct.add_argument("--limit", type=int, metavar="N", help="first N traces of each DIR")
    ct.add_argument("--trace-format", choices=("kbps", "cooked", "mahimahi"))
    ct.add_argument("--catalog", choices=("demo", "tiny"), default="demo")
    ct.add_argument("--data-dir", type=Path, default=Path(".nrdp-contest"))
    ct.add_argument("--timeout", type=float, default=180.0, metavar="S", help="per session")
    ct.add_argument("--report", type=Path, metavar="OUT.json")
    ct.add_argument("--plot", type=Path, metavar="OUT.png")
    ct.add_argument("--quiet", action="store_true")


def _soak_flags(ld: argparse.ArgumentParser) -> None:
    soak = ld.add_argument_group("soak (apps/headless/soak.py; --duration is then wall seconds)")
    soak.add_argument(
        "--chaos",
        type=int,
        metavar="SEED",
        help="soak: sessions play titles back to back for --duration s (even ones decoding), "
        "the backend's chaos seeded with SEED",
    )
    soak.add_argument(
        "--kill-every",
        type=float,
        metavar="S",
        help="soak: every S s take a gateway service or an OCA down for a few seconds",
    )
    soak.add_argument(
        "--sample-every", type=float, default=10.0, metavar="S", help="soak: resource samples"
    )
    soak.add_argument(
        "--backend-pid", type=int, metavar="PID", help="soak: a separate backend's process id"
    )


# ---------------------------------------------------------------------- backend


@contextlib.contextmanager
def _backend(
    args: argparse.Namespace, err: Console, host: str = "127.0.0.1"
) -> Iterator[BackendInfo]:
    """A running backend's description; starts the embedded one when none is given."""
    if args.backend or args.endpoints:
        info = read_endpoints(args.endpoints) if args.endpoints else BackendInfo(args.backend)
        if args.backend:
            info = replace(info, gateway_url=args.backend)
        if args.control:
            info = replace(info, control_url=args.control)
        if args.email or args.password:
            info = replace(info, email=args.email, password=args.password)
        yield info
        return
    data_dir: Path = args.data_dir
    live = running_backend(data_dir)
    if live is not None:  # before any "packaging" line: nothing will be started
        raise DataDirInUse(data_dir, live)
    first: list[str] | None = None
    if args.command == "play":  # its title is packaged first, the rest while it plays
        args.title = args.title or demo_title(args.catalog)
        first = [args.title]
    pending = titles_to_package(data_dir, args.catalog)
    now = [p for p in pending if first is None or p[0] in first]
    later = [p for p in pending if p not in now]
    if now and not args.quiet:
        what = ", ".join(t for t, _ in now) if first else f"the {args.catalog} catalog"
        note = f"; {len(later)} more titles follow in the background" if later else ""
        err.print(
            f"[bold]First start:[/] packaging {what} into {data_dir}/ (video rungs on 2 "
            f"processes, audio, thumbnails and poster on a third){note}; later starts reuse it."
        )
    elif later and not args.quiet:
        err.print(f"packaging {len(later)} more titles into {data_dir}/ in the background")
    t0 = time.monotonic()
    with PackagingProgress(err, now if not args.quiet else []) as pack:
        embedded = EmbeddedBackend(
            data_dir,
            catalog=args.catalog,
            ocas=args.ocas,
            on_package=pack.on_title,
            on_package_step=pack.on_step,
            thread_name="headless-backend",  # load.py measures this thread's CPU
            ready_first=first,
            on_background=_background_reporter(err, len(later), quiet=args.quiet),
            host=host,
        )
        try:
            info = embedded.start()
        except BaseException:
            embedded.close()
            raise
    if not args.quiet:
        err.print(f"embedded backend up in {time.monotonic() - t0:.1f} s at {info.gateway_url}")
    if args.email or args.password:
        info = replace(info, email=args.email, password=args.password)
    try:
        yield info
    finally:
        embedded.close()


def _background_reporter(err: Console, total: int, *, quiet: bool) -> Callable[[str, bool], None]:
    """One line per title the background packaging finishes (it runs during playback)."""
    done = [0]

    def report(title_id: str, ok: bool) -> None:
        done[0] += 1
        if not quiet:
            state = "packaged" if ok else "[red]FAILED to package[/]"
            err.print(f"background: {title_id} {state} ({done[0]}/{total})")

    return report


async def _login(device: nrdp.Device, info: BackendInfo) -> None:
    if not info.email or not info.password:
        raise UsageError("no credentials: give --email/--password or --endpoints FILE")
    try:
        await device.login(info.email, info.password)
    except nrdp.NetworkError as exc:
        raise UsageError(f"backend unreachable at {info.gateway_url}: {exc}") from None
    except nrdp.SdkError as exc:
        raise UsageError(f"login failed: {exc}") from None


async def _pick_title(device: nrdp.Device) -> str:
    """The demo's choice from the home rows: the sharpest title of at most a minute
    (highest ``max_height``, then the longest; ties go to the earlier row)."""
    home = await device.discovery.home()
    ids: list[str] = []
    for row in home.get("rows", []):
        for item in row.get("titles", row.get("items", [])):
            tid = item.get("id") if isinstance(item, dict) else item
            if isinstance(tid, str) and tid not in ids:
                ids.append(tid)
    best: tuple[tuple[float, float], str] | None = None
    for tid in ids:
        doc = await device.discovery.title(tid)
        d, h = doc.get("duration_s", 0.0), doc.get("max_height", 0)
        if not isinstance(d, int | float) or not isinstance(h, int | float):
            continue
        key = (float(h), float(d))
        if d <= DEMO_MAX_TITLE_S and (best is None or key > best[0]):
            best = (key, tid)
    if best is not None:
        return best[1]
    if not ids:
        raise UsageError("the catalog has no titles")
    return ids[0]


# ---------------------------------------------------------------------- play


def _play_assertions(report: dict[str, Any]) -> list[Assertion]:
    out = [
        Assertion(
            "no_fatal_error",
            report["state"] != "error",
            f"final state {report['state']}, errors {report['errors']}",
        ),
        Assertion("not_timed_out", not report["timed_out"], f"timed out: {report['timed_out']}"),
    ]
    if report["state"] != "error":
        out.append(
            Assertion(
                "frames_in_order",
                bool(report["frames_in_order"]),
                f"frame ids in order: {report['frames_in_order']}",
            )
        )
        out.append(
            Assertion(
                "frames_complete",
                frames_complete(report),
                frames_message(report),
            )
        )
    return out


def _first_frame_line(first: float) -> str:
    """When the first frame showed: after ``main()`` started and, with ``/proc``, after the
    process started (interpreter start and imports included)."""
    line = f"first frame {first - _T0:.2f} s after main() started"
    age = _process_age()
    if age is not None:
        since_start = age - (time.monotonic() - first)
        line += f", {since_start:.2f} s after the process started"
    return line


PLAY_DEFAULTS: dict[str, Any] = {"timeout": 900.0}
"""``play``'s own defaults for options it shares with scenarios (a demo may package)."""
LOAD_OPTIONS = ("duration", "realtime", "timeout")
"""The play options ``load`` takes (as flags); every session gets the same."""
LOAD_DEFAULTS: dict[str, Any] = {"realtime": False, "timeout": 900.0}


def _play_options(
    args: argparse.Namespace, title: str | None, defaults: dict[str, Any] = PLAY_DEFAULTS
) -> PlayOptions:
    try:
        return from_flags(args, title=title, **defaults)
    except OptionError as exc:
        raise UsageError(f"{flag_of(exc.option) if exc.option else 'option'}: {exc}") from None


def _network_options(args: argparse.Namespace) -> NetworkOptions | None:
    """``--netem``/``--rtt``/``--trace-format`` checked (a bad value is a usage error)."""
    try:
        return network_from_flags(args)
    except OptionError as exc:
        flag = {"trace": "--netem", "rtt_ms": "--rtt", "trace_format": "--trace-format"}
        raise UsageError(f"{flag.get(exc.option, '--netem')}: {exc}") from None


def _check_play_args(args: argparse.Namespace) -> None:
    """Refuse bad play arguments before a backend starts (packaging can take minutes)."""
    _play_options(args, args.title)
    _network_options(args)
    if args.trace is not None:
        load_trace(args.trace, args.trace_format)
    if (args.key or args.license_url) and not args.mpd:
        raise UsageError("--key and --license-url go with --mpd")
    if args.mpd and args.title:
        raise UsageError("give a title id or --mpd, not both")


def _dash_source(args: argparse.Namespace) -> nrdp.DashSource:
    """``--mpd`` with its ``--key`` / ``--license-url`` (a bad value is a usage error)."""
    try:
        keys = dict(nrdp.parse_key_arg(k) for k in args.key)
        drm = None
        if keys or args.license_url:
            drm = nrdp.ClearKey(license_url=args.license_url, keys=keys)
        return nrdp.DashSource(args.mpd, drm=drm)
    except nrdp.SdkError as exc:
        raise UsageError(f"--mpd/--key/--license-url: {exc}") from exc


async def _play_mpd(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``play --mpd``: an open source, no backend, no login; a source that cannot play
    (typed error) exits 2, a playback that fails its checks exits 1."""
    opts = replace(_play_options(args, args.mpd), source=_dash_source(args))
    config = nrdp.DeviceConfig(new_device_id(), "http://127.0.0.1:9")  # no gateway is used
    async with nrdp.Device(config) as device:
        with PlaybackProgress(err, enabled=not args.quiet) as bar:
            session = PlaySession(device, opts, on_tick=bar.update)
            await session.run()
        report = session_report(session)
    case = CaseResult(f"play {args.mpd}", None, _play_assertions(report), sessions=[report])
    if args.report:
        write_json(args.report, report)
    if args.junit:
        write_junit(args.junit, [case], "play")
    out.print(summary_table([report]))
    for a in case.assertions:
        if not a.passed:
            err.print(f"[red]FAILED[/] {a.name}: {a.message}")
    if any(e.get("fatal") for e in session.errors):
        return EXIT_ERROR
    return EXIT_FAILED if case.failed else EXIT_OK


async def _play(args: argparse.Namespace, info: BackendInfo, out: Console, err: Console) -> int:
    trace = load_trace(args.trace, args.trace_format) if args.trace else None
    async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
        if trace is not None:
            await control.apply_trace(trace)
        try:
            config = nrdp.DeviceConfig(new_device_id(), info.gateway_url)
            async with nrdp.Device(config) as device:
                await _login(device, info)
                title = args.title or await _pick_title(device)
                opts = _play_options(args, title)
                with PlaybackProgress(err, enabled=not args.quiet) as bar:
                    session = PlaySession(device, opts, on_tick=bar.update)
                    await session.run()
                report = session_report(session)
                if getattr(args, "netem_echo", None) is not None:
                    report["network"] = args.netem_echo
                first = session.sink.first_frame_at
                if first is not None and not args.quiet:
                    err.print(_first_frame_line(first))
        finally:
            if trace is not None:
                for oca_id in await control.all_oca_ids():
                    await control.clear(oca_id)
    case = CaseResult(f"play {title}", None, _play_assertions(report), sessions=[report])
    if args.report:
        write_json(args.report, report)
    if args.junit:
        write_junit(args.junit, [case], "play")
    if args.plot:
        from apps.headless.plot import plot_session

        plot_session(report, args.plot)
    out.print(summary_table([report], width=out.width))
    for a in case.assertions:
        if not a.passed:
            err.print(f"[red]FAILED[/] {a.name}: {a.message}")
    return EXIT_FAILED if case.failed else EXIT_OK


# ---------------------------------------------------------------------- scenario


async def _scenarios(
    args: argparse.Namespace, info: BackendInfo, out: Console, err: Console, link: Any = None
) -> int:
    """Every scenario in order; one with ``network:`` runs inside ``link``'s namespace."""
    from apps.headless.networked import run_networked_scenario

    files = scenario_files(args.target)
    scenarios = [load_scenario(f) for f in files]
    if args.speed:
        scenarios = [replace(s, speed=args.speed) for s in scenarios]
    cases: list[CaseResult] = []
    async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
        runner = ScenarioRunner(info, control)
        for sc in scenarios:
            if sc.network is not None:
                case = await asyncio.to_thread(run_networked_scenario, info, sc, link)
            else:
                case = await runner.run(sc)
            cases.append(case)
            if not args.quiet:
                color = {"passed": "green", "failed": "red", "error": "yellow"}[case.status]
                err.print(
                    f"[{color}]{case.status.upper():<6}[/] {sc.name} ({sc.path.name}, "
                    f"{case.seconds:.1f} s)"
                )
                for a in case.assertions:
                    if not a.passed:
                        err.print(f"         line {a.line}: {a.name}: {a.message}")
                if case.error:
                    err.print(f"         {case.error}")
    doc = {
        "target": str(args.target),
        "passed": sum(1 for c in cases if c.status == "passed"),
        "failed": sum(1 for c in cases if c.status == "failed"),
        "errors": sum(1 for c in cases if c.status == "error"),
        "scenarios": [c.to_dict() for c in cases],
    }
    if args.report:
        write_json(args.report, doc)
    if args.junit:
        write_junit(args.junit, cases, str(args.target))
    named = zip(scenarios, cases, strict=True)
    reports = [{**r, "scenario": sc.name} for sc, c in named for r in c.sessions]
    if reports and not args.quiet:
        out.print(summary_table(reports, width=out.width))
    if any(c.error for c in cases):
        first = next(c.error for c in cases if c.error)
        print(f"error: {first}", file=sys.stderr)
        return EXIT_ERROR
    if any(c.failed for c in cases):
        print(f"{doc['failed']} of {len(cases)} scenarios failed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# ---------------------------------------------------------------------- load


def _vod_titles(info: BackendInfo) -> list[str]:
    """The backend's on-demand titles (``serve`` lists its live channels among them)."""
    return [t for t in info.titles if t not in info.live]


async def _soak(args: argparse.Namespace, info: BackendInfo, out: Console) -> int:
    from apps.headless.soak import SoakConfig, run_soak

    opts = _play_options(args, None, LOAD_DEFAULTS)
    cfg = SoakConfig(
        sessions=args.sessions,
        duration_s=float(opts.duration or 60.0),
        seed=args.chaos,
        kill_every_s=args.kill_every,
        sample_every_s=args.sample_every,
        realtime=getattr(args, "opt_realtime", None) != "fast",  # a soak runs on the clock
        backend_pid=args.backend_pid,
    )
    async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
        doc = await run_soak(info, control, cfg, args.title or _vod_titles(info), opts)
    if args.report:
        write_json(args.report, doc)
    summary = {k: doc[k] for k in ("soak", "verdict", "rss", "backend_rss", "leaks", "chaos")}
    out.print_json(data={**summary, "unhandled_exceptions": len(doc["unhandled_exceptions"])})
    v = doc["verdict"]
    bad = v["plays_lost_frames"] or v["sessions_failed"] or doc["unhandled_exceptions"]
    return EXIT_FAILED if bad else EXIT_OK


async def _load(args: argparse.Namespace, info: BackendInfo, out: Console, err: Console) -> int:
    from apps.headless.load import run_load

    if args.chaos is not None:
        return await _soak(args, info, out)
    titles = args.title or _vod_titles(info)
    accounts = args.accounts or ("balanced" if info.cell_of is not None else "random")
    opts = _play_options(args, None, LOAD_DEFAULTS)
    progress = LoadProgress(err, args.sessions, enabled=not args.quiet)
    async with ControlClient(info.control_url, info.oca_ids, info.control_token) as control:
        with progress:
            doc = await run_load(
                info,
                control,
                progress=progress,
                sessions=args.sessions,
                titles=titles,
                realtime=opts.realtime,
                decode=args.decode,
                duration=opts.duration,
                trace_set=args.trace_set,
                accounts=accounts,
                timeout=opts.timeout,
                ramp=args.ramp,
                scheduler=args.scheduler,
                on_start=getattr(args, "netem_begin", None),
            )
    if getattr(args, "netem_echo", None) is not None:
        doc["run"]["network"] = {**args.netem_echo, "shared_by": args.sessions}
    if args.report:
        write_json(args.report, doc)
    agg, run = doc["aggregate"], doc["run"]
    if not args.quiet:
        rows = [r for r in doc["sessions"] if "rebuffer_ratio" in r]
        out.print(summary_table(rows, load=True, width=out.width))
        if isinstance(doc["cells"], list):
            out.print(cells_table(doc["cells"]))
    out.print_json(data={"aggregate": agg, "run": run, "cells_run": doc["cells_run"]})
    backend = run["backend_cpu_percent"]
    out.print(
        f"{run['verdict']}; CPU {run['cpu_percent']} % of one core over {run['wall_s']} s "
        f"({os.cpu_count()} cores"
        + (f", embedded backend thread {backend} %" if backend is not None else "")
        + f"), peak RSS {run['peak_rss_mb']} MB; stalled sessions "
        f"{agg['sessions_with_stalls']}/{agg['sessions']}"
    )
    return EXIT_FAILED if agg["failed"] else EXIT_OK


def _check_load_args(args: argparse.Namespace) -> None:
    """Refuse bad load arguments before a backend starts."""
    if args.sessions < 1:
        raise UsageError("--sessions must be at least 1")
    _play_options(args, None, LOAD_DEFAULTS)
    if args.ramp < 0:
        raise UsageError("--ramp must be >= 0")
    if args.chaos is None and (args.kill_every is not None or args.backend_pid is not None):
        raise UsageError("--kill-every and --backend-pid belong to a soak: give --chaos SEED")
    if args.chaos is not None and (args.scheduler or args.trace_set):
        raise UsageError("--chaos runs in this process: no --scheduler or --trace-set")
    if (args.kill_every is not None and args.kill_every <= 0) or args.sample_every <= 0:
        raise UsageError("--kill-every and --sample-every must be > 0")
    if args.accounts == "balanced" and (args.backend or args.endpoints):
        raise UsageError("--accounts balanced needs the embedded backend (its cell allocation)")
    if _network_options(args) is not None and (args.scheduler or args.chaos is not None):
        raise UsageError("--netem runs the sessions in this process: no --scheduler or --chaos")


# ---------------------------------------------------------------------- netem


def _run_netem(args: argparse.Namespace, runner: Any, out: Console, err: Console) -> int:
    """``play``/``load --netem``: the link first (the embedded backend binds to its host
    side), then the command on a thread inside the link's namespace. ``load`` starts the
    trace when its sessions start (``args.netem_begin``); the reports say which link
    (``args.netem_echo``)."""
    from apps.headless.netem.run import link_echo, netem_run

    network = _network_options(args)
    assert network is not None
    if args.backend or args.endpoints:
        raise UsageError("--netem needs the embedded backend (it binds to the emulated link)")
    with netem_run(network) as net, _backend(args, err, host=net.host_ip) as info:
        args.netem_begin = net.begin
        args.netem_echo = link_echo(net.link, network)
        deferred = args.command == "load"
        return int(net.run(lambda: runner(args, info, out, err), deferred=deferred))


def _run_scenarios(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``scenario``: behind one emulated link when a file has ``network:`` (root)."""
    from apps.headless.networked import scenario_networks

    networks = scenario_networks([load_scenario(f) for f in scenario_files(args.target)])
    if not networks:
        with _backend(args, err) as info:
            return asyncio.run(_scenarios(args, info, out, err))
    from apps.headless.netem.run import netem_link

    if args.backend or args.endpoints:
        raise UsageError("network: needs the embedded backend (it binds to the emulated link)")
    with netem_link(networks) as link, _backend(args, err, host=link.host_ip) as info:
        return asyncio.run(_scenarios(args, info, out, err, link))


# ---------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    global _T0
    _T0 = time.monotonic()
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    err = Console(stderr=True)
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.command is None:  # `python -m apps.headless` alone: the demo
            args = build_parser().parse_args(["play"])
        if args.command == "play":
            _check_play_args(args)
        if args.command == "load":
            _check_load_args(args)
        if args.command == "scenario":  # malformed files fail before any backend starts
            for f in scenario_files(args.target):
                load_scenario(f)
            if not args.target.exists():
                raise UsageError(f"no such scenario file or directory: {args.target}")
        if args.command == "play" and args.mpd:
            return asyncio.run(_play_mpd(args, out, err))
        if args.command == "contest":
            from apps.headless.contest.cli import run_contest_command

            return run_contest_command(args, out, err)
        if args.command == "scenario":
            return _run_scenarios(args, out, err)
        runner = {"play": _play, "load": _load}[args.command]
        if getattr(args, "netem", None) is not None:
            return _run_netem(args, runner, out, err)
        with _backend(args, err) as info:
            return asyncio.run(runner(args, info, out, err))
    except ScenarioFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (UsageError, DataDirInUse, ControlError, TraceFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except nrdp.SdkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
