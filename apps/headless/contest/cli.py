"""``python -m apps.headless contest``: run, print the means, write the report and plot."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from apps.headless.backend import UsageError
from apps.headless.contest.runner import ContestOptions, parse_players, run_contest
from apps.headless.report import write_json

__all__ = ["run_contest_command"]


def _means_table(doc: dict[str, Any]) -> Table:
    table = Table(title=f"contest means ({doc['title']}, RTT {doc['rtt_ms']:.0f} ms)")
    for col in (
        "set",
        "player",
        "n",
        "QoE_lin",
        "sim",
        "kbps",
        "rebuf",
        "stalls",
        "switch",
        "startup",
    ):
        table.add_column(col, justify="left" if col in ("set", "player") else "right")
    for set_name, by_player in doc["means"].items():
        for player, m in by_player.items():

            def f(key: str, fmt: str, m: dict[str, Any] = m) -> str:
                v = m.get(key)
                return "-" if v is None else format(v, fmt)

            table.add_row(
                set_name,
                player,
                f("traces", ".0f"),
                f("qoe_lin", ".3f"),
                f("sim_qoe_lin", ".3f"),
                f("avg_bitrate_kbps", ".0f"),
                f("rebuffer_ratio", ".2%"),
                f("stall_count", ".2f"),
                f("switches", ".1f"),
                f("startup_s", ".2f"),
            )
    return table


def run_contest_command(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.rtt < 0 or args.timeout <= 0 or (args.limit is not None and args.limit < 1):
        raise UsageError("--rtt must be >= 0, --timeout > 0, --limit >= 1")
    opts = ContestOptions(
        tuple(args.traces),
        args.title,
        parse_players(args.players),
        args.rtt,
        args.limit,
        args.trace_format,
        args.data_dir,
        args.timeout,
        catalog=args.catalog,
    )

    def progress(row: dict[str, Any]) -> None:
        if not args.quiet:
            q = row.get("qoe_lin")
            what = f"QoE_lin {q:.3f}" if q is not None else f"error {row.get('error')}"
            err.print(f"{row['set']}/{row['trace']} {row['player']}: {what} ({row['wall_s']} s)")

    doc = run_contest(opts, progress)
    for player, why in doc["skipped"].items():
        err.print(f"[yellow]skipped[/] {player}: {why}")
    if args.report:
        write_json(args.report, doc)
    if args.plot:
        from apps.headless.contest.plot import plot_contest

        plot_contest(doc, args.plot)
    out.print(_means_table(doc))
    failed = [r for r in doc["rows"] if r.get("error")]
    for r in failed:
        err.print(f"[red]failed[/] {r['set']}/{r['trace']} {r['player']}: {r['error']}")
    return 1 if failed else 0
