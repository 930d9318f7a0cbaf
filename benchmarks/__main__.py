"""Run the benchmarks: ``python -m benchmarks [--only SUBSTR] [--json OUT] [--smoke]``.

Exits 1 when a benchmark raised or gave a non-finite figure (the table still shows the
others), so a broken benchmark cannot hide as a ``nan`` in a green run."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

import benchmarks
from benchmarks.harness import SMOKE_ENV, Result, registry


def _load_modules() -> None:
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{info.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default="", help="run benchmarks whose name contains this")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write JSON")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="run each benchmark once at a size that takes seconds (proves it works)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        os.environ[SMOKE_ENV] = "1"  # before the modules load: some size data at import
    _load_modules()
    console = Console()
    results: list[Result] = []
    selected = [(n, f) for n, f in sorted(registry().items()) if args.only in n]
    if not selected:
        console.print(f"[red]no benchmark matches {args.only!r}[/red]")
        return 2
    for name, fn in selected:
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
    broken = [r.name for r in results if not r.finite]
    if broken:
        console.print(f"[red]broken (exception or non-finite figure): {', '.join(broken)}[/red]")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
