"""``load``: N concurrent sessions against one backend, aggregated QoE, errors and cost.

Each session is its own :class:`nrdp.Device` (own device id, channels) logged in with its
own fresh account (signed up and paid for over HTTP, :mod:`apps.headless.accounts`),
because the backend allocates A/B cells per account. With ``--trace-set DIR`` session *i*
is paced by trace ``i mod traces`` on every OCA (so a failover keeps its trace): a client
fault plan for its device id, which the OCA knows from the playback token the SDK sends
with each request; its trace clock starts at its first request to that OCA, so sessions
sharing an OCA each get their own trace. Per A/B cell QoE comes from the backend's
experiment report (control plane); the run's own cost (process CPU, peak RSS) and whether
every session kept real time say how many sessions this machine sustains.
"""

from __future__ import annotations

import asyncio
import functools
import os
import resource
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import nrdp
from apps.headless.accounts import AccountError, NewAccount, SignupClient, balanced_accounts
from apps.headless.backend import BackendInfo, UsageError
from apps.headless.faults import ControlClient, ControlError, load_trace
from apps.headless.report import session_report
from apps.headless.scenarios import new_device_id
from apps.headless.session import PlayOptions, PlaySession, Tick

__all__ = [
    "ACCOUNT_MODES",
    "CpuMeter",
    "LoadObserver",
    "SessionSpec",
    "aggregate",
    "cells_of_run",
    "pacing_of",
    "play_session",
    "run_load",
]

ACCOUNT_MODES = ("balanced", "random", "shared")
"""``balanced``: fresh accounts picked so cells go round-robin (needs the backend's
allocation: embedded backend); ``random``: one fresh account each, cells as the backend's
hash falls; ``shared``: every session logs in with ``--email`` / the demo account."""


@dataclass(frozen=True)
class _Login:
    email: str
    password: str = field(repr=False)
    account_id: str | None = None
    cell: str | None = None
    """The cell the account was picked for (``balanced``), checked against the Play API's."""


def _thread_cpu_s(native_id: int | None) -> float | None:
    """CPU seconds of one thread of this process (Linux ``/proc``), else None."""
    if native_id is None:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _backend_thread_id() -> int | None:
    for t in threading.enumerate():
        if t.name == "headless-backend":
            return t.native_id
    return None


class CpuMeter:
    """Process CPU over wall time (``getrusage``), as a percentage of ONE core, and peak RSS.

    The embedded backend runs in this process (its own thread), so its cost is included;
    ``backend_cpu_percent`` is that thread's share (Linux), scrypt and packaging threads
    aside.
    """

    def __init__(self) -> None:
        self._backend_tid = _backend_thread_id()
        self._t0 = time.monotonic()
        self._r0 = resource.getrusage(resource.RUSAGE_SELF)
        self._b0 = _thread_cpu_s(self._backend_tid)

    def read(self) -> dict[str, Any]:
        wall = max(1e-9, time.monotonic() - self._t0)
        r = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r.ru_utime - self._r0.ru_utime) + (r.ru_stime - self._r0.ru_stime)
        b1 = _thread_cpu_s(self._backend_tid)
        backend = (b1 - self._b0) if b1 is not None and self._b0 is not None else None
        return {
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "cpu_percent": round(100.0 * cpu / wall, 1),
            "backend_cpu_percent": (
                round(100.0 * backend / wall, 1) if backend is not None else None
            ),
            "cores": os.cpu_count(),
            "peak_rss_mb": round(r.ru_maxrss / 1024.0, 1),  # Linux: KiB
        }


class LoadObserver(Protocol):
    """What watches a load run (the CLI's progress bar): each session's polls and end."""

    def on_tick(self, index: int, tick: Tick) -> None: ...

    def on_done(self, index: int, state: str) -> None: ...


@dataclass(frozen=True)
class SessionSpec:
    """Everything one session needs, picklable so a cluster worker can run it."""

    index: int
    title: str
    login: _Login
    opts: PlayOptions
    delay: float
    device_id: str
    trace: str | None = None


