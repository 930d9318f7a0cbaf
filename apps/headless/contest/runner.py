"""The contest: every trace, every player, one at a time, over the same emulated link,
the same title from the same OCA, licenses and tokens from our backend."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import abr
import nrdp
from apps.embedded import BackendConfig, catalog_titles
from apps.headless.backend import BackendInfo, EmbeddedBackend, UsageError
from apps.headless.contest.browser import (
    PAGE_ORIGIN,
    BrowserPlayer,
    PageLogin,
    browser_missing,
)
from apps.headless.contest.metrics import browser_row, nrdp_row, rel_gap, set_means
from apps.headless.contest.title import TitleLadder, read_title, simulate, without_audio
from apps.headless.faults import load_trace
from apps.headless.netem.link import EmulatedLink, LinkSpec, open_link
from apps.headless.netem.run import NetemRun
from apps.headless.netem.schedule import MIN_QUEUE_BYTES, QUEUE_MS
from apps.headless.report import session_report
from apps.headless.scenarios import new_device_id
from apps.headless.session import PlayOptions, PlaySession

__all__ = ["ContestOptions", "parse_players", "run_contest", "trace_files"]

BROWSERS = ("shaka", "dashjs")
REPORT_VERSION = 1


@dataclass(frozen=True)
class ContestOptions:
    trace_dirs: tuple[Path, ...]
    title: str
    players: tuple[str, ...]
    rtt_ms: float = 40.0
    limit: int | None = None
    trace_format: str | None = None
    data_dir: Path = Path(".nrdp-contest")
    timeout_s: float = 180.0
    pause_s: float = 1.0
    """Unshaped idle between sessions (queues drain, connections close)."""
    catalog: str = "demo"
    """The packaged catalog the title comes from (``tiny`` for quick checks)."""


def parse_players(spec: str) -> tuple[str, ...]:
    """``nrdp:horizon,shaka,dashjs`` -> validated names (abr registry for nrdp:)."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item.startswith("nrdp:"):
            if item[5:] not in abr.names():
                raise UsageError(f"--players {item}: unknown ABR ({', '.join(abr.names())})")
        elif item not in BROWSERS:
            raise UsageError(f"--players {item}: use nrdp:<abr>, shaka or dashjs")
        out.append(item)
    if not out:
        raise UsageError("--players names no player")
    return tuple(dict.fromkeys(out))


def trace_files(dirs: Sequence[Path], limit: int | None) -> list[tuple[str, Path]]:
    """(set name, file) for the first ``limit`` traces (by name) of each directory."""
    out = []
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"--traces {d}: not a directory")
        files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith("."))
        out += [(d.name, p) for p in files[:limit]]
    if not out:
        raise UsageError("--traces: no trace files")
    return out


async def _nrdp_session(
    info: BackendInfo, title: str, algo: str, timeout_s: float
) -> dict[str, Any]:
    async with nrdp.Device(nrdp.DeviceConfig(new_device_id(), info.gateway_url)) as device:
        await device.login(str(info.email), str(info.password))
        opts = PlayOptions(title=title, realtime=True, abr=algo, timeout=timeout_s)
        session = PlaySession(device, opts)
        await session.run()
        return session_report(session)


