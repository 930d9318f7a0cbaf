"""Run the benchmarks: ``python -m benchmarks [--only SUBSTR] [--json OUT]``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

import benchmarks
from benchmarks.harness import Result, registry


def _load_modules() -> None:
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{info.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default="", help="run benchmarks whose name contains this")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write JSON")
    args = parser.parse_args(argv)
    _load_modules()
    console = Console()
    results: list[Result] = []
    for name, fn in sorted(registry().items()):
        if args.only and args.only not in name:
            continue
        console.print(f"[bold]running[/bold] {name}")
        try:
            results.extend(fn())
        except Exception as exc:  # a broken benchmark must not hide the others
            console.print(f"[red]{name} failed: {exc!r}[/red]")
            results.append(Result(name=name, figure=float("nan"), unit="", notes=repr(exc)))
    table = Table(title="Benchmarks (ratio > 1 means better than the same-run baseline)")
    for col in ("benchmark", "figure", "baseline", "ratio", "target", "ok"):
        table.add_column(col)
    for r in results:
        ratio = r.ratio
        ok = r.meets_target
        table.add_row(
            r.name,
            f"{r.figure:.4g} {r.unit}",
            f"{r.baseline_name} {r.baseline:.4g}" if r.baseline is not None else "-",
            f"{ratio:.3f}" if ratio is not None else "-",
            f"{r.target:g}" if r.target is not None else "-",
            "-" if ok is None else ("yes" if ok else "NO"),
        )
    console.print(table)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([r.to_dict() for r in results], indent=2))
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
