"""The sim-to-real gap of a finished contest report, re-simulated with today's simulator:
``python -m apps.headless.contest.simgap REPORT --title-dir DIR --traces DIR [DIR ...]``.

For every ``nrdp:*`` row that played, the simulator runs again on the row's trace (found
by set and file name under the ``--traces`` folders) and the title's ladder, once as the
contest's ``sim`` column does now (:func:`~apps.headless.contest.title.player_model`) and
once plain, and prints per player the mean of |real − sim| / |sim| and of |real − sim|
(QoE_lin per chunk). So a link model can be checked on reports made before it existed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from apps.headless.contest.metrics import rel_gap
from apps.headless.contest.title import TitleLadder, read_title, simulate
from apps.headless.faults import load_trace

__all__ = ["gap_table", "main"]


def _trace_path(row: Mapping[str, Any], dirs: Sequence[Path]) -> Path | None:
    """The row's trace file: ``DIR/<trace>`` of a DIR named as its set, or ``DIR/<set>/<trace>``."""
    set_name, name = str(row["set"]), str(row["trace"])
    for d in dirs:
        for folder in (d, d / set_name):
            if folder.name == set_name and (folder / name).is_file():
                return folder / name
    return None


def gap_table(
    doc: Mapping[str, Any], ladder: TitleLadder, dirs: Sequence[Path]
) -> dict[str, dict[str, float]]:
    """``{player: {rows, model_rel, plain_rel, model_abs, plain_abs}}`` (means)."""
    gaps: dict[str, list[tuple[float, float, float, float]]] = {}
    rtt = float(doc.get("rtt_ms", 40.0))
    for row in doc.get("rows", []):
        player, real = str(row.get("player")), row.get("qoe_lin")
        path = _trace_path(row, dirs)
        if not player.startswith("nrdp:") or row.get("error") or real is None or path is None:
            continue
        trace = load_trace(path)
        model = simulate(player[5:], trace, ladder, rtt)["qoe_lin"]
        plain = simulate(player[5:], trace, ladder, rtt, plain=True)["qoe_lin"]
        rels = rel_gap(real, model), rel_gap(real, plain)
        if rels[0] is None or rels[1] is None:
            continue
        gaps.setdefault(player, []).append((rels[0], rels[1], abs(real - model), abs(real - plain)))
    return {
        p: {
            "rows": float(len(g)),
            **{
                name: round(statistics.fmean(v[i] for v in g), 4)
                for i, name in enumerate(("model_rel", "plain_rel", "model_abs", "plain_abs"))
            },
        }
        for p, g in sorted(gaps.items())
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m apps.headless.contest.simgap")
    p.add_argument("report", type=Path)
    p.add_argument("--title-dir", type=Path, required=True, help="the packaged title's folder")
    p.add_argument("--traces", type=Path, nargs="+", required=True, metavar="DIR")
    args = p.parse_args(argv)
    doc = json.loads(args.report.read_text())
    table = gap_table(doc, read_title(args.title_dir), args.traces)
    json.dump(table, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