class Contest:
    def __init__(
        self, opts: ContestOptions, link: EmulatedLink, info: BackendInfo, ladder: TitleLadder
    ):
        self.opts = opts
        self.link = link
        self.info = info
        self.ladder = ladder

    def play(self, player: str, net: NetemRun) -> dict[str, Any]:
        title_s = self.ladder.segment_s * len(self.ladder.sizes[0])
        if player.startswith("nrdp:"):
            report = net.run(
                lambda: _nrdp_session(self.info, self.opts.title, player[5:], self.opts.timeout_s)
            )
            return nrdp_row(report)
        if not self.info.email or not self.info.password:
            raise UsageError("the contest backend has no demo login for the page")
        login = PageLogin(
            self.info.gateway_url, str(self.info.email), str(self.info.password), self.opts.title
        )
        browser = BrowserPlayer(player, self.link.netns, self.ladder.bandwidth_of)
        shaper: list[Any] = []
        try:
            state = asyncio.run(
                browser.play(
                    login,
                    self.opts.timeout_s,
                    on_start=lambda: shaper.append(net.start_shaping()),
                )
            )
        finally:
            if shaper:
                net.stop_shaping(shaper[0])
        return browser_row(state, title_s)

    def row(self, set_name: str, path: Path, player: str) -> dict[str, Any]:
        trace = load_trace(path, self.opts.trace_format)
        net = NetemRun(self.link, trace)
        t0 = time.monotonic()
        try:
            row = self.play(player, net)
        except Exception as exc:
            row = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        row.update(
            set=set_name, trace=path.name, player=player, wall_s=round(time.monotonic() - t0, 1)
        )
        row["trace_mean_kbps"] = round(trace.mean_kbps(), 1)
        if player.startswith("nrdp:"):
            sim = simulate(player[5:], trace, self.ladder, self.opts.rtt_ms)
            row["sim"] = sim
            shared = without_audio(trace, self.ladder.audio_kbps)
            algo, rtt = player[5:], self.opts.rtt_ms
            row["sim_audio_qoe_lin"] = simulate(algo, shared, self.ladder, rtt, plain=True)[
                "qoe_lin"
            ]
            row["sim_plain_qoe_lin"] = simulate(algo, trace, self.ladder, rtt, plain=True)[
                "qoe_lin"
            ]
            row["sim_qoe_lin"] = sim["qoe_lin"]
            if row.get("qoe_lin") is not None:
                row["sim_gap"] = round(row["qoe_lin"] - sim["qoe_lin"], 4)
            row["sim_rel_gap"] = rel_gap(row.get("qoe_lin"), sim["qoe_lin"])
            row["sim_plain_rel_gap"] = rel_gap(row.get("qoe_lin"), row["sim_plain_qoe_lin"])
        return row


def _skipped(players: Sequence[str]) -> dict[str, str]:
    out = {}
    for p in players:
        if p in BROWSERS and (why := browser_missing(p)) is not None:
            out[p] = why
    return out


def run_contest(
    opts: ContestOptions, progress: Callable[[dict[str, Any]], None] = lambda r: None
) -> dict[str, Any]:
    rows_of = [t for t in catalog_titles(opts.catalog) if t.id == opts.title]
    if not rows_of:
        raise UsageError(f"--title {opts.title}: not in the {opts.catalog} catalog")
    traces = trace_files(opts.trace_dirs, opts.limit)
    skipped = _skipped(opts.players)
    players = [p for p in opts.players if p not in skipped]
    rows: list[dict[str, Any]] = []
    with open_link(LinkSpec(rtt_ms=opts.rtt_ms)) as link:
        backend = EmbeddedBackend(
            opts.data_dir,
            catalog=rows_of,
            ocas=1,
            host=link.host_ip,
            config=BackendConfig(oca_require_token=True, cors_origins=(PAGE_ORIGIN,)),
        )
        try:
            info = backend.start()
            contest = Contest(opts, link, info, read_title(opts.data_dir / "titles" / opts.title))
            for set_name, path in traces:
                for player in players:
                    rows.append(contest.row(set_name, path, player))
                    progress(rows[-1])
                    time.sleep(opts.pause_s)
        finally:
            backend.close()
        kind = link.kind
    return {
        "version": REPORT_VERSION,
        "title": opts.title,
        "rtt_ms": opts.rtt_ms,
        "link": {
            "kind": kind,
            "queue": f"drop-tail, max({QUEUE_MS:.0f} ms at the rate, {MIN_QUEUE_BYTES} B)",
        },
        "players": list(opts.players),
        "skipped": skipped,
        "traces": [f"{s}/{p.name}" for s, p in traces],
        "rows": rows,
        "means": set_means(rows),
    }
