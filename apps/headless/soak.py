"""``load --chaos SEED``: a soak. N sessions play titles back to back for ``--duration``
wall seconds, even sessions decoding and odd ones not, while the backend's seeded chaos takes
OCAs down and up and ``--kill-every`` takes a gateway service or an OCA down for a while.

What it checks is what a long run breaks: every play shows every frame once and in order
(decoded plays: the frame ids; decode-off plays: the engine's slot count equals a decoded
play's of the same title), no unhandled exception (asyncio's handler, thread excepthook),
and no growth: RSS sampled over time (growth measured after ``WARMUP_S``), and descriptors,
asyncio tasks and threads compared between start and end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import nrdp
from apps.headless.backend import BackendInfo
from apps.headless.faults import ControlClient, ControlError
from apps.headless.load import SessionSpec, _logins
from apps.headless.report import frames_complete, session_report
from apps.headless.scenarios import new_device_id
from apps.headless.session import PlayOptions, PlaySession

__all__ = ["SoakConfig", "run_soak", "soak_verdict"]

WARMUP_S = 300.0
"""RSS growth is measured from the first sample after this many seconds (allocator and
caches fill up first); shorter runs measure from their first sample and say so."""
KILL_FOR_S = 3.0
"""How long a ``--kill-every`` victim stays down."""
REFUSED_BACKOFF_S = 1.0
"""Pause after a play refused before its first frame (e.g. the channel's breaker is open:
without it a session spins through refused plays until the breaker's retry time)."""


@dataclass(frozen=True)
class SoakConfig:
    sessions: int
    duration_s: float
    seed: int
    kill_every_s: float | None = None
    chaos_interval_s: float = 5.0
    sample_every_s: float = 10.0
    realtime: bool = True
    backend_pid: int | None = None
    play_timeout_s: float = 120.0


def _status_kb(pid: int | str, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _fd_count(pid: int | str) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def resources(backend_pid: int | None) -> dict[str, Any]:
    """This process's RSS, descriptors, threads and loop tasks (and a separate backend's)."""
    rss = _status_kb("self", "VmRSS")
    out: dict[str, Any] = {
        "rss_mb": round(rss / 1024, 1) if rss is not None else None,
        "fds": _fd_count("self"),
        "threads": threading.active_count(),
        "thread_names": sorted({t.name.rstrip("0123456789_") for t in threading.enumerate()}),
        "tasks": len(asyncio.all_tasks()),
    }
    if backend_pid is not None:
        brss = _status_kb(backend_pid, "VmRSS")
        out["backend_rss_mb"] = round(brss / 1024, 1) if brss is not None else None
        out["backend_fds"] = _fd_count(backend_pid)
    return out


@dataclass
class _Exceptions:
    """Counts what would otherwise only be logged: unhandled loop and thread exceptions."""

    items: list[str] = field(default_factory=list)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, ctx: dict[str, Any]) -> None:
        exc = ctx.get("exception")
        self.items.append(f"loop: {ctx.get('message')}: {type(exc).__name__ if exc else ''}")
        loop.default_exception_handler(ctx)

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread else "?"
        self.items.append(f"thread {name}: {args.exc_type.__name__}")


class _AsyncioErrors(logging.Handler):
    """asyncio's default handler logs at ERROR: this catches the embedded backend's loop."""

    def __init__(self, sink: _Exceptions) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "exception" in record.getMessage().lower():
            self.sink.items.append(f"asyncio log: {record.getMessage()[:200]}")


def _play_record(report: dict[str, Any], decode: bool) -> dict[str, Any]:
    shown = int(report.get("frames_presented") or 0) + int(report.get("frames_dropped") or 0)
    return {
        "title": report.get("title"),
        "state": report.get("state"),
        "decoded": decode,
        "slots": shown,
        "frames_decoded": report.get("frames_decoded"),
        "frames_expected": report.get("frames_expected"),
        "frames_dropped": report.get("frames_dropped"),
        "frames_in_order": report.get("frames_in_order"),
        "complete": frames_complete(report) if decode else None,
        "failovers": report.get("failovers"),
        "stalls": report.get("stall_count"),
        "errors": report.get("errors"),
    }


async def _soak_session(
    gateway_url: str, spec: SessionSpec, titles: Sequence[str], stop_at: float, timeout: float
) -> dict[str, Any]:
    """One device playing titles back to back (rotating from its own) until ``stop_at``."""
    plays: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    out: dict[str, Any] = {"session": spec.index, "decode": spec.opts.decode, "plays": plays}
    try:
        async with nrdp.Device(nrdp.DeviceConfig(spec.device_id, gateway_url)) as device:
            await device.login(spec.login.email, spec.login.password)
            while loop.time() < stop_at:
                title = titles[(spec.index + len(plays)) % len(titles)]
                opts = replace(spec.opts, title=title, timeout=timeout)
                session = PlaySession(device, opts, poll_s=0.5)
                await session.run()
                plays.append(_play_record(session_report(session), spec.opts.decode))
                if plays[-1]["state"] == "error" and plays[-1]["slots"] == 0:
                    await asyncio.sleep(REFUSED_BACKOFF_S)
    except nrdp.SdkError as err:
        out["error"] = err.code
    return out


async def _kills(
    control: ControlClient, every_s: float, seed: int, log: list[dict[str, Any]]
) -> None:
    """Every ``every_s``: a gateway service or an OCA (never the last one up) goes down for
    ``KILL_FOR_S``; the victims are drawn from ``seed``. A control error is logged, not fatal."""
    rng = random.Random(seed ^ 0x5EED)
    t0 = time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        entry: dict[str, Any] = {"t_s": round(time.monotonic() - t0, 1)}
        try:
            entry["victim"] = await _kill_one(control, rng)
        except ControlError as exc:
            entry["error"] = str(exc)
        log.append(entry)


async def _kill_one(control: ControlClient, rng: random.Random) -> str:
    up = [o["oca_id"] for o in await control.ocas() if o.get("up", True)]
    victims = [f"service:{s['service']}" for s in await control.services() if s.get("up")]
    victims += [f"oca:{o}" for o in up] if len(up) > 1 else []
    victim = rng.choice(victims)
    kind, name = victim.split(":", 1)
    try:
        if kind == "oca":
            await control.set_plan(name, {"down": True})
        else:
            await control.service_down(name)
        await asyncio.sleep(KILL_FOR_S)
    finally:
        with contextlib.suppress(ControlError):
            await (control.clear(name) if kind == "oca" else control.service_up(name))
    return victim


async def _sampler(cfg: SoakConfig, samples: list[dict[str, Any]]) -> None:
    t0 = time.monotonic()
    while True:
        await asyncio.sleep(cfg.sample_every_s)
        now = resources(cfg.backend_pid)
        now.pop("thread_names")
        samples.append({"t_s": round(time.monotonic() - t0, 1), **now})


def _growth(samples: Sequence[dict[str, Any]], key: str) -> dict[str, Any]:
    """Growth of ``key`` from the first sample after the warm-up to the last."""
    have = [s for s in samples if s.get(key) is not None]
    if len(have) < 2:
        return {"from_s": None, "start_mb": None, "end_mb": None, "growth_percent": None}
    warm = [s for s in have if s["t_s"] >= WARMUP_S]
    base = warm[0] if len(warm) >= 2 else have[0]
    end = have[-1]
    return {
        "from_s": base["t_s"],
        "after_warmup": len(warm) >= 2,
        "start_mb": base[key],
        "end_mb": end[key],
        "max_mb": max(s[key] for s in have),
        "growth_percent": round(100.0 * (end[key] - base[key]) / base[key], 2),
    }


def _slot_counts(sessions: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Per title, the frame count a complete play shows (from decoded plays' frame ids)."""
    out: dict[str, int] = {}
    for s in sessions:
        for p in s["plays"]:
            if p["decoded"] and p["state"] == "ended" and p["complete"] and p["frames_in_order"]:
                out.setdefault(str(p["title"]), int(p["frames_expected"]))
    return out


def _play_ok(play: dict[str, Any], expected: dict[str, int]) -> bool | None:
    """Every frame once and in order (None: a decode-off play of a title never decoded)."""
    if play["state"] != "ended":
        return False
    if play["decoded"]:
        return bool(play["complete"] and play["frames_in_order"])
    want = expected.get(str(play["title"]))
    return None if want is None else play["slots"] == want


def soak_verdict(sessions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Plays counted, and which lost frames (ended early, a gap, a repeat, a wrong count)."""
    expected = _slot_counts(sessions)
    lost: list[dict[str, Any]] = []
    refused: Counter[int] = Counter()
    unchecked = refused_plays = 0
    for s in sessions:
        for i, p in enumerate(s["plays"]):
            if p["state"] == "error" and p["slots"] == 0 and p["errors"]:
                refused.update(p["errors"])  # a typed error before the first frame
                refused_plays += 1
                p["frames_ok"] = None
                continue
            ok = _play_ok(p, expected)
            p["frames_ok"] = ok
            if ok is None:
                unchecked += 1
            elif not ok:
                lost.append({"session": s["session"], "play": i, **p})
    plays = sum(len(s["plays"]) for s in sessions)
    return {
        "plays": plays,
        "plays_decoded": sum(1 for s in sessions for p in s["plays"] if p["decoded"]),
        "plays_lost_frames": len(lost),
        "plays_unchecked": unchecked,
        "plays_refused": refused_plays,
        "refused_codes": {str(k): v for k, v in sorted(refused.items())},
        "sessions_failed": sum(1 for s in sessions if "error" in s),
        "frames_dropped": sum(int(p["frames_dropped"] or 0) for s in sessions for p in s["plays"]),
        "failovers": sum(int(p["failovers"] or 0) for s in sessions for p in s["plays"]),
        "slots_per_title": expected,
        "lost": lost[:20],
    }


def _leaks(start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    keys = ("fds", "threads", "tasks", "backend_fds")
    out: dict[str, Any] = {k: {"start": start[k], "end": end[k]} for k in keys if k in start}
    out["new_thread_kinds"] = sorted(set(end["thread_names"]) - set(start["thread_names"]))
    return out


async def _background(
    control: ControlClient, cfg: SoakConfig, samples: list[dict[str, Any]], kills: list[Any]
) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(_sampler(cfg, samples), name="soak-sampler")]
    if cfg.kill_every_s:
        kill = _kills(control, cfg.kill_every_s, cfg.seed, kills)
        tasks.append(asyncio.create_task(kill, name="soak-kills"))
    return tasks


async def run_soak(
    info: BackendInfo,
    control: ControlClient,
    cfg: SoakConfig,
    titles: Sequence[str],
    opts: PlayOptions,
) -> dict[str, Any]:
    """The soak run's report (docs/headless.md, "Soak")."""
    exceptions = _Exceptions()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(exceptions.loop_handler)
    old_hook, threading.excepthook = threading.excepthook, exceptions.thread_hook
    log_handler = _AsyncioErrors(exceptions)
    logging.getLogger("asyncio").addHandler(log_handler)
    logins, _signup_s = await _logins(info, cfg.sessions, "random")
    start = resources(cfg.backend_pid)
    samples: list[dict[str, Any]] = [{"t_s": 0.0, **start}]
    kills: list[dict[str, Any]] = []
    await control.start_chaos(cfg.seed, cfg.chaos_interval_s)
    background = await _background(control, cfg, samples, kills)
    stop_at = loop.time() + cfg.duration_s
    specs = [
        SessionSpec(
            i,
            titles[i % len(titles)],
            logins[i],
            replace(opts, decode=i % 2 == 0, realtime=cfg.realtime, duration=None),
            0.0,
            new_device_id(f"qa-soak-{i}"),
        )
        for i in range(cfg.sessions)
    ]
    try:
        sessions = list(
            await asyncio.gather(
                *(
                    _soak_session(info.gateway_url, s, titles, stop_at, cfg.play_timeout_s)
                    for s in specs
                )
            )
        )
    finally:
        for t in background:
            t.cancel()
        for failed in await asyncio.gather(*background, return_exceptions=True):
            if isinstance(failed, Exception):
                exceptions.items.append(f"soak task: {type(failed).__name__}: {failed}")
        chaos = await control.stop_chaos()
        logging.getLogger("asyncio").removeHandler(log_handler)
        threading.excepthook = old_hook
        loop.set_exception_handler(None)
    await asyncio.sleep(1.0)  # let closed connections and finished threads go
    end = resources(cfg.backend_pid)
    samples.append({"t_s": round(cfg.duration_s, 1), **end, "final": True})
    return {
        "soak": {
            "sessions": cfg.sessions,
            "duration_s": cfg.duration_s,
            "seed": cfg.seed,
            "kill_every_s": cfg.kill_every_s,
            "speed": "realtime" if cfg.realtime else "fast",
        },
        "verdict": soak_verdict(sessions),
        "unhandled_exceptions": exceptions.items[:50],
        "rss": _growth(samples, "rss_mb"),
        "backend_rss": _growth(samples, "backend_rss_mb") if cfg.backend_pid else None,
        "leaks": _leaks(start, end),
        "chaos": {k: chaos.get(k) for k in ("health", "failures", "taken_down", "last_error")}
        | {"transitions": len(chaos.get("events") or [])},
        "kills": kills,
        "samples": samples,
        "sessions": sessions,
    }