async def play_session(
    gateway_url: str, spec: SessionSpec, progress: LoadObserver | None = None
) -> dict[str, Any]:
    """One session, start to report (runs here or on a cluster worker)."""
    if spec.delay > 0:
        await asyncio.sleep(spec.delay)
    login, index = spec.login, spec.index
    config = nrdp.DeviceConfig(spec.device_id, gateway_url)
    head: dict[str, Any] = {
        "session": spec.index,
        "account_id": login.account_id,
        "started_after_s": spec.delay,
        "device_id": spec.device_id,
    }
    if spec.trace is not None:
        head["trace"] = spec.trace
    try:
        async with nrdp.Device(config) as device:
            await device.login(login.email, login.password)
            # a slow poll: N sessions' polls share one event loop with N frame clocks
            on_tick = None if progress is None else functools.partial(progress.on_tick, index)
            session = PlaySession(device, spec.opts, on_tick=on_tick, poll_s=0.5)
            await session.run()
            report = session_report(session)
    except nrdp.SdkError as err:
        return _ended(
            progress, index, {**head, "title": spec.title, "state": "error", "errors": [err.code]}
        )
    report = {**head, **report}
    if login.cell is not None:
        report["cell_expected"] = login.cell
    return _ended(progress, index, report)


def _ended(progress: LoadObserver | None, index: int, report: dict[str, Any]) -> dict[str, Any]:
    if progress is not None:
        progress.on_done(index, str(report.get("state")))
    return report


def pacing_of(segments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the network gave one session, from its segment log: the video rungs it played
    and the median throughput of its video segments (bytes over download time)."""
    video = [s for s in segments if s.get("track") == "video"]
    rates = [s["bytes"] * 8 / s["download_s"] / 1000 for s in video if s["download_s"] > 0]
    return {
        "video_rungs": sorted({int(s["rung"]) for s in video}),
        "median_video_kbps": round(statistics.median(rates), 1) if rates else None,
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def aggregate(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Means over the sessions that produced a report, error codes counted, and how many
    sessions kept real time. ``frames_in_order`` is None when no session decoded."""
    full = [r for r in reports if "rebuffer_ratio" in r]
    decoded = [r for r in full if r.get("decoded", True)]
    qoe = [r["qoe"]["qoe_lin"] for r in full if r.get("qoe")]
    codes: Counter[int] = Counter(c for r in reports for c in r.get("errors", []))
    realtime = [r for r in full if r.get("kept_realtime") is not None]
    sustained = sum(
        1
        for r in realtime
        if r["kept_realtime"] and r["stall_count"] == 0 and r.get("state") != "error"
    )
    return {
        "sessions": len(reports),
        "ended": sum(1 for r in reports if r.get("state") == "ended"),
        "failed": sum(1 for r in reports if r.get("state") == "error"),
        "mean_startup_ms": _mean(
            [r["startup_ms"] for r in full if r.get("startup_ms") is not None]
        ),
        "mean_bitrate_kbps": _mean([r["avg_bitrate_kbps"] for r in full]),
        "mean_rebuffer_ratio": _mean([r["rebuffer_ratio"] for r in full]),
        "stalls": sum(r["stall_count"] for r in full),
        "sessions_with_stalls": sum(1 for r in full if r["stall_count"]),
        "failovers": sum(r["failovers"] for r in full),
        "mean_qoe_lin": _mean(qoe),
        "frames_in_order": (all(r.get("frames_in_order") for r in decoded) if decoded else None),
        "realtime_sessions": len(realtime),
        "sustained_realtime": sustained if realtime else None,
        "max_realtime_lag_s": (max(r["realtime_lag_s"] for r in realtime) if realtime else None),
        "cell_mismatches": sum(
            1 for r in full if r.get("cell_expected") and r.get("cell") != r["cell_expected"]
        ),
        "errors": {str(k): v for k, v in sorted(codes.items())},
    }


def cells_of_run(reports: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's sessions grouped by the cell the Play API put them in (the backend's
    report counts every playback the backend ever served)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in reports:
        if "rebuffer_ratio" in r and r.get("cell"):
            groups[str(r["cell"])].append(r)
    return [
        {
            "cell": cell,
            "abr": rs[0].get("abr"),
            "sessions": len(rs),
            "mean_startup_ms": _mean([r["startup_ms"] for r in rs if r.get("startup_ms")]),
            "mean_bitrate_kbps": _mean([r["avg_bitrate_kbps"] for r in rs]),
            "mean_rebuffer_ratio": _mean([r["rebuffer_ratio"] for r in rs]),
            "stalls": sum(r["stall_count"] for r in rs),
            "mean_qoe_lin": _mean([r["qoe"]["qoe_lin"] for r in rs if r.get("qoe")]),
        }
        for cell, rs in sorted(groups.items())
    ]


async def _logins(info: BackendInfo, sessions: int, mode: str) -> tuple[list[_Login], float]:
    """One login per session (and the seconds account creation took)."""
    t0 = time.monotonic()
    if mode == "shared":
        if not info.email or not info.password:
            raise UsageError("no credentials: give --email/--password or --endpoints FILE")
        return [_Login(info.email, info.password)] * sessions, 0.0
    if mode == "balanced" and (info.cell_of is None or not info.cells):
        raise UsageError(
            "--accounts balanced needs the backend's cell allocation (embedded backend); "
            "use --accounts random with --backend/--endpoints"
        )
    try:
        async with SignupClient(info.gateway_url) as client:
            if mode == "balanced":
                assert info.cell_of is not None
                picked = await balanced_accounts(client, sessions, info.cell_of, info.cells)
                out = [_Login(a.email, a.password, a.account_id, c) for a, c in picked]
            else:
                made: list[NewAccount] = await client.create_many(sessions)
                out = [_Login(a.email, a.password, a.account_id) for a in made]
    except AccountError as exc:
        raise UsageError(f"creating load accounts failed: {exc}") from None
    return out, time.monotonic() - t0


async def run_load(
    info: BackendInfo,
    control: ControlClient,
    *,
    sessions: int,
    titles: Sequence[str],
    realtime: bool,
    decode: bool,
    duration: float | None,
    trace_set: Path | None,
    accounts: str = "balanced",
    timeout: float = 900.0,
    ramp: float = 0.0,
    scheduler: Any = None,
    progress: LoadObserver | None = None,
    on_start: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run the sessions; session *i* starts ``i * ramp / sessions`` seconds after the first.

    ``scheduler`` (a Dask address or ``distributed.Client``) spreads the sessions over the
    cluster's workers, each running its share in one event loop; the report merges them.
    """
    if not titles:
        raise UsageError("no titles to play (give --title or --endpoints with titles)")
    if accounts not in ACCOUNT_MODES:
        raise UsageError(f"--accounts {accounts!r}: one of {', '.join(ACCOUNT_MODES)}")
    logins, signup_s = await _logins(info, sessions, accounts)
    device_ids = [new_device_id(f"qa-load-{i}") for i in range(sessions)]
    traces: list[str | None] = [None] * sessions
    if trace_set is not None:
        files = sorted(p for p in trace_set.iterdir() if p.is_file()) if trace_set.is_dir() else []
        if not files:
            raise UsageError(f"--trace-set {trace_set}: no trace files")
        parsed = [load_trace(f) for f in files]
        oca_ids = await control.all_oca_ids()
        for i, device_id in enumerate(device_ids):
            traces[i] = files[i % len(files)].name
            await control.apply_trace(parsed[i % len(files)], oca_ids, client=device_id)
    specs = [
        SessionSpec(
            i,
            titles[i % len(titles)],
            logins[i],
            PlayOptions(
                title=titles[i % len(titles)],
                realtime=realtime,
                duration=duration,
                decode=decode,
                timeout=timeout,
            ),
            ramp * i / sessions,
            device_ids[i],
            traces[i],
        )
        for i in range(sessions)
    ]
    meter = CpuMeter()
    if on_start is not None:  # accounts made: the sessions start now (--netem's trace clock)
        on_start()
    workers: list[dict[str, Any]] | None = None
    try:
        if scheduler is None:
            reports = list(
                await asyncio.gather(*(play_session(info.gateway_url, s, progress) for s in specs))
            )
        else:
            from apps.headless.cluster import play_on_cluster

            reports, workers = await asyncio.to_thread(
                play_on_cluster, scheduler, info.gateway_url, specs
            )
            for r in reports:
                _ended(progress, int(r["session"]), r)
    finally:
        if trace_set is not None:
            for oca_id in await control.all_oca_ids():
                for device_id in device_ids:
                    await control.clear(oca_id, client=device_id)
    cost = meter.read()
    cells: Any = None
    if control.control_url:
        try:
            cells = (await control.experiment_report()).get("cells")
        except ControlError as exc:
            cells = {"error": str(exc)}
    for r in reports:
        r["pacing"] = pacing_of(r.get("segments") or [])
        for key in ("events", "timeline", "segments"):
            r.pop(key, None)
    agg = aggregate(reports)
    sustained = agg["sustained_realtime"]
    return {
        "aggregate": agg,
        "run": {
            "accounts": accounts,
            "signup_s": round(signup_s, 2),
            "speed": "realtime" if realtime else "fast",
            "decode": decode,
            "ramp_s": ramp,
            **cost,
            "verdict": (
                f"sessions sustained in real time: {sustained}/{sessions}"
                if sustained is not None
                else "speed fast: no real-time target"
            ),
        },
        "cells": cells,
        "cells_run": cells_of_run(reports),
        "workers": workers,
        "sessions": list(reports),
    }
